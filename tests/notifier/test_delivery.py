"""deliver/send_digest/tick against real PostgreSQL, a real HTTP receiver and aiosmtpd."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

import pytest

from services.notifier import jobs, senders, service
from services.notifier.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from shared import store
from shared.context import AppContext
from shared.models import deliveries

from .conftest import Receiver, Reply, Smtp
from .world import add_article, attempts, delivery, make_config, make_context, run_until

SECRET = "/services/T0/B0/topsecretpath"


def slack_ctx(pg_clean: str, receiver: Receiver, **extra: Any) -> AppContext:
    sub = {"id": "ops", "topics": ["axis"], "slack": {"webhook_url": receiver.url + SECRET},
           **extra.pop("sub", {})}
    return make_context(pg_clean, make_config([sub], **extra))


def test_429_then_200_yields_one_message_after_retry_after(
    pg_clean: str, receiver: Receiver
) -> None:
    ctx = slack_ctx(pg_clean, receiver)
    receiver.script = [Reply(429, "rate_limited", {"Retry-After": "1"})]
    delivery_id = add_article(ctx, "Tanker seized", subscription="ops")
    jobs.deliver(delivery_id)
    row = delivery(ctx, delivery_id)
    assert row.status == "retry" and row.last_status == "429"
    run_until(ctx, lambda: delivery(ctx, delivery_id).status == "sent")
    assert len(receiver.ok()) == 1
    assert receiver.ok()[0].at - receiver.requests[0].at >= 0.95
    assert [a.outcome for a in attempts(ctx, delivery_id)] == ["transient", "sent"]


def test_500_storm_then_recovery_yields_one_message(pg_clean: str, receiver: Receiver) -> None:
    ctx = slack_ctx(pg_clean, receiver)
    receiver.script = [Reply(500, "rollup_error")] * 4 + [Reply(503, "")]
    delivery_id = add_article(ctx, "Drone factory expands", subscription="ops")
    ctx.queue.enqueue("services.notifier.jobs.deliver", delivery_id)
    run_until(ctx, lambda: delivery(ctx, delivery_id).status == "sent")
    assert len(receiver.ok()) == 1 and len(receiver.requests) == 6
    ledger = attempts(ctx, delivery_id)
    assert [a.status for a in ledger] == ["500"] * 4 + ["503", "200"]
    assert delivery(ctx, delivery_id).attempts == 6


def test_404_webhook_fails_with_reason_and_is_not_retried(
    pg_clean: str, receiver: Receiver
) -> None:
    ctx = slack_ctx(pg_clean, receiver)
    receiver.script = [Reply(404, f"no_service {SECRET}")]  # a receiver echoing the secret
    delivery_id = add_article(ctx, "Port closed", subscription="ops")
    jobs.deliver(delivery_id)
    for _ in range(3):
        service.tick(ctx)
        ctx.queue.run_pending()  # type: ignore[attr-defined]
    row = delivery(ctx, delivery_id)
    assert row.status == "failed" and row.last_status == "404"
    assert "no_service" in row.last_error and "topsecret" not in row.last_error
    assert len(receiver.requests) == 1
    (attempt,) = attempts(ctx, delivery_id)
    assert attempt.outcome == "permanent" and "topsecret" not in attempt.detail


def test_a_job_run_twice_sends_once(pg_clean: str, receiver: Receiver) -> None:
    ctx = slack_ctx(pg_clean, receiver)
    delivery_id = add_article(ctx, "Sanctions widened", subscription="ops")
    jobs.deliver(delivery_id)
    jobs.deliver(delivery_id)
    service.tick(ctx)
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    assert len(receiver.ok()) == 1
    assert delivery(ctx, delivery_id).status == "sent"


def test_headline_with_channel_ping_and_newlines_arrives_escaped(
    pg_clean: str, receiver: Receiver
) -> None:
    ctx = slack_ctx(pg_clean, receiver)
    delivery_id = add_article(ctx, "Alert <!channel>\n<https://evil.example|login> & more",
                              subscription="ops")
    jobs.deliver(delivery_id)
    payload = json.loads(receiver.ok()[0].body)
    raw = json.dumps(payload)
    assert "<!channel>" not in raw and "<https://evil" not in raw
    first = payload["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt; &lt;https://evil.example|login&gt; &amp; more" in first
    assert "\n" not in first


def test_webhook_signature_verifies_end_to_end(pg_clean: str, receiver: Receiver) -> None:
    sub = {"id": "hook", "topics": ["axis"],
           "webhook": {"url": receiver.url + "/in", "secret": "hmac-k3y"}}
    ctx = make_context(pg_clean, make_config([sub]))
    delivery_id = add_article(ctx, "Shipment tracked", subscription="hook", channel="webhook")
    jobs.deliver(delivery_id)
    got = receiver.ok()[0]
    assert verify("hmac-k3y", got.body, got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER])
    body = json.loads(got.body)
    assert body["schema"] == "newswatch.alert/v1" and body["delivery_id"] == delivery_id
    assert body["explanation"]["summary"].startswith("Drone components")


def email_ctx(pg_clean: str, smtp: Smtp, **sub: Any) -> AppContext:
    subscription = {"id": "mail", "topics": ["axis"], "email": {"to": ["desk@example.org"]}, **sub}
    return make_context(pg_clean, make_config([subscription]), SMTP_HOST=smtp.host,
                        SMTP_PORT=smtp.port, SMTP_FROM="alerts@example.org")


def test_smtp_421_then_success_delivers_once(pg_clean: str, smtp_server: Smtp) -> None:
    ctx = email_ctx(pg_clean, smtp_server)
    smtp_server.handler.script = ["421 4.3.2 service not available, try later"]
    delivery_id = add_article(ctx, "Convoy spotted", subscription="mail", channel="email")
    jobs.deliver(delivery_id)
    assert delivery(ctx, delivery_id).status == "retry"
    run_until(ctx, lambda: delivery(ctx, delivery_id).status == "sent")
    assert len(smtp_server.handler.messages) == 1
    assert [a.status for a in attempts(ctx, delivery_id)] == ["421", "250"]


def test_smtp_550_fails_permanently(pg_clean: str, smtp_server: Smtp) -> None:
    ctx = email_ctx(pg_clean, smtp_server)
    smtp_server.handler.script = ["550 5.1.1 no such mailbox"]
    delivery_id = add_article(ctx, "Convoy spotted", subscription="mail", channel="email")
    jobs.deliver(delivery_id)
    service.tick(ctx)
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    row = delivery(ctx, delivery_id)
    assert row.status == "failed" and "550" in row.last_error
    assert smtp_server.handler.attempts == 1 and not smtp_server.handler.messages


def test_digest_with_three_items_is_one_email(pg_clean: str, smtp_server: Smtp) -> None:
    ctx = email_ctx(pg_clean, smtp_server, digest={"every": "1h"})
    titles = ["Low item", "Top item", "Middle item"]
    ids = [add_article(ctx, title, score=score, subscription="mail", channel="email",
                       status="queued", mode="digest")
           for title, score in zip(titles, [0.55, 0.95, 0.75], strict=True)]
    service.tick(ctx)
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    (msg,) = smtp_server.handler.messages
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.index("Top item") < body.index("Middle item") < body.index("Low item")
    assert "digest: 3 alerts" in msg["Subject"]
    assert all(delivery(ctx, i).status == "sent" for i in ids)
    service.tick(ctx)  # the same slot never fires twice, an empty one is not sent
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    assert len(smtp_server.handler.messages) == 1


def test_empty_digest_is_not_sent(pg_clean: str, smtp_server: Smtp) -> None:
    ctx = email_ctx(pg_clean, smtp_server, digest={"at": "08:00", "tz": "Europe/London"})
    service.tick(ctx)
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    assert smtp_server.handler.attempts == 0


def test_max_per_hour_folds_the_rest_into_one_summary(pg_clean: str, receiver: Receiver) -> None:
    ctx = slack_ctx(pg_clean, receiver, sub={"max_per_hour": 2})
    ids = [add_article(ctx, f"Story {n}", subscription="ops") for n in range(5)]
    for delivery_id in ids:
        jobs.deliver(delivery_id)
    assert len(receiver.ok()) == 2
    assert [delivery(ctx, i).status for i in ids[2:]] == ["held"] * 3
    later = store.utcnow() + timedelta(hours=1, seconds=1)
    service.tick(ctx, now=later)
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    assert len(receiver.ok()) == 3
    summary = json.loads(receiver.ok()[2].body)
    assert "3 more alerts" in summary["text"]
    assert all(delivery(ctx, i).status == "sent" for i in ids)


def test_quiet_hours_hold_then_send(pg_clean: str, receiver: Receiver) -> None:
    now = store.utcnow()
    start = (now - timedelta(minutes=5)).strftime("%H:%M")
    end = (now + timedelta(minutes=30)).strftime("%H:%M")
    ctx = slack_ctx(pg_clean, receiver, sub={"quiet_hours": {"start": start, "end": end}})
    delivery_id = add_article(ctx, "Night news", subscription="ops")
    jobs.deliver(delivery_id)
    row = delivery(ctx, delivery_id)
    assert row.status == "held" and row.hold_reason == "quiet_hours" and not receiver.requests
    service.tick(ctx, now=store.as_utc(row.next_attempt_at))  # type: ignore[arg-type]
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    assert delivery(ctx, delivery_id).status in ("held", "sent")


def test_retry_budget_is_bounded(pg_clean: str, receiver: Receiver) -> None:
    ctx = slack_ctx(pg_clean, receiver, retry_for="0.3s")
    receiver.script = [Reply(500)] * 50
    delivery_id = add_article(ctx, "Flaky", subscription="ops")
    run_until(ctx, lambda: delivery(ctx, delivery_id).status == "failed")
    assert "gave up after" in delivery(ctx, delivery_id).last_error
    assert not receiver.ok()


def test_expired_lease_is_reclaimed_and_sent_once(pg_clean: str, receiver: Receiver) -> None:
    ctx = slack_ctx(pg_clean, receiver)
    delivery_id = add_article(ctx, "Crashed mid-send", subscription="ops")
    with ctx.engine.begin() as conn:  # what a SIGKILLed worker leaves behind
        conn.execute(deliveries.update().where(deliveries.c.id == delivery_id).values(
            status="sending", claim_token="dead", lease_until=store.utcnow() - timedelta(1)))
    report = service.tick(ctx)
    assert report.reclaimed == [("delivery", delivery_id)]
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    assert len(receiver.ok()) == 1
    assert [a.outcome for a in attempts(ctx, delivery_id)] == ["lost", "sent"]


def test_a_slow_start_past_the_lease_does_not_send_twice(
    pg_clean: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tick reclaims a lease that ran out while the job was still getting ready (its
    first job imports the channel's libraries; a loaded machine): the job sees its claim is
    gone and does not send, and the tick's re-send is the only message (seen as a duplicate
    under load before the lease was renewed just before the send)."""
    ctx = slack_ctx(pg_clean, receiver, lease="1s")
    delivery_id = add_article(ctx, "Slow to start", subscription="ops")
    real = senders.channel_for

    def slow_start(ctx_: AppContext, subscription: Any) -> Any:
        time.sleep(1.2)  # the lease runs out meanwhile, and the tick sees it
        assert service.tick(ctx).reclaimed == [("delivery", delivery_id)]
        return real(ctx_, subscription)

    monkeypatch.setattr(senders, "channel_for", slow_start)
    assert jobs.deliver_with(ctx, delivery_id) == "lost"
    assert receiver.ok() == []
    monkeypatch.setattr(senders, "channel_for", real)

    ctx.queue.run_pending()  # type: ignore[attr-defined]  # the job the tick enqueued
    assert len(receiver.ok()) == 1 and delivery(ctx, delivery_id).status == "sent"
    assert [a.outcome for a in attempts(ctx, delivery_id)] == ["lost", "sent"]


