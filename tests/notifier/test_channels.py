"""Channels against real local servers: status classification, signatures, no secret leaks."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from services.notifier.channels.console import ConsoleChannel
from services.notifier.channels.email import EmailChannel, SmtpServer
from services.notifier.channels.http import parse_retry_after
from services.notifier.channels.slack import SlackChannel
from services.notifier.channels.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookChannel,
    verify,
)
from services.notifier.pacing import LocalPacer
from shared.exceptions import PermanentDeliveryError, TransientDeliveryError

from .conftest import Receiver, Reply, Smtp
from .test_render import NASTY, make_alert

NOW = datetime.now(UTC)
SECRET_PATH = "/services/T000/B000/sEcReTtOkEn"


def slack(receiver: Receiver, interval: float = 0.0) -> SlackChannel:
    url = SecretStr(receiver.url + SECRET_PATH)
    return SlackChannel(url, httpx.Client(timeout=2), LocalPacer(), interval)


def test_slack_200_returns_receipt(receiver: Receiver) -> None:
    receipt = slack(receiver).send(make_alert(), "delivery-1", NOW)
    assert receipt.status == "200"
    body = json.loads(receiver.ok()[0].body)
    assert body["blocks"] and body["text"]


def test_slack_429_is_transient_with_retry_after_and_defers_the_webhook(
    receiver: Receiver,
) -> None:
    receiver.script = [Reply(429, "rate_limited", {"Retry-After": "1"})]
    channel = slack(receiver)
    with pytest.raises(TransientDeliveryError) as info:
        channel.send(make_alert(), "delivery-1", NOW)
    assert info.value.retry_after == 1.0 and info.value.status == "429"
    channel.send(make_alert(), "delivery-1", NOW)  # waits out the Retry-After itself
    ok = receiver.ok()
    assert len(ok) == 1 and ok[0].at - receiver.requests[0].at >= 0.95


@pytest.mark.parametrize("status", [500, 503])
def test_slack_5xx_is_transient(receiver: Receiver, status: int) -> None:
    receiver.script = [Reply(status, "rollup_error")]
    with pytest.raises(TransientDeliveryError):
        slack(receiver).send(make_alert(), "delivery-1", NOW)


@pytest.mark.parametrize(("status", "reason"), [(404, "no_service"), (400, "invalid_payload")])
def test_slack_4xx_is_permanent_with_reason_and_no_secret(
    receiver: Receiver, status: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.script = [Reply(status, reason)]
    with pytest.raises(PermanentDeliveryError) as info:
        slack(receiver).send(make_alert(), "delivery-1", NOW)
    assert reason in str(info.value) and info.value.status == str(status)
    assert "sEcReT" not in str(info.value)
    assert "sEcReT" not in caplog.text


def test_connection_refused_is_transient_and_redacted() -> None:
    with pytest.raises(TransientDeliveryError) as info:
        SlackChannel(
            SecretStr("http://127.0.0.1:9" + SECRET_PATH), httpx.Client(timeout=1), LocalPacer(), 0
        ).send(make_alert(), "delivery-1", NOW)
    assert "sEcReT" not in str(info.value)


def test_timeout_is_transient(receiver: Receiver) -> None:
    receiver.script = [Reply(200, delay=1.0)]
    channel = SlackChannel(
        SecretStr(receiver.url + SECRET_PATH), httpx.Client(timeout=0.2), LocalPacer(), 0
    )
    with pytest.raises(TransientDeliveryError, match="timeout"):
        channel.send(make_alert(), "delivery-1", NOW)


def test_slack_pacing_keeps_about_one_message_per_second(receiver: Receiver) -> None:
    channel = slack(receiver, interval=0.3)
    for _ in range(3):
        channel.send(make_alert(), "delivery-1", NOW)
    times = [r.at for r in receiver.ok()]
    assert times[2] - times[0] >= 0.55


def test_webhook_signature_verifies(receiver: Receiver) -> None:
    channel = WebhookChannel(
        SecretStr(receiver.url + "/hook"), SecretStr("s3cret-hmac"), httpx.Client(timeout=2)
    )
    channel.send(make_alert(), "delivery-5", NOW)
    got = receiver.ok()[0]
    timestamp, signature = got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER]
    sent = NOW.timestamp()  # NOW is taken at import: a long suite must not age it out
    assert verify("s3cret-hmac", got.body, timestamp, signature, now=sent)
    assert not verify("wrong", got.body, timestamp, signature, now=sent)
    assert not verify("s3cret-hmac", got.body + b" ", timestamp, signature, now=sent)
    assert not verify("s3cret-hmac", got.body, timestamp, signature, now=NOW.timestamp() + 3600)
    assert got.headers["X-Newswatch-Delivery"] == "delivery-5"
    assert json.loads(got.body)["schema"] == "newswatch.alert/v1"


def test_webhook_without_secret_is_unsigned(receiver: Receiver) -> None:
    WebhookChannel(SecretStr(receiver.url + "/hook"), None, httpx.Client(timeout=2)).send(
        make_alert(), "delivery-5", NOW
    )
    assert SIGNATURE_HEADER not in receiver.ok()[0].headers


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Mon, 02 Mar 2026 12:01:00 GMT",
                             datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == 60.0


def _email(smtp: Smtp) -> EmailChannel:
    server = SmtpServer(host=smtp.host, port=smtp.port, sender="newswatch@example.org",
                        password=SecretStr("smtp-pass-XYZ"), timeout=5)
    return EmailChannel(server, ["reader@example.org"])


def test_email_delivers_multipart_with_safe_subject(smtp_server: Smtp) -> None:
    receipt = _email(smtp_server).send(make_alert(title=NASTY), "delivery-9", NOW)
    assert receipt.status == "250"
    (msg,) = smtp_server.handler.messages
    assert "\n" not in msg["Subject"] and msg["Bcc"] is None
    assert msg["Message-ID"] == "<delivery-9@newswatch.local>"
    assert msg.get_content_type() == "multipart/alternative"


def test_email_421_is_transient_550_permanent(smtp_server: Smtp) -> None:
    smtp_server.handler.script = ["421 4.3.0 try again later", "550 5.1.1 mailbox unavailable"]
    channel = _email(smtp_server)
    with pytest.raises(TransientDeliveryError) as transient:
        channel.send(make_alert(), "delivery-9", NOW)
    assert transient.value.status == "421"
    with pytest.raises(PermanentDeliveryError) as permanent:
        channel.send(make_alert(), "delivery-9", NOW)
    assert permanent.value.status == "550" and "mailbox unavailable" in str(permanent.value)


def test_email_connection_refused_is_transient() -> None:
    server = SmtpServer(host="127.0.0.1", port=9, sender="n@example.org", timeout=2)
    with pytest.raises(TransientDeliveryError):
        EmailChannel(server, ["r@example.org"]).send(make_alert(), "delivery-9", NOW)


def test_console_prints_plain_text() -> None:
    stream = io.StringIO()
    assert ConsoleChannel(stream).send(make_alert(), "delivery-1", NOW).status == "printed"
    assert "Cargo ship carrying drone parts" in stream.getvalue()


def test_redis_pacer_shares_slots_between_workers(redis_clean: str) -> None:
    from redis import Redis

    from services.notifier.pacing import RedisPacer, pace_key

    client = Redis.from_url(redis_clean)
    first, second = RedisPacer(client), RedisPacer(client)  # two worker processes, one budget
    key = pace_key("https://hooks.example/services/T/B/x")
    assert "hooks" not in key
    waits = [first.wait(key, 0.2), second.wait(key, 0.2), first.wait(key, 0.2)]
    assert waits[0] < 0.05 and 0.1 < waits[1] <= 0.2 and 0.1 < waits[2] <= 0.2
    second.defer(key, 0.5)
    assert 0.4 < first.wait(key, 0.2) <= 0.5
