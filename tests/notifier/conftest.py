"""Real local servers for the notifier tests: a scriptable HTTP receiver and aiosmtpd."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.servers import QuietHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False  # read the request, never answer (the sender dies or times out)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int


class Receiver:
    """Answers POSTs from a script (then 200 "ok"), recording each request it answers."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[Received] = []
        self.arrived = 0  # requests read, answered or not
        self.release = threading.Event()  # ends hanging replies
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.arrived += 1
                    reply = receiver.script.pop(0) if receiver.script else Reply()
                if reply.hang:
                    receiver.release.wait(timeout=30)
                    return
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body.encode()
                with receiver.lock:  # recorded before answering: the sender may return at once
                    receiver.requests.append(
                        Received(self.path, dict(self.headers), body, time.monotonic(), reply.status)
                    )
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def ok(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.thread.start()
    yield server
    server.release.set()
    server.server.shutdown()
    server.server.server_close()


class MailHandler:
    """Accepts mail, or answers with the next scripted reply (e.g. "421 ...", "550 ...")."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.messages: list[EmailMessage] = []
        self.attempts = 0

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.attempts += 1
        if self.script:
            return self.script.pop(0)
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 2.0.0 queued as TEST"


@dataclass
class Smtp:
    handler: MailHandler
    host: str
    port: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Smtp]:
    handler = MailHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield Smtp(handler, "127.0.0.1", port)
    controller.stop()
