"""services.fetcher.http against a real local server: validators, caps, deadlines, guards."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from services.fetcher.http import Fetcher, FetchLimits, FetchResult, is_public_address
from shared.config import FetcherConfig
from shared.exceptions import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
)
from tests.fetcher.conftest import FeedServer, conditional, fixture_bytes, reply, trickle
from tests.servers import QuietHTTPServer

RSS = fixture_bytes("rss20.xml")


def fetch(url: str, *, allow_private: bool = True, **overrides: Any) -> FetchResult:
    config = FetcherConfig(**overrides)

    async def go() -> FetchResult:
        async with Fetcher(FetchLimits.from_config(config)) as fetcher:
            return await fetcher.fetch(url, allow_private=allow_private)

    return asyncio.run(go())


def test_conditional_get_sends_validators_back_exactly(feed_server: FeedServer) -> None:
    etag, modified = 'W/"a1b2-c3"', "Tue, 14 May 2024 08:30:00 GMT"
    feed_server.routes["/feed"] = conditional(RSS, etag, modified)

    async def go() -> tuple[FetchResult, FetchResult]:
        async with Fetcher(FetchLimits.from_config(FetcherConfig())) as fetcher:
            first = await fetcher.fetch(feed_server.url("/feed"), allow_private=True)
            second = await fetcher.fetch(
                feed_server.url("/feed"),
                etag=first.etag,
                last_modified=first.last_modified,
                allow_private=True,
            )
            return first, second

    first, second = asyncio.run(go())
    assert (first.status, first.body, first.etag, first.last_modified) == (200, RSS, etag, modified)
    assert second.not_modified and second.body == b""
    sent = feed_server.requests[-1][1]
    assert sent["If-None-Match"] == etag and sent["If-Modified-Since"] == modified


def test_loopback_refused_by_default_with_how_to_allow(feed_server: FeedServer) -> None:
    feed_server.routes["/feed"] = reply(200, RSS)
    for host in ("127.0.0.1", "localhost"):
        with pytest.raises(BlockedAddressError) as caught:
            fetch(feed_server.url("/feed", host=host), allow_private=False)
        message = str(caught.value)
        assert "allow_private_networks: true" in message
        assert "NEWSWATCH_ALLOW_PRIVATE_NETWORKS=1" in message
        assert "allow_private: true" in message
    assert feed_server.requests == []  # refused before any byte was sent


def test_redirect_hop_to_private_address_is_refused(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check runs where sockets open, so a redirect to the metadata address is refused.

    Our test server is itself on loopback, so the policy lets exactly the first connection
    through (as if the server were public) and judges every later one for real.
    """
    from services.fetcher import http as http_module

    feed_server.routes["/moved"] = reply(302, headers={"Location": "http://169.254.169.254/"})
    checked: list[str] = []
    real_policy = http_module.is_public_address

    def first_connection_public(address: str) -> bool:
        checked.append(address)
        return len(checked) == 1 or real_policy(address)

    monkeypatch.setattr(http_module, "is_public_address", first_connection_public)
    with pytest.raises(BlockedAddressError, match="169.254.169.254"):
        fetch(feed_server.url("/moved"), allow_private=False)
    assert checked == ["127.0.0.1", "169.254.169.254"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.9", False), ("192.168.1.1", False),
        ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False),
        ("::1", False), ("fe80::1", False), ("fd00::1", False), ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False), ("93.184.216.34", True), ("2606:4700::1111", True),
    ],
)
def test_public_address_policy(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_gzip_bomb_is_cut_off_with_flat_memory(feed_server: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=9)  # ~250 KiB on the wire
    feed_server.routes["/bomb"] = reply(200, bomb, {"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError, match="after decompression"):
            fetch(feed_server.url("/bomb"), max_body_size="2MiB")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 * 1024 * 1024


def test_gzip_and_deflate_bodies_are_decoded(feed_server: FeedServer) -> None:
    feed_server.routes["/gz"] = reply(200, gzip.compress(RSS), {"Content-Encoding": "gzip"})
    raw = zlib.compressobj(wbits=-15)
    deflated = raw.compress(RSS) + raw.flush()
    feed_server.routes["/raw-deflate"] = reply(200, deflated, {"Content-Encoding": "deflate"})
    feed_server.routes["/zlib"] = reply(200, zlib.compress(RSS), {"Content-Encoding": "deflate"})
    for path in ("/gz", "/raw-deflate", "/zlib"):
        assert fetch(feed_server.url(path)).body == RSS


def test_endless_body_is_cut_off(feed_server: FeedServer) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"<item>" * 10_000
        for _ in range(100_000):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))

    feed_server.routes["/endless"] = endless
    with pytest.raises(TooLargeError):
        fetch(feed_server.url("/endless"), max_body_size="1MiB")


def test_declared_length_over_cap_is_refused_before_reading(feed_server: FeedServer) -> None:
    feed_server.routes["/big"] = reply(200, b"x" * 5000)
    with pytest.raises(TooLargeError, match="5000 bytes"):
        fetch(feed_server.url("/big"), max_body_size=1000)


def test_trickling_server_hits_the_overall_deadline(feed_server: FeedServer) -> None:
    feed_server.routes["/slow"] = trickle(0.1, 60)
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError, match="deadline"):
        fetch(feed_server.url("/slow"), deadline="1s", read_timeout="5s")
    assert time.monotonic() - started < 3