def test_the_lease_restarts_just_before_the_send(pg_clean: str, receiver: Receiver) -> None:
    ctx = slack_ctx(pg_clean, receiver, lease="60s")
    delivery_id = add_article(ctx, "Renewed", subscription="ops")
    with ctx.engine.begin() as conn:
        token = store.claim_delivery(conn, delivery_id, store.utcnow(), timedelta(seconds=1))
    assert token is not None
    claim = jobs.Claim(delivery_id, token, "ops", 1, store.utcnow())

    assert jobs._renew(ctx, "delivery", claim)  # the configured lease, from now
    lease_until = store.as_utc(delivery(ctx, delivery_id).lease_until)
    assert lease_until is not None and lease_until > store.utcnow() + timedelta(seconds=50)
    assert not jobs._renew(ctx, "delivery", jobs.Claim(delivery_id, "someone-else", "ops", 1,
                                                       store.utcnow()))


def test_failed_delivery_can_be_retried(pg_clean: str, receiver: Receiver) -> None:
    ctx = slack_ctx(pg_clean, receiver)
    receiver.script = [Reply(404, "no_service")]
    delivery_id = add_article(ctx, "Retry me", subscription="ops")
    jobs.deliver(delivery_id)
    with ctx.engine.begin() as conn:
        assert store.retry_delivery(conn, delivery_id, store.utcnow())
    jobs.deliver(delivery_id)
    assert delivery(ctx, delivery_id).status == "sent" and len(receiver.ok()) == 1


def test_secrets_never_reach_logs(
    pg_clean: str, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ctx = slack_ctx(pg_clean, receiver)
    receiver.script = [Reply(500, SECRET), Reply(400, "invalid_payload")]
    delivery_id = add_article(ctx, "Quiet", subscription="ops")
    run_until(ctx, lambda: delivery(ctx, delivery_id).status == "failed")
    assert "topsecret" not in caplog.text and "invalid_payload" in caplog.text
