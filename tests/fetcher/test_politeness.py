"""Per-host politeness on real local servers: the cap is reached but never exceeded, over
HTTP/1.1 keep-alive connections and over one multiplexed HTTP/2 connection alike."""

from __future__ import annotations

import asyncio
import math
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import pytest

from services.fetcher import poller
from services.fetcher.http import Fetcher, FetchLimits, FetchResult
from shared import store
from shared.config import AppConfig, FeedConfig, FetcherConfig
from shared.context import AppContext
from shared.db import make_engine
from shared.queue import InlineQueue
from shared.settings import Settings
from tests.servers import QuietHTTPServer

LATENCY = 0.15  # seconds each response takes: long enough for requests to overlap


def feed_xml(path: str) -> bytes:
    """A small RSS 2.0 feed whose items are this path's own (distinct articles per feed)."""
    items = "".join(
        f"<item><title>Harbour authority {path} update {n}: berth {n} reopens</title>"
        f"<link>https://harbour.example{path}/{n}</link><guid>{path}-{n}</guid>"
        f"<pubDate>Tue, 14 May 2024 0{n}:30:00 GMT</pubDate>"
        f"<description>Pilots resumed night arrivals at berth {n} after dredging.</description>"
        "</item>"
        for n in range(3)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Harbour {path}</title><link>https://harbour.example/</link>"
            f"<description>Port notices</description>{items}</channel></rss>").encode()


class Host:
    """One publisher's HTTP/1.1 keep-alive server, counting what a polite client bounds:
    requests in flight at once (peak) and TCP connections opened."""

    def __init__(self, address: str) -> None:
        self.lock = threading.Lock()
        self.in_flight = self.peak = self.requests = 0
        self.connections: set[tuple[str, int]] = set()
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with host.lock:
                    host.in_flight += 1
                    host.peak = max(host.peak, host.in_flight)
                    host.requests += 1
                    host.connections.add(self.client_address)
                time.sleep(LATENCY)
                body = feed_xml(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with host.lock:  # before the body: the client cannot be done before it has it
                    host.in_flight -= 1
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self.httpd = QuietHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.httpd.server_address[0]}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hosts() -> Iterator[tuple[Host, Host]]:
    busy, quiet = Host("127.0.0.1"), Host("127.0.0.2")
    try:
        yield busy, quiet
    finally:
        busy.close()
        quiet.close()


@pytest.mark.parametrize("per_host", [3, None], ids=["cap-3", "default-cap"])
def test_poll_reaches_the_per_host_cap_and_never_exceeds_it(
    hosts: tuple[Host, Host], sqlite_url: str, per_host: int | None
) -> None:
    busy, quiet = hosts
    limits: dict[str, Any] = {"per_host_concurrency": per_host} if per_host else {}
    fetcher = FetcherConfig(parse_processes=0, allow_private_networks=True, **limits)
    cap = fetcher.per_host_concurrency
    assert per_host or cap == 6  # the default: what browsers open per host
    feeds = [FeedConfig(url=busy.url(f"/busy/{i}.xml")) for i in range(4 * cap + 1)]
    feeds += [FeedConfig(url=quiet.url(f"/quiet/{i}.xml")) for i in range(2)]
    ctx = AppContext(settings=Settings(), config=AppConfig(feeds=feeds, fetcher=fetcher),
                     engine=make_engine(sqlite_url), queue=InlineQueue())  # fmt: skip

    started = time.monotonic()
    stats = poller.run_once(ctx)
    elapsed = time.monotonic() - started

    assert (stats.feeds_polled, stats.feeds_failed, stats.articles_new) == (
        len(feeds), 0, 3 * len(feeds))
    assert busy.requests == 4 * cap + 1
    assert busy.peak == cap  # used up to the limit (politeness, not a bottleneck) ...
    assert quiet.peak <= 2  # ... and the other host did not wait for the busy one
    assert len(busy.connections) <= cap  # keep-alive: connections are reused, not re-opened
    waves = math.ceil(busy.requests / cap)  # the fewest round trips the cap allows
    assert elapsed >= waves * LATENCY