def test_permanent_redirect_updates_url_temporary_does_not(feed_server: FeedServer) -> None:
    feed_server.routes["/feed"] = reply(200, RSS)
    feed_server.routes["/old"] = reply(301, headers={"Location": "/feed"})
    feed_server.routes["/perm"] = reply(308, headers={"Location": "/old"})
    feed_server.routes["/temp"] = reply(302, headers={"Location": "/feed"})
    feed_server.routes["/mixed"] = reply(301, headers={"Location": "/temp"})
    assert fetch(feed_server.url("/perm")).permanent_url == feed_server.url("/feed")
    temp = fetch(feed_server.url("/temp"))
    assert temp.permanent_url is None and temp.final_url == feed_server.url("/feed")
    assert fetch(feed_server.url("/mixed")).permanent_url is None


def test_redirect_loop_and_too_many_redirects(feed_server: FeedServer) -> None:
    feed_server.routes["/a"] = reply(302, headers={"Location": "/b"})
    feed_server.routes["/b"] = reply(302, headers={"Location": "/a"})
    for i in range(7):
        feed_server.routes[f"/r{i}"] = reply(301, headers={"Location": f"/r{i + 1}"})
    feed_server.routes["/r7"] = reply(200, RSS)
    with pytest.raises(FetchError, match="loop") as loop:
        fetch(feed_server.url("/a"))
    assert loop.value.kind == "redirect"
    with pytest.raises(FetchError, match="more than 5 redirects") as chain:
        fetch(feed_server.url("/r0"))
    assert chain.value.kind == "redirect"
    assert fetch(feed_server.url("/r2")).status == 200  # exactly 5 hops is fine


def test_redirect_to_other_scheme_is_refused(feed_server: FeedServer) -> None:
    feed_server.routes["/ftp"] = reply(301, headers={"Location": "ftp://example.org/feed"})
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/ftp"))
    assert caught.value.kind == "invalid_url"


def test_status_errors_carry_status_and_retry_after(feed_server: FeedServer) -> None:
    feed_server.routes["/busy"] = reply(429, b"slow down", {"Retry-After": "120"})
    feed_server.routes["/gone"] = reply(410, b"gone")
    with pytest.raises(HTTPStatusError) as busy:
        fetch(feed_server.url("/busy"))
    assert (busy.value.status, busy.value.retry_after, busy.value.kind) == (429, 120.0, "http")
    with pytest.raises(HTTPStatusError) as gone:
        fetch(feed_server.url("/gone"))
    assert gone.value.status == 410


def test_cache_hints_are_reported(feed_server: FeedServer) -> None:
    feed_server.routes["/cached"] = reply(200, RSS, {"Cache-Control": "public, max-age=3600"})
    assert fetch(feed_server.url("/cached")).cache_seconds == 3600.0


def test_connection_errors_are_classified(feed_server: FeedServer) -> None:
    with pytest.raises(FetchError) as refused:
        fetch("http://127.0.0.1:9/feed")  # discard port: nothing listens
    assert refused.value.kind == "connect"
    with pytest.raises(FetchError) as dns:
        fetch("http://no-such-host.invalid/feed", connect_timeout="3s")
    assert dns.value.kind == "dns"
    with pytest.raises(FetchError) as scheme:
        fetch("file:///etc/passwd")
    assert scheme.value.kind == "invalid_url"


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[int]:
    """An HTTPS server with a self-signed certificate nobody trusts."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    state = FeedServer(routes={"/feed": reply(200, RSS)})
    from tests.fetcher.conftest import _handler

    httpd = QuietHTTPServer(("127.0.0.1", 0), _handler(state))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_untrusted_certificate_is_a_tls_error(tls_server: int) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(f"https://localhost:{tls_server}/feed")
    assert caught.value.kind == "tls"
