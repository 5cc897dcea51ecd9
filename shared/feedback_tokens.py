"""Signed, expiring feedback tokens: a link in an alert that lets its reader label it.

The token names the (article, topic) pair and an expiry, signed with HMAC-SHA256 under the
process secret (``NEWSWATCH_SECRET_KEY``), so a link cannot be altered to label another
article or outlive its expiry, and the web view needs no session to accept it. The label
itself is not signed: the reader picks "relevant" or "not relevant" on the same token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from shared.exceptions import NewswatchError
from shared.settings import Settings

TOKEN_VERSION = "1"
SIGNATURE_BYTES = 16  # 128 bits of HMAC-SHA256: plenty against forgery, short in a URL
FEEDBACK_PATH = "/feedback/"


class FeedbackTokenError(NewswatchError):
    """A feedback token that is malformed, forged, or expired."""


@dataclass(frozen=True)
class FeedbackTarget:
    article_id: int
    topic_id: str
    expires_at: int  # unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).digest()
    return _b64(digest[:SIGNATURE_BYTES])


def make_token(secret: str, article_id: int, topic_id: str, *, now: datetime, ttl: timedelta) -> str:
    """``<payload>.<signature>``, URL-safe; ``secret`` must be non-empty."""
    if not secret:
        raise FeedbackTokenError("feedback tokens need a secret key (NEWSWATCH_SECRET_KEY)")
    expires = int((now + ttl).timestamp())
    payload = _b64(f"{TOKEN_VERSION}:{article_id}:{expires}:{topic_id}".encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify_token(secret: str, token: str, *, now: datetime) -> FeedbackTarget:
    """The (article, topic) a token names; raises FeedbackTokenError if forged or expired."""
    payload, _, signature = token.strip().partition(".")
    if not payload or not signature or not secret:
        raise FeedbackTokenError("malformed feedback token")
    if not hmac.compare_digest(_sign(secret, payload), signature):
        raise FeedbackTokenError("feedback token signature does not match")
    try:
        version, article, expires, topic_id = _unb64(payload).decode("utf-8").split(":", 3)
        target = FeedbackTarget(int(article), topic_id, int(expires))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedbackTokenError("malformed feedback token") from exc
    if version != TOKEN_VERSION or not topic_id:
        raise FeedbackTokenError("malformed feedback token")
    if now.timestamp() > target.expires_at:
        raise FeedbackTokenError("feedback link has expired")
    return target


def feedback_url(
    base_url: str, secret: str, article_id: int, topic_id: str, *, now: datetime, ttl: timedelta
) -> str:
    """Where the web view accepts this token: ``<base>/feedback/<token>`` (add ?label=...)."""
    token = make_token(secret, article_id, topic_id, now=now, ttl=ttl)
    return base_url.rstrip("/") + FEEDBACK_PATH + quote(token, safe="")


def feedback_url_from_settings(
    settings: Settings, article_id: int, topic_id: str, *, now: datetime
) -> str | None:
    """The alert's feedback link when a public URL and a secret are configured, else None."""
    if not settings.public_url or settings.secret_key is None:
        return None
    secret = settings.secret_key.get_secret_value()
    if not secret:
        return None
    ttl = timedelta(days=settings.feedback_link_days)
    return feedback_url(settings.public_url, secret, article_id, topic_id, now=now, ttl=ttl)
