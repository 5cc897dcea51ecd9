"""Safe async HTTP fetching of feeds: conditional GET, capped bodies, guarded addresses.

A feed URL comes from a config file or an OPML import, and its server is not ours, so every
fetch assumes the other side may be hostile or broken:

* the address is checked where the socket is opened (``GuardedBackend``), on the address we
  actually connect to, for every redirect hop: a DNS name that resolves to 127.0.0.1 or to
  the cloud metadata service is refused unless private networks are allowed;
* bodies are streamed and decompressed by us in bounded pieces, so a gzip bomb or an endless
  body stops at the cap with memory flat;
* one overall deadline per fetch on top of connect/read timeouts, so a server trickling a
  byte a second cannot hold a slot;
* redirects are followed by hand (at most ``max_redirects``, loops are errors) so a chain of
  only permanent ones can update the stored URL, and temporary ones do not;
* concurrency is bounded globally and per host, so one slow publisher cannot take every slot
  and we never hammer one host.

Every failure is raised as a ``FetchError`` whose ``kind`` is what the poller records.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import httpcore
import httpx

from shared.config import FetcherConfig
from shared.exceptions import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
)

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
POOL_SHARDS = 16  # connection pools per private-network permission (see Fetcher._client)
DECOMPRESS_PIECE = 64 * 1024  # bytes produced per zlib call: bounds memory per fetch
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
ALLOW_HINT = (
    "set `fetcher: {allow_private_networks: true}` in the config, "
    "NEWSWATCH_ALLOW_PRIVATE_NETWORKS=1, or `allow_private: true` on this feed"
)


@dataclass(frozen=True)
class FetchLimits:
    """What one fetch may cost; built from ``FetcherConfig`` (the named defaults live there)."""

    connect_timeout: float
    read_timeout: float
    deadline: float
    max_body_size: int
    max_redirects: int
    max_concurrency: int
    per_host_concurrency: int
    user_agent: str

    @classmethod
    def from_config(cls, config: FetcherConfig) -> FetchLimits:
        return cls(
            connect_timeout=config.connect_timeout.total_seconds(),
            read_timeout=config.read_timeout.total_seconds(),
            deadline=config.deadline.total_seconds(),
            max_body_size=config.max_body_size,
            max_redirects=config.max_redirects,
            max_concurrency=config.max_concurrency,
            per_host_concurrency=config.per_host_concurrency,
            user_agent=config.user_agent,
        )


@dataclass(frozen=True)
class FetchResult:
    """One successful exchange: a 200 with its body, or a 304 without one."""

    url: str  # what we asked for
    final_url: str  # after redirects
    permanent_url: str | None  # set when every hop was 301/308: store it
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    cache_seconds: float | None  # from Cache-Control max-age or Expires
    elapsed: float

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def body_hash(self) -> str:
        """Identifies an unchanged body served without validators (no parse needed)."""
        return hashlib.sha256(self.body).hexdigest()


def is_public_address(address: str) -> bool:
    """True only for globally routable unicast addresses (IPv4-mapped IPv6 unwrapped)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_unspecified or ip.is_reserved)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses non-public addresses, connects to the checked IP.

    Connecting to the address we checked (not re-resolving) closes the DNS-rebinding gap;
    TLS still verifies the hostname because httpcore passes it as the SNI/server name.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend, *, allow_private: bool) -> None:
        self._inner = inner
        self._allow_private = allow_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port, timeout)
        if not self._allow_private:
            blocked = [a for a in addresses if not is_public_address(a)]
            if blocked:
                raise BlockedAddressError(
                    f"refused {host} ({blocked[0]}): private, loopback, link-local and other "
                    f"non-public addresses are not fetched by default; to allow, {ALLOW_HINT}"
                )
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchError("unix sockets are not fetched", kind="invalid_url")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """Every address of ``host``, deduplicated in resolver order; DNS failures classified."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]  # a literal: no resolver trip
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError as exc:
        raise FetchTimeoutError(f"DNS lookup of {host} timed out") from exc
    except socket.gaierror as exc:
        raise FetchError(f"DNS lookup of {host} failed: {exc.strerror}", kind="dns") from exc
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    if not seen:
        raise FetchError(f"DNS lookup of {host} returned no address", kind="dns")
    return list(seen)


def _make_transport(
    limits: FetchLimits, *, allow_private: bool, ssl_context: ssl.SSLContext
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connection pool opens sockets through ``GuardedBackend``.

    httpx does not expose the network backend, so the pool it built is replaced by an
    identical one with ours (tests pin this: a private address must be refused).
    """
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, trust_env=False, retries=0)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,  # one per Fetcher: loading the CA store costs ~0.1 s
        http1=True,
        http2=True,  # negotiated by ALPN: one multiplexed connection where a server offers it
        # Our HostLimiter bounds requests in flight; the pool may keep one idle connection
        # per host slot, so hosts taking turns do not evict each other's keep-alives.
        max_connections=None,
        max_keepalive_connections=limits.max_concurrency * limits.per_host_concurrency,
        keepalive_expiry=30.0,
        network_backend=GuardedBackend(httpcore.AnyIOBackend(), allow_private=allow_private),
    )
    return transport


