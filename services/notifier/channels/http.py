"""The HTTP part Slack and generic webhooks share: POST, classify the answer, redact errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from services.notifier.channels import Receipt
from services.notifier.redact import install_httpx_filter, redact, url_origin
from shared.exceptions import PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)

REASON_LIMIT = 200  # characters of a receiver's error body kept in the ledger
USER_AGENT = "newswatch-notifier/0.1"

install_httpx_filter()


def post(
    client: httpx.Client,
    url: str,
    content: bytes,
    headers: dict[str, str],
    *,
    secrets: tuple[str | None, ...] = (),
) -> Receipt:
    """One POST; 2xx is a receipt, 429/5xx/network transient, any other status permanent."""
    where = url_origin(url)
    try:
        response = client.post(url, content=content, headers={"User-Agent": USER_AGENT, **headers})
    except httpx.TimeoutException as exc:
        raise TransientDeliveryError(f"timeout posting to {where}: {type(exc).__name__}") from None
    except httpx.TransportError as exc:
        reason = redact(str(exc) or type(exc).__name__, (url, *secrets))
        raise TransientDeliveryError(f"cannot reach {where}: {reason}") from None
    except httpx.InvalidURL:
        raise PermanentDeliveryError(f"invalid URL {where}") from None
    body = redact(response.text[:REASON_LIMIT].strip(), (url, *secrets))
    status = str(response.status_code)
    if response.is_success:
        return Receipt(status=status, detail=body)
    message = f"{where} answered {status}" + (f": {body}" if body else "")
    if response.status_code == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TransientDeliveryError(message, status=status, retry_after=retry_after)
    if response.status_code >= 500 or response.status_code == 408:
        raise TransientDeliveryError(message, status=status)
    raise PermanentDeliveryError(message, status=status)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        log.warning("retry-after unreadable value=%r", value[:40])
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
