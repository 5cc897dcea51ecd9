"""A killed notifier's 'sending' row comes back in seconds, not after its lease; a live
worker's row is never taken; the CLI shows the row's outcome as unknown (real PG + Redis)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from redis import Redis

from newswatch.cli import main_group
from services.notifier import liveness
from shared import store
from shared.queue import RedisQueue

from .world import FAST, FEED_URL, add_article, attempts, delivery, make_config, make_context

SUBSCRIPTIONS = [{"id": "desk", "topics": ["axis"],
                  "slack": {"webhook_url": "https://hooks.example.invalid/x"}}]


def _claim(ctx: object, delivery_id: int, owner: str) -> str:
    with ctx.engine.begin() as conn:  # type: ignore[attr-defined]
        token = store.claim_delivery(conn, delivery_id, store.utcnow(), timedelta(minutes=5),
                                     owner=owner)
    assert token is not None and store.token_owner(token) == owner
    return token


def test_dead_owner_reclaimed_live_owner_kept(
    pg_clean: str, redis_clean: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setattr(liveness, "ORPHAN_GRACE", 0.0)
    ctx = make_context(pg_clean, make_config(SUBSCRIPTIONS), queue=RedisQueue(redis_clean))
    redis = Redis.from_url(redis_clean)
    me = liveness.Heartbeat(redis, liveness.new_owner()).start()
    other = liveness.Heartbeat(redis, liveness.new_owner()).start()  # another live process
    dead_row = add_article(ctx, "Drones shipped from Iran", subscription="desk")
    live_row = add_article(ctx, "Shells shipped from North Korea", subscription="desk")
    _claim(ctx, dead_row, "deadbeef")  # a process killed mid-send: no heartbeat key
    _claim(ctx, live_row, other.owner)

    watch = liveness.OrphanWatch(me)
    assert watch.reclaim(ctx.engine, store.utcnow()) == [("delivery", dead_row)]
    assert delivery(ctx, dead_row).status == "retry"
    assert [a.outcome for a in attempts(ctx, dead_row)] == ["lost"]
    assert delivery(ctx, live_row).status == "sending"  # its owner is alive: never taken

    other.close()  # that worker dies too (its key is gone)
    assert watch.reclaim(ctx.engine, store.utcnow()) == [("delivery", live_row)]
    me.close()

    config_file = tmp_path / "newswatch.yaml"
    config_file.write_text(yaml.safe_dump({"feeds": [{"url": FEED_URL}],
                                           "subscriptions": SUBSCRIPTIONS, "notifier": FAST}))
    monkeypatch.setenv("DATABASE_URL", pg_clean)
    result = CliRunner().invoke(main_group, ["deliveries", "list", "--config", str(config_file)],
                                catch_exceptions=False)
    assert result.output.count("outcome unknown: a worker stopped mid-send") == 2, result.output


def test_no_reclaim_while_redis_is_away(pg_clean: str, redis_clean: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """After a Redis restart every key is gone; silence then proves nothing."""
    monkeypatch.setattr(liveness, "ORPHAN_GRACE", 0.0)
    ctx = make_context(pg_clean, make_config(SUBSCRIPTIONS), queue=RedisQueue(redis_clean))
    row = add_article(ctx, "Drones shipped from Iran", subscription="desk")
    _claim(ctx, row, "deadbeef")
    away = liveness.Heartbeat(Redis.from_url("redis://127.0.0.1:1/0"), "cafecafe")
    assert liveness.OrphanWatch(away).reclaim(ctx.engine, store.utcnow()) == []
    assert delivery(ctx, row).status == "sending"


def test_the_grace_period_must_pass(pg_clean: str, redis_clean: str) -> None:
    ctx = make_context(pg_clean, make_config(SUBSCRIPTIONS), queue=RedisQueue(redis_clean))
    row = add_article(ctx, "Drones shipped from Iran", subscription="desk")
    _claim(ctx, row, "deadbeef")
    me = liveness.Heartbeat(Redis.from_url(redis_clean), liveness.new_owner()).start()
    assert liveness.OrphanWatch(me).reclaim(ctx.engine, store.utcnow()) == []  # just missing
    assert delivery(ctx, row).status == "sending"
    me.close()
