"""Keep secrets out of logs, errors and the ledger.

Webhook URLs carry their credential in the path (Slack's ``/services/T../B../secret``), so
anything we print about a URL shows only scheme and host. httpx logs every request URL at
INFO; ``install_httpx_filter`` rewrites those records before any handler sees them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

REDACTED = "***"
MIN_SECRET_TAIL = 8  # shorter URL paths ("/", "/hook") are not worth hiding
_URL = re.compile(r"(?P<base>https?://[^/\s\"'<>]+)(?P<rest>[^\s\"'<>]*)", re.IGNORECASE)


def url_origin(url: str) -> str:
    """``https://hooks.slack.com/***``: enough to tell receivers apart, nothing to steal."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/{REDACTED}"


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove each known secret (and a secret URL's path alone, should a receiver echo it),
    then the path and query of every URL left in the text."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, REDACTED)
        parts = urlsplit(secret)
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.scheme and len(tail) >= MIN_SECRET_TAIL:
            text = text.replace(tail, REDACTED)
    return _URL.sub(lambda m: m.group("base") + ("/" + REDACTED if m.group("rest") else ""), text)


class _UrlRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                url_origin(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


_FILTER = _UrlRedactingFilter()


def install_httpx_filter() -> None:
    """Idempotent: the filter is added once per logger."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
