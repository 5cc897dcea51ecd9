"""A real local HTTP server that serves feed documents, for fetcher and end-to-end tests."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHTTPServer(ThreadingHTTPServer):
    """A local test server that takes a client hanging up mid-response in its stride: the
    fetcher drops oversized and too-slow responses on purpose, and the traceback the standard
    server prints for it would read as a failure in the test output."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # reset, broken pipe, aborted
            return
        super().handle_error(request, client_address)


@dataclass
class Page:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """Serves ``pages[path]``; answers 304 when the client's ETag matches; records requests."""

    def __init__(self) -> None:
        self.pages: dict[str, Page | Callable[[dict[str, str]], Page]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                headers = dict(self.headers)
                server.requests.append((self.path, headers))
                entry = server.pages.get(self.path)
                page = entry(headers) if callable(entry) else entry
                if page is None:
                    page = Page(b"not found", "text/plain", 404)
                etag = page.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(page.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.httpd = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> FeedServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"
