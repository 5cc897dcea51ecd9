"""Console channel: the plain-text alert on stdout, for trying things out and for the demo."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TextIO

from services.notifier import render
from services.notifier.channels import Receipt

SEPARATOR = "-" * 72


class ConsoleChannel:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, message: render.Message, key: str, now: datetime) -> Receipt:
        stream = self._stream or sys.stdout
        stream.write(f"{SEPARATOR}\n{render.plain(message, now)}\n")
        stream.flush()
        return Receipt(status="printed")
