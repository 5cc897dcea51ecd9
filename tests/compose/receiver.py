"""A Slack stand-in for `make compose-test`: records every POST as one JSON line.

Runs inside the newswatch image (plain Python, no dependencies) as a compose service; the
test reads /out/slack.jsonl from the bind-mounted host directory.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OUT = os.environ.get("RECEIVER_OUT", "/out/slack.jsonl")
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        record = {"path": self.path, "body": body.decode("utf-8", "replace")}
        with LOCK, open(OUT, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
