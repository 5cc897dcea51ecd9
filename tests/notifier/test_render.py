"""Rendering: escaping, limits, headers. Pure functions, no servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

from services.notifier import render
from services.notifier.render import Alert, Batch, Envelope

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NASTY = "Drones <!channel> & <https://evil.example|click> shipped\r\nBcc: victim@example.org"


def make_alert(**overrides: object) -> Alert:
    values: dict[str, object] = {
        "subscription_id": "ops-slack",
        "article_id": 7,
        "title": "Cargo ship carrying drone parts docks at Caspian port",
        "url": "https://news.example.org/world/caspian-drones",
        "outlet": "Example World News",
        "published_at": NOW - timedelta(hours=2),
        "first_seen_at": NOW - timedelta(hours=1),
        "topic_id": "axis",
        "topic_name": "Axis arms transfers",
        "score": 0.82,
        "explanation": {
            "summary": "Iran-Russia transfer of drone components by sea",
            "evidence": ["actors: Iran, Russia", "transfer: shipped", "weapons: Shahed"],
            "passage": {"text": "Drone parts cross the Caspian Sea.", "source": "brief.md",
                        "similarity": 0.41},
        },
        "delivery_id": 11,
    }
    values.update(overrides)
    return Alert(**values)  # type: ignore[arg-type]


def _all_text(payload: dict[str, object]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_slack_alert_has_link_outlet_times_topic_score_and_why() -> None:
    payload = render.slack_alert(make_alert(), NOW)
    text = _all_text(payload)
    assert "<https://news.example.org/world/caspian-drones|Cargo ship carrying" in text
    assert "Example World News" in text and "2 h ago" in text
    assert "<!date^" in text and "2026-03-02 10:00 UTC" in text
    assert "Axis arms transfers" in text and "0.82" in text
    assert "Iran-Russia transfer" in text and "weapons: Shahed" in text
    assert "Drone parts cross the Caspian Sea." in text
    assert payload["text"] and payload["unfurl_links"] is False


def test_slack_escapes_mentions_links_and_newlines_in_article_text() -> None:
    alert = make_alert(title=NASTY, outlet="Out<let>", explanation={
        "summary": "<@U123> & <!here>", "evidence": ["<!everyone>"]})
    payload = render.slack_alert(alert, NOW)
    text = _all_text(payload)
    for forbidden in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<https://evil"):
        assert forbidden not in text
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text
    title_block = payload["blocks"][0]["text"]["text"]
    assert "\n" not in title_block and "\r" not in title_block


def test_slack_link_refuses_non_http_and_encodes_delimiters() -> None:
    assert render.slack_link("javascript:alert(1)", "x", 100) == "x"
    assert render.slack_link("https://a.example/p?q=1|2>3", "t", 100) == (
        "<https://a.example/p?q=1%7C2%3E3|t>"
    )


def test_slack_stays_inside_size_limits() -> None:
    huge = "&" * 10_000
    alert = make_alert(title=huge, explanation={"summary": huge, "evidence": [huge] * 50,
                                                 "passage": {"text": huge}})
    payload = render.slack_alert(alert, NOW)
    assert len(payload["text"]) <= render.SLACK_TEXT_LIMIT
    assert len(payload["blocks"]) <= render.SLACK_MAX_BLOCKS
    for block in payload["blocks"]:
        texts = [block["text"]["text"]] if "text" in block else [
            e["text"] for e in block["elements"]]
        for text in texts:
            assert len(text) <= render.SLACK_SECTION_LIMIT
            assert not text.endswith("&amp") and "&am…" not in text


def test_slack_digest_groups_by_topic_highest_score_first() -> None:
    alerts = [
        make_alert(article_id=1, title="low", score=0.5),
        make_alert(article_id=2, title="other", score=0.7, topic_id="b", topic_name="Bravo"),
        make_alert(article_id=3, title="high", score=0.9),
    ]
    payload = render.slack_batch(Batch("ops", "digest", alerts), NOW)
    text = _all_text(payload)
    assert text.index("high") < text.index("low")
    assert text.index("Axis arms") < text.index("Bravo")
    assert "digest: 3 alerts" in payload["text"]


def test_email_headers_cannot_be_injected_and_html_is_escaped() -> None:
    alert = make_alert(title=NASTY + " <script>alert(1)</script>")
    envelope = Envelope(sender="newswatch@example.org", to=["reader@example.org"],
                        message_key="delivery-11", unsubscribe="mailto:unsub@example.org")
    msg = render.email(alert, envelope, NOW)
    raw = msg.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert "Axis arms transfers" in parsed["Subject"] and "Drones" in parsed["Subject"]
    assert parsed["Message-ID"] == "<delivery-11@newswatch.local>"
    assert parsed["Date"] and parsed["List-Id"] and parsed["List-Unsubscribe"]
    assert parsed.get_content_type() == "multipart/alternative"
    html_part = parsed.get_body(("html",))
    assert html_part is not None
    body = html_part.get_content()
    assert "<script>" not in body and "&lt;script&gt;" in body
    plain_part = parsed.get_body(("plain",))
    assert plain_part is not None and "Why: Iran-Russia" in plain_part.get_content()


def test_webhook_payload_is_versioned_and_complete() -> None:
    payload = render.webhook_alert(make_alert(), NOW)
    assert payload["schema"] == "newswatch.alert/v1"
    assert payload["article"]["title"].startswith("Cargo ship")
    assert payload["topic"] == {"id": "axis", "name": "Axis arms transfers"}
    assert payload["subscription"] == {"id": "ops-slack"}
    assert payload["explanation"]["evidence"][0] == "actors: Iran, Russia"
    json.dumps(payload)  # serialisable as is


def test_test_messages_are_clearly_marked() -> None:
    alert = make_alert(test=True)
    assert render.email_subject(alert).startswith("[newswatch] Axis arms transfers: [TEST]")
    assert "[TEST]" in render.slack_alert(alert, NOW)["text"]


def test_story_updates_are_marked() -> None:
    alert = make_alert(update=True)
    assert render.slack_alert(alert, NOW)["text"].startswith("Update: Cargo ship")
    assert render.webhook_alert(alert, NOW)["update"] is True
