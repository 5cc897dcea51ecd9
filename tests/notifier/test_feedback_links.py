"""Alerts carry signed feedback links when a public URL and a secret key are configured."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from shared.feedback_tokens import verify_token

from .conftest import Receiver
from .world import add_article, make_config, make_context, run_until

HOOK = "/services/T9/B9/feedbackhook"
PUBLIC = "https://newswatch.example.org"


def _slack_ctx(pg_clean: str, receiver: Receiver, **settings: str):  # type: ignore[no-untyped-def]
    sub = {"id": "ops", "topics": ["axis"], "slack": {"webhook_url": receiver.url + HOOK}}
    return make_context(pg_clean, make_config([sub]), **settings)


def test_slack_alert_links_to_a_verifiable_feedback_url(pg_clean: str, receiver: Receiver) -> None:
    ctx = _slack_ctx(pg_clean, receiver, NEWSWATCH_SECRET_KEY="k3y", NEWSWATCH_PUBLIC_URL=PUBLIC)
    add_article(ctx, "Iran ships drones to Russia", subscription="ops")
    run_until(ctx, lambda: receiver.ok())
    body = json.loads(receiver.ok()[0].body)
    context = [b for b in body["blocks"] if b["type"] == "context"][-1]["elements"][0]["text"]
    assert "Was this relevant?" in context and "label=not-relevant|Not relevant>" in context
    url = context.split("<", 1)[1].split("?", 1)[0]
    assert url.startswith(PUBLIC + "/feedback/")
    target = verify_token("k3y", url.rsplit("/", 1)[1], now=datetime.now(UTC))
    assert target.topic_id == "axis" and target.article_id > 0


def test_no_secret_no_link(pg_clean: str, receiver: Receiver) -> None:
    ctx = _slack_ctx(pg_clean, receiver, NEWSWATCH_PUBLIC_URL=PUBLIC)
    add_article(ctx, "Iran ships drones to Russia", subscription="ops")
    run_until(ctx, lambda: receiver.ok())
    assert "/feedback/" not in receiver.ok()[0].body.decode()