class HostLimiter:
    """A global slot plus a per-host slot for each fetch: politeness and fairness."""

    def __init__(self, total: int, per_host: int) -> None:
        self._total = asyncio.Semaphore(total)
        self._per_host = per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        semaphore = self._hosts.setdefault(host, asyncio.Semaphore(self._per_host))
        self._users[host] = self._users.get(host, 0) + 1
        try:
            async with semaphore, self._total:
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:  # forget idle hosts: the dict stays small
                del self._users[host]
                del self._hosts[host]


class Fetcher:
    """Owns the HTTP clients and the limits; ``fetch`` is safe to call concurrently."""

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits
        self._limiter = HostLimiter(limits.max_concurrency, limits.per_host_concurrency)
        self._clients: dict[tuple[bool, int], httpx.AsyncClient] = {}
        self._ssl: ssl.SSLContext | None = None

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _client(self, allow_private: bool, host: str = "") -> httpx.AsyncClient:
        """Separate pools, so a connection opened for an allowed private feed is never reused
        by a feed that is not allowed to reach it; and hosts spread over ``POOL_SHARDS``
        pools, because httpcore scans every connection of a pool on each request (with one
        pool for hundreds of hosts that scan was most of the fetcher's CPU)."""
        key = (allow_private, zlib.crc32(host.encode()) % POOL_SHARDS)
        client = self._clients.get(key)
        if client is None:
            timeout = httpx.Timeout(
                self.limits.read_timeout,
                connect=self.limits.connect_timeout,
                pool=self.limits.deadline,
            )
            client = httpx.AsyncClient(
                transport=_make_transport(self.limits, allow_private=allow_private,
                                          ssl_context=self._ssl_context()),
                timeout=timeout,
                follow_redirects=False,
                headers={
                    "User-Agent": self.limits.user_agent,
                    "Accept": ACCEPT,
                    "Accept-Encoding": "gzip, deflate",
                },
            )
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = False,
    ) -> FetchResult:
        """GET ``url`` conditionally; raises a classified ``FetchError`` on any failure."""
        host = _checked_url(url).hostname or ""
        async with self._limiter.slot(host):
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.limits.deadline):
                    return await self._follow(url, etag, last_modified, allow_private, started)
            except TimeoutError as exc:
                raise FetchTimeoutError(
                    f"no complete response within the {self.limits.deadline:g}s deadline"
                ) from exc
            except httpx.HTTPError as exc:
                raise _classify(exc) from exc

    async def _follow(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        allow_private: bool,
        started: float,
    ) -> FetchResult:
        client = self._client(allow_private, urlsplit(url).hostname or "")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current, permanent, seen = url, True, {url}
        for _hop in range(self.limits.max_redirects + 1):
            request = client.build_request("GET", current, headers=headers)
            response = await client.send(request, stream=True)
            try:
                if response.status_code in REDIRECT_STATUSES:
                    target = _redirect_target(current, response)
                    if target in seen:
                        raise FetchError(f"redirect loop at {target}", kind="redirect")
                    seen.add(target)
                    permanent = permanent and response.status_code in PERMANENT_REDIRECTS
                    current = target
                    continue
                return await self._result(url, current, permanent, response, started)
            finally:
                await response.aclose()
        raise FetchError(
            f"more than {self.limits.max_redirects} redirects from {url}", kind="redirect"
        )

    async def _result(
        self, url: str, final: str, permanent: bool, response: httpx.Response, started: float
    ) -> FetchResult:
        status = response.status_code
        if status != 304 and not 200 <= status < 300:
            raise HTTPStatusError(
                f"HTTP {status} {response.reason_phrase}".rstrip(),
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        body = b"" if status == 304 else await self._read_body(response)
        headers = response.headers
        return FetchResult(
            url=url,
            final_url=final,
            permanent_url=final if permanent and final != url else None,
            status=status,
            body=body,
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            content_type=headers.get("Content-Type"),
            cache_seconds=cache_lifetime(headers),
            elapsed=time.monotonic() - started,
        )

    async def _read_body(self, response: httpx.Response) -> bytes:
        cap = self.limits.max_body_size
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TooLargeError(f"body of {int(declared)} bytes is over the {cap}-byte cap")
        decoder = _decoder(response.headers.get("Content-Encoding", ""))
        pieces: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():
            for piece in decoder(raw):
                size += len(piece)
                if size > cap:
                    raise TooLargeError(f"body over the {cap}-byte cap (after decompression)")
                pieces.append(piece)
        return b"".join(pieces)


def _checked_url(url: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
        raise FetchError(f"only http(s) URLs are fetched, not {url!r}", kind="invalid_url")
    return parts


def _redirect_target(current: str, response: httpx.Response) -> str:
    location = response.headers.get("Location")
    if not location:
        raise FetchError(f"HTTP {response.status_code} without a Location", kind="redirect")
    target: str = urljoin(current, str(location).strip())
    _checked_url(target)
    return target


class _Inflater:
    """Decompresses gzip/zlib/raw-deflate in pieces of at most ``DECOMPRESS_PIECE`` bytes,
    so the size cap is checked before a bomb can expand in memory."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib = zlib.decompressobj(47)  # 47: gzip or zlib header, detected
        self._maybe_raw = encoding == "deflate"  # some servers send deflate without a header

    def __call__(self, raw: bytes) -> Iterator[bytes]:
        data = raw
        while data and not self._zlib.eof:
            try:
                piece = self._zlib.decompress(data, DECOMPRESS_PIECE)
            except zlib.error as exc:
                if self._maybe_raw:
                    self._zlib, self._maybe_raw = zlib.decompressobj(-15), False
                    continue
                raise FetchError(f"corrupt {self.encoding} body: {exc}", kind="parse") from exc
            self._maybe_raw = False
            if piece:
                yield piece
            data = self._zlib.unconsumed_tail


def _decoder(encoding: str) -> Callable[[bytes], Iterable[bytes]]:
    """A function raw chunk -> decompressed pieces, for the Content-Encoding we asked for."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda raw: (raw,)
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater(encoding)
    raise FetchError(f"unsupported Content-Encoding {encoding!r}", kind="http")


def _classify(exc: httpx.HTTPError) -> FetchError:
    """httpx's transport errors -> the kinds recorded on the feed."""
    if isinstance(exc, httpx.TimeoutException):
        return FetchTimeoutError(f"timed out: {type(exc).__name__}")
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            reason = getattr(cause, "reason", None) or str(cause)
            return FetchError(f"TLS failed: {reason}", kind="tls")
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return FetchError(f"connection failed: {exc or type(exc).__name__}", kind="connect")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FetchError(f"invalid URL: {exc}", kind="invalid_url")
    return FetchError(f"connection broken: {exc or type(exc).__name__}", kind="connect")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    return _seconds_until(value, now)


def cache_lifetime(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """How long the server says this response stays fresh (max-age wins over Expires)."""
    for directive in headers.get("Cache-Control", "").split(","):
        name, _, arg = directive.strip().partition("=")
        if name.lower() in ("max-age", "s-maxage") and arg.strip('"').isdigit():
            return float(arg.strip('"'))
    expires = headers.get("Expires")
    return _seconds_until(expires, now) if expires else None


def _seconds_until(http_date: str, now: datetime | None) -> float | None:
    try:
        moment = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
