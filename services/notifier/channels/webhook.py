"""Generic JSON webhook (schema in services/notifier/WEBHOOK.md), HMAC-signed when a secret is set.

The signature covers the timestamp and the exact body bytes, so a receiver can verify
integrity and refuse replays: ``X-Newswatch-Signature: sha256=HEX(HMAC(secret, f"{ts}." + body))``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime

import httpx
from pydantic import SecretStr

from services.notifier import render
from services.notifier.channels import Receipt
from services.notifier.channels.http import post

SIGNATURE_HEADER = "X-Newswatch-Signature"
TIMESTAMP_HEADER = "X-Newswatch-Timestamp"
DELIVERY_HEADER = "X-Newswatch-Delivery"  # stable per delivery: receivers de-duplicate on it
IDEMPOTENCY_HEADER = "Idempotency-Key"  # the same key under the name HTTP APIs know
SCHEMA_HEADER = "X-Newswatch-Schema"
DEFAULT_TOLERANCE = 300.0  # seconds a receiver should accept between timestamp and now


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver runs: constant-time compare, and refuse stale timestamps (replays)."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    def __init__(self, url: SecretStr, secret: SecretStr | None, client: httpx.Client) -> None:
        self._url = url
        self._secret = secret
        self._client = client

    def send(self, message: render.Message, key: str, now: datetime) -> Receipt:
        payload = render.webhook(message, now)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: key,
            IDEMPOTENCY_HEADER: key,
            SCHEMA_HEADER: str(payload["schema"]),
        }
        secret = self._secret.get_secret_value() if self._secret else None
        if secret:
            timestamp = str(int(now.timestamp()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
        return post(self._client, self._url.get_secret_value(), body, headers, secrets=(secret,))
