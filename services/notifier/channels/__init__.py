"""Channels send one rendered message and say how it went.

``send`` returns a ``Receipt`` on success and raises ``TransientDeliveryError`` (retry later)
or ``PermanentDeliveryError`` (a human must look) otherwise. Error texts are safe to log and
to store in the ledger: no webhook URL, password or HMAC secret ever reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.notifier.render import Message


@dataclass(frozen=True)
class Receipt:
    status: str  # HTTP status, SMTP reply code, or "printed"
    detail: str = ""


class Channel(Protocol):
    def send(self, message: Message, key: str, now: datetime) -> Receipt:
        """Deliver ``message``; ``key`` is stable per delivery so receivers can de-duplicate."""
