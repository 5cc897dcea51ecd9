"""The notifier follows its config file while running: new subscriptions, changed channels.

Real PostgreSQL, Redis and an RQ worker; a real HTTP receiver stands in for Slack. The config
is replaced the way editors and `git pull` do it: a new file renamed over the old one.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared import jobs
from shared.context import AppContext, build_context, set_context
from shared.queue import RedisQueue
from shared.settings import Settings
from tests.notifier.conftest import Receiver
from tests.notifier.world import add_article, delivery

CONFIG = """\
feeds:
  - url: https://wire.example.net/world.xml
    name: Example Wire
notifier: {{retry_base: 0.05s, slack_min_interval: 0, lease: 2s}}
subscriptions:
  - id: desk
    topics: [axis]
    slack: {{webhook_url: "{desk_url}"}}
"""
LATE = """\
  - id: late
    topics: [axis]
    slack: {{webhook_url: "{late_url}"}}
"""


def replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def context(path: Path, pg_url: str, redis_url: str, every: float = 0) -> AppContext:
    ctx = build_context(path, settings=Settings(DATABASE_URL=pg_url, REDIS_URL=redis_url))
    assert ctx.watcher is not None and isinstance(ctx.queue, RedisQueue)
    ctx.watcher.every = every  # the production default is 2 s between looks
    set_context(ctx)  # what `newswatch notifier` does before it starts the RQ worker
    return ctx


def work(ctx: AppContext) -> None:
    assert isinstance(ctx.queue, RedisQueue)
    ctx.queue.run_worker([jobs.NOTIFY_QUEUE], burst=True)


def test_a_subscription_added_while_running_is_delivered_to(
        tmp_path: Path, pg_clean: str, redis_clean: str, receiver: Receiver) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONFIG.format(desk_url=receiver.url + "/desk"), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean)
    work(ctx)  # the worker is up and idle with the old config

    # The classifier (which reloaded first) routed the next article to the new subscriber.
    replace(path, CONFIG.format(desk_url=receiver.url + "/desk")
            + LATE.format(late_url=receiver.url + "/late"))
    delivery_id = add_article(ctx, "Iran ships Fath-360 ballistic missiles to Russia",
                              subscription="late")
    work(ctx)
    assert delivery(ctx, delivery_id).status == "sent"
    assert [r.path for r in receiver.ok()] == ["/late"]


def test_a_delivery_for_a_subscription_not_yet_reloaded_here_is_sent(
        tmp_path: Path, pg_clean: str, redis_clean: str, receiver: Receiver) -> None:
    """The classifier reloaded first; this notifier's next periodic look is an hour away."""
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONFIG.format(desk_url=receiver.url + "/desk"), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean, every=3600)
    work(ctx)

    replace(path, CONFIG.format(desk_url=receiver.url + "/desk")
            + LATE.format(late_url=receiver.url + "/late"))
    assert ctx.refresh_config() is False  # not due: this process still has the old config
    delivery_id = add_article(ctx, "Iran ships Fath-360 ballistic missiles to Russia",
                              subscription="late")
    work(ctx)
    row = delivery(ctx, delivery_id)
    assert (row.status, row.last_error) == ("sent", None)
    assert [r.path for r in receiver.ok()] == ["/late"]


def test_a_delivery_for_a_removed_subscription_fails_after_a_forced_look(
        tmp_path: Path, pg_clean: str, redis_clean: str, receiver: Receiver) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONFIG.format(desk_url=receiver.url + "/desk"), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean, every=3600)
    delivery_id = add_article(ctx, "Iran ships Fath-360 ballistic missiles to Russia",
                              subscription="gone")
    work(ctx)
    row = delivery(ctx, delivery_id)
    assert (row.status, row.last_error) == ("failed", "subscription is no longer configured")
    assert receiver.ok() == []


def test_a_changed_channel_takes_the_next_alert(
        tmp_path: Path, pg_clean: str, redis_clean: str, receiver: Receiver) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONFIG.format(desk_url=receiver.url + "/old-hook"), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean)
    first = add_article(ctx, "Iran ships Fath-360 ballistic missiles to Russia", subscription="desk")
    work(ctx)

    replace(path, CONFIG.format(desk_url=receiver.url + "/new-hook"))
    second = add_article(ctx, "North Korea sends KN-23 missiles to Russia", subscription="desk")
    work(ctx)
    assert (delivery(ctx, first).status, delivery(ctx, second).status) == ("sent", "sent")
    assert [r.path for r in receiver.ok()] == ["/old-hook", "/new-hook"]


def test_a_broken_edit_keeps_delivering_with_the_last_good_config(
        tmp_path: Path, pg_clean: str, redis_clean: str, receiver: Receiver) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONFIG.format(desk_url=receiver.url + "/desk"), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean)
    replace(path, CONFIG.format(desk_url=receiver.url + "/desk").replace("topics: [axis]",
                                                                       "topics: axis]"))
    delivery_id = add_article(ctx, "Iran ships Fath-360 ballistic missiles to Russia",
                              subscription="desk")
    work(ctx)
    assert delivery(ctx, delivery_id).status == "sent"


def test_topic_names_follow_a_config_swapped_while_they_were_cached(pg_clean: str) -> None:
    """The watch thread replaces ctx.config (and clears the cache) while a job computes the
    names: what the job caches after that names the old config and is not reused."""
    from services.notifier.jobs import topic_names
    from shared.config import AppConfig
    from tests.notifier.world import make_config, make_context

    ctx = make_context(pg_clean, make_config([]))
    before = topic_names(ctx)
    ctx.config = AppConfig.model_validate(
        {"topics": [{"id": "axis", "name": "Arms to Russia (desk wording)"}]})
    assert topic_names(ctx)["axis"] == "Arms to Russia (desk wording)" != before["axis"]


def test_a_reload_keeps_the_http_pool_and_the_pacing(tmp_path: Path, sqlite_url: str) -> None:
    from services.notifier.senders import http_client, pacer
    from shared.config import load_config
    from shared.db import make_engine
    from shared.queue import InlineQueue

    path = tmp_path / "newswatch.yaml"
    path.write_text(CONFIG.format(desk_url="https://hooks.example.org/desk"), encoding="utf-8")
    ctx = AppContext(settings=Settings(), config=load_config(path), engine=make_engine(sqlite_url),
                     queue=InlineQueue(), config_path=path)
    client, pacing = http_client(ctx), pacer(ctx)

    replace(path, CONFIG.format(desk_url="https://hooks.example.org/desk")
            + LATE.format(late_url="https://hooks.example.org/late"))
    assert ctx.reload_config()
    assert http_client(ctx) is client and pacer(ctx) is pacing  # nothing leaked, nothing forgot

    replace(path, CONFIG.format(desk_url="https://hooks.example.org/desk").replace(
        "lease: 2s}", "lease: 2s, timeout: 3s}"))
    assert ctx.reload_config()
    fresh = http_client(ctx)
    assert fresh is not client and client.is_closed and not fresh.is_closed
    assert pacer(ctx) is pacing
    fresh.close()