def test_busiest_host_starts_first_in_waves_of_the_cap(sqlite_url: str) -> None:
    """The host with most feeds is the long pole (ceil(N / cap) round trips): its first
    wave must not queue behind every one-feed host for the global slots."""
    urls = ["https://b.example/rss", "https://c.example/1", "https://a.example/1",
            "https://c.example/2", "https://A.example/2", "https://a.example/3",
            "https://a.example/4", "https://a.example/5"]  # fmt: skip
    ctx = AppContext(settings=Settings(),
                     config=AppConfig(feeds=[FeedConfig(url=u) for u in urls]),
                     engine=make_engine(sqlite_url), queue=InlineQueue())  # fmt: skip
    poller.sync(ctx)
    with ctx.engine.connect() as conn:
        rows = store.enabled_feeds(conn)
    assert [r.url for r in rows] == urls  # the database's order: oldest first

    order = [r.url.split("//")[1] for r in poller.busiest_hosts_first(rows, per_host=2)]

    assert order == ["a.example/1", "A.example/2", "c.example/1", "c.example/2",
                     "b.example/rss", "a.example/3", "a.example/4", "a.example/5"]  # fmt: skip


# --- HTTP/2 ----------------------------------------------------------------------------------


class H2Host:
    """An HTTPS server offering h2 by ALPN (the h2 library, asyncio), counting streams in
    flight at once and the connections and protocols clients chose."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.in_flight = self.peak = self.requests = 0
        self.protocols: list[str | None] = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.set_alpn_protocols(["h2", "http/1.1"])
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connection, "127.0.0.1", 0, ssl=self.context),
            self.loop).result(timeout=5)  # fmt: skip
        self.port = self.server.sockets[0].getsockname()[1]

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.protocols.append(writer.get_extra_info("ssl_object").selected_alpn_protocol())
        if self.protocols[-1] != "h2":
            writer.close()
            return
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        replies: set[asyncio.Task[None]] = set()
        while data := await reader.read(65535):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    self.requests += 1
                    self.in_flight += 1
                    self.peak = max(self.peak, self.in_flight)
                    path = dict(event.headers)[":path"]
                    task = asyncio.create_task(self._reply(conn, writer, event.stream_id, path))
                    replies.add(task)
                    task.add_done_callback(replies.discard)
            writer.write(conn.data_to_send())
            await writer.drain()
        writer.close()

    async def _reply(self, conn: h2.connection.H2Connection, writer: asyncio.StreamWriter,
                     stream_id: int, path: str) -> None:
        await asyncio.sleep(LATENCY)
        body = feed_xml(path)  # well under one frame and the initial flow-control window
        self.in_flight -= 1  # before the body goes out (one thread: no lock needed)
        conn.send_headers(stream_id, [(":status", "200"), ("content-length", str(len(body))),
                                      ("content-type", "application/rss+xml")])
        conn.send_data(stream_id, body, end_stream=True)
        writer.write(conn.data_to_send())
        await writer.drain()

    def close(self) -> None:
        async def stop() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def h2_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[H2Host]:
    """The server's self-signed certificate is the only one the fetcher trusts here."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read by ssl.create_default_context()
    host = H2Host(cert, key)
    try:
        yield host
    finally:
        host.close()


def test_http2_is_used_when_offered_one_connection_cap_still_holds(h2_host: H2Host) -> None:
    config = FetcherConfig(per_host_concurrency=3)
    urls = [f"https://127.0.0.1:{h2_host.port}/h2/{i}.xml" for i in range(10)]

    async def go() -> list[FetchResult]:
        async with Fetcher(FetchLimits.from_config(config)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(u, allow_private=True) for u in urls))

    results = asyncio.run(go())

    assert [r.status for r in results] == [200] * len(urls)
    assert all(b"Harbour /h2/" in r.body for r in results)
    assert h2_host.protocols == ["h2"]  # negotiated, and one connection carried every request
    assert h2_host.requests == len(urls)
    assert h2_host.peak == 3  # multiplexing does not lift the per-host cap
