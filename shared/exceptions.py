"""The one exception hierarchy of newswatch.

Every error the product raises on purpose derives from ``NewswatchError`` so an entry
point can tell an expected failure (one log line, no traceback) from a bug::

    NewswatchError
    ├── ConfigError              bad YAML, unknown key, wrong type, missing env var
    ├── StoreError               database unreachable or schema out of date
    ├── QueueError               Redis unreachable
    ├── ClassifyError            some articles of a classify job could not be scored
    ├── FetchError               one feed could not be fetched or parsed; ``kind`` classifies it
    │   ├── BlockedAddressError  a private/loopback/link-local address refused by policy
    │   ├── TooLargeError        body over the decompressed-size cap
    │   ├── FetchTimeoutError    connect/read timeout or the overall deadline
    │   ├── HTTPStatusError      a non-success status (``status``, ``retry_after``)
    │   └── NotAFeedError        HTML, empty body, or nothing feedparser can use
    └── DeliveryError            one alert could not be delivered
        ├── TransientDeliveryError   retry later (5xx, 429, SMTP 4xx, connection errors)
        └── PermanentDeliveryError   do not retry (4xx, SMTP 5xx, bad address)
"""

from __future__ import annotations


class NewswatchError(Exception):
    """Base of every expected newswatch failure."""


class ConfigError(NewswatchError):
    """The configuration cannot be used; the message names the key and line."""


class StoreError(NewswatchError):
    """The database cannot be reached or is not migrated."""


class QueueError(NewswatchError):
    """The job queue (Redis) cannot be reached."""


class ClassifyError(NewswatchError):
    """Articles of one classify job could not be scored; the others of the batch were."""


class FetchError(NewswatchError):
    """A feed could not be fetched or parsed.

    ``kind`` is the class recorded on the feed: dns, connect, tls, timeout, http,
    too_large, not_a_feed, parse, blocked, redirect, invalid_url.
    """

    kind = "fetch"

    def __init__(self, message: str, *, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class BlockedAddressError(FetchError):
    kind = "blocked"


class TooLargeError(FetchError):
    kind = "too_large"


class FetchTimeoutError(FetchError):
    kind = "timeout"


class HTTPStatusError(FetchError):
    kind = "http"

    def __init__(
        self, message: str, *, status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class NotAFeedError(FetchError):
    kind = "not_a_feed"


class DeliveryError(NewswatchError):
    """An alert could not be delivered; ``detail`` is safe to record (no secrets)."""

    def __init__(self, message: str, *, status: str | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientDeliveryError(DeliveryError):
    """Try again later; ``retry_after`` (seconds) when the receiver said so."""

    def __init__(
        self, message: str, *, status: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help; recorded as failed and left for a human."""
