"""A real local HTTP server for fetcher tests: routes are plain functions of the request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.servers import QuietHTTPServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"

Route = Callable[[BaseHTTPRequestHandler], None]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def reply(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    content_type: str = "application/rss+xml; charset=utf-8",
) -> Route:
    """A route answering the same response every time (HEAD-less, GET only)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        all_headers.update(headers or {})
        for name, value in all_headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return route


def conditional(body: bytes, etag: str, last_modified: str) -> Route:
    """Answers 304 when the client sends back exactly the validators we gave it."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        if (
            handler.headers.get("If-None-Match") == etag
            and handler.headers.get("If-Modified-Since") == last_modified
        ):
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        reply(200, body, {"ETag": etag, "Last-Modified": last_modified})(handler)

    return route


@dataclass
class FeedServer:
    """Serves ``routes`` on 127.0.0.1; records every request path and its headers."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.requests.append((self.path, dict(self.headers.items())))
            route = server.routes.get(self.path)
            if route is None:
                reply(404, b"not here", content_type="text/plain")(self)
                return
            try:
                route(self)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up: expected in cap tests

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # keep pytest output clean; requests are recorded above

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()
    httpd = QuietHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def trickle(interval: float, chunks: int) -> Route:
    """Sends a byte every ``interval`` seconds: within read timeouts, never finishing."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(chunks))
        handler.end_headers()
        for _ in range(chunks):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(interval)

    return route
