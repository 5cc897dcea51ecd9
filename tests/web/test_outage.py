"""The database away: /healthz and pages say 503; /metrics reports db_up 0, no made-up zeros.

A real unreachable address (nothing listens on port 1), driven through the ASGI app itself:
a `newswatch web` process refuses to start without its database, so it cannot show this.
"""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.web.app import create_app
from shared.config import AppConfig
from shared.context import AppContext
from shared.db import make_engine
from shared.queue import InlineQueue
from shared.settings import Settings


def test_healthz_and_metrics_when_the_database_is_unreachable() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:1/newswatch")
    ctx = AppContext(settings=Settings(), config=AppConfig(), engine=engine, queue=InlineQueue())

    async def fetch() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return (await client.get("/healthz"), await client.get("/metrics"),
                    await client.get("/stories"))

    health, metrics, page = asyncio.run(fetch())
    assert health.status_code == 503 and "unreachable" in health.text
    assert page.status_code == 503 and "database is unreachable" in page.text
    names = {s.name: s.value for f in text_string_to_metric_families(metrics.text)
             for s in f.samples}
    assert names["newswatch_db_up"] == 0.0
    assert "newswatch_articles_stored" not in names
    engine.dispose()
