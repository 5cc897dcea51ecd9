"""What alerts say about their story: the first-seen line, the others' links, digest grouping.

Pure rendering, no servers. The other outlets' texts are as untrusted as the alert's own, so
every channel is fed hostile titles, outlets and links.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from services.notifier import render
from services.notifier.jobs import story_view
from services.notifier.render import Batch, Story, StoryLink

from .test_render import NOW, make_alert

HOSTILE = StoryLink("Daily <!channel> Post", "Missiles\r\nBcc: victim@example.org <!here>",
                    "javascript:alert(document.cookie)")
GOOD = StoryLink("Caspian Herald", "Port officials confirm Iranian cargo & crates",
                 "https://herald.example.com/port?id=1&ref=rss")


def make_story(**overrides: Any) -> Story:
    values: dict[str, Any] = {
        "story_id": 5, "first_seen_at": NOW - timedelta(hours=2), "first_outlet": "Gulf Wire",
        "outlet_count": 4, "article_count": 6, "others": (GOOD, HOSTILE),
    }
    values.update(overrides)
    return Story(**values)


def _texts(payload: dict[str, Any]) -> list[str]:
    """Every mrkdwn/plain text of a Block Kit message, one per field."""
    found: list[str] = [payload["text"]]
    for block in payload["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [element["text"] for element in block.get("elements", [])]
    return found


def test_every_alert_says_where_and_when_first_seen_and_how_many_outlets() -> None:
    alert = make_alert(story=make_story())
    line = "First seen 2 h ago at Gulf Wire · reported by 4 outlets so far"
    assert line in render.plain_alert(alert, NOW).splitlines()
    slack_text = "\n".join(_texts(render.slack_alert(alert, NOW)))
    assert "First seen 2 h ago at *Gulf Wire* · reported by *4 outlets* so far" in slack_text
    assert "First seen 2 h ago at <b>Gulf Wire</b> · reported by <b>4 outlets</b> so far" in (
        render.html_alert(alert, NOW))
    # a first alert does not list the others: they are for updates and digests
    for body in (render.plain_alert(alert, NOW), slack_text, render.html_alert(alert, NOW)):
        assert "Also reported by" not in body
    single = make_alert(story=make_story(outlet_count=1, others=()))
    assert "reported by 1 outlet so far" in render.plain_alert(single, NOW)


def test_alert_without_story_renders_as_before() -> None:
    alert = make_alert()
    assert "First seen" not in render.plain_alert(alert, NOW)
    assert render.webhook_alert(alert, NOW)["story"] is None


def test_slack_update_links_the_others_with_hostile_text_neutralised() -> None:
    alert = make_alert(update=True, story=make_story())
    payload = render.slack_alert(alert, NOW)
    texts = _texts(payload)
    joined = "\n".join(texts)
    assert texts[1].startswith("*<https://news.example.org/world/caspian-drones|Update: ")
    assert "*Also reported by:*" in joined
    assert ("<https://herald.example.com/port?id=1&amp;ref=rss|Port officials confirm Iranian cargo "
            "&amp; crates> · Caspian Herald") in joined
    for forbidden in ("<!channel>", "<!here>", "javascript:", "\r"):
        assert forbidden not in joined
    assert "Missiles Bcc: victim@example.org &lt;!here&gt; · Daily &lt;!channel&gt; Post" in joined
    assert "and 1 more outlet" in joined  # 4 outlets: this one, two linked, one more
    also = next(t for t in texts if t.startswith("*Also reported by:*"))
    assert all(line.startswith(("*Also", "• ", "and ")) for line in also.split("\n"))


def test_plain_update_is_one_line_per_fact_and_drops_unsafe_links() -> None:
    alert = make_alert(update=True, story=make_story())
    lines = render.plain_alert(alert, NOW).splitlines()
    start = lines.index("Also reported by:")
    assert lines[start - 1] == "First seen 2 h ago at Gulf Wire · reported by 4 outlets so far"
    assert lines[start + 1:start + 4] == [
        "  - Caspian Herald: Port officials confirm Iranian cargo & crates "
        "https://herald.example.com/port?id=1&ref=rss",
        "  - Daily <!channel> Post: Missiles Bcc: victim@example.org <!here>",
        "  - and 1 more outlet",
    ]
    assert "javascript:" not in "\n".join(lines)


def test_html_update_escapes_the_others_and_links_only_http() -> None:
    alert = make_alert(update=True, story=make_story())
    page = render.html_alert(alert, NOW)
    assert '<a href="https://herald.example.com/port?id=1&amp;ref=rss">Port officials confirm ' \
           "Iranian cargo &amp; crates</a> · Caspian Herald" in page
    assert "Missiles Bcc: victim@example.org &lt;!here&gt; · Daily &lt;!channel&gt; Post" in page
    assert "javascript:" not in page and "<!here>" not in page and "<!channel>" not in page


def test_email_of_an_update_keeps_headers_clean() -> None:
    alert = make_alert(update=True, story=make_story())
    envelope = render.Envelope("newswatch@example.org", ["analyst@example.org"], "delivery-11")
    msg = render.email(alert, envelope, NOW)
    assert msg["Bcc"] is None and msg["Subject"].startswith("[newswatch] Axis arms transfers: Upd")
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "First seen 2 h ago at Gulf Wire" in text and "Also reported by:" in text


def test_webhook_carries_a_story_object_and_stays_v1() -> None:
    alert = make_alert(update=True, story=make_story())
    payload = render.webhook_alert(alert, NOW)
    assert payload["schema"] == "newswatch.alert/v1" and payload["update"] is True
    assert payload["story"] == {
        "id": 5, "first_seen_at": "2026-03-02T10:00:00+00:00", "first_outlet": "Gulf Wire",
        "outlet_count": 4, "article_count": 6,
        "others": [
            {"outlet": "Caspian Herald", "title": GOOD.title, "url": GOOD.url},
            {"outlet": HOSTILE.outlet, "title": HOSTILE.title, "url": None},
        ],
    }
    json.dumps(payload)  # JSON-ready


def _digest(*alerts: Any) -> Batch:
    return Batch("morning", "digest", list(alerts), 3)


def _two_of_one_story() -> Batch:
    story = make_story(outlet_count=2, article_count=2, first_outlet="Gulf Wire",
                       others=(GOOD,))
    lead = make_alert(title="Iranian cargo docks at Astrakhan", outlet="Gulf Wire",
                      url="https://gulf.example.net/astrakhan", score=0.9, article_id=1,
                      delivery_id=21, story=story)
    other_story = make_story(outlet_count=2, article_count=2, first_outlet="Gulf Wire",
                             others=(StoryLink("Gulf Wire", lead.title, lead.url),))
    second = make_alert(title=GOOD.title, outlet="Caspian Herald", url=GOOD.url, score=0.6,
                        article_id=2, delivery_id=22, update=True, story=other_story)
    lone = make_alert(title="Shahed plant expands", outlet="Steppe Times", score=0.7,
                      article_id=3, delivery_id=23)
    return _digest(second, lone, lead)


def test_digest_lists_one_entry_per_story_with_both_outlets() -> None:
    batch = _two_of_one_story()
    assert render.batch_heading(batch) == "newswatch digest: 3 alerts in 2 stories"
    text = render.plain_batch(batch, NOW)
    assert "== Axis arms transfers (2) ==" in text
    entries = [line for line in text.splitlines() if line.startswith("* [")]
    assert entries == ["* [0.90] Iranian cargo docks at Astrakhan", "* [0.70] Shahed plant expands"]
    assert "  First seen 2 h ago at Gulf Wire · reported by 2 outlets so far" in text
    assert "    - Caspian Herald: " + GOOD.title + " " + GOOD.url in text
    assert text.count("Caspian Herald") == 1  # the second article is folded into its story

    slack_text = "\n".join(_texts(render.slack_batch(batch, NOW)))
    assert slack_text.count("• `") == 2
    assert "reported by *2 outlets* so far" in slack_text
    assert "*Also reported by:* <https://herald.example.com/port?id=1&amp;ref=rss|Caspian Herald>" in (
        slack_text)

    page = render.html_batch(batch, NOW)
    assert page.count("<li>") == 2
    assert 'Also reported by: <a href="https://herald.example.com/port?id=1&amp;ref=rss">' \
           "Caspian Herald</a>" in page

    items = render.webhook_batch(batch, NOW)["items"]
    assert [item["delivery_id"] for item in items] == [21, 22, 23]  # one story's items adjacent
    assert items[0]["story"]["id"] == items[1]["story"]["id"] == 5 and items[2]["story"] is None


def test_digest_story_with_hostile_others_is_escaped_everywhere() -> None:
    alert = make_alert(story=make_story())
    batch = _digest(alert)
    slack_text = "\n".join(_texts(render.slack_batch(batch, NOW)))
    page = render.html_batch(batch, NOW)
    plain = render.plain_batch(batch, NOW)
    for body in (slack_text, page, plain):
        assert "javascript:" not in body and "\r" not in body
    for body in (slack_text, page):
        assert "<!channel>" not in body and "<!here>" not in body
    assert "Daily &lt;!channel&gt; Post, and 1 more outlet" in slack_text
    assert not re.search(r"^Bcc:", plain, re.MULTILINE)


def test_slack_digest_of_many_wide_stories_stays_inside_limits() -> None:
    long_url = "https://news.example.org/" + "a&b<" * 200
    others = tuple(StoryLink("&" * 300, "<" * 500, long_url) for _ in range(5))
    alerts = [
        make_alert(title="&" * 2000, url=long_url, outlet="<" * 500, article_id=n, delivery_id=n,
                   score=1 - n / 1000, topic_name=f"topic {n % 7}",
                   story=make_story(story_id=n, others=others, outlet_count=40))
        for n in range(120)
    ]
    payload = render.slack_batch(_digest(*alerts), NOW)
    assert len(payload["blocks"]) <= render.SLACK_MAX_BLOCKS
    for block in payload["blocks"]:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= render.SLACK_SECTION_LIMIT
        if block["type"] == "section":
            assert text.count("<") == text.count(">")  # no link cut in half
    listed = sum(b["text"]["text"].count("• `") for b in payload["blocks"] if b["type"] == "section")
    more = int(re.findall(r"and (\d+) more\.", json.dumps(payload))[-1])
    assert listed + more == 120


def test_story_view_links_one_article_per_other_outlet_and_caps_them() -> None:
    block = {
        "id": 9, "first_seen_at": "2026-03-02T09:00:00+00:00", "first_outlet": "Alpha",
        "article_count": 9, "outlet_count": 8,
        "articles": [
            {"article_id": 1, "outlet": "Alpha", "title": "a1", "url": "https://a.example/1"},
            {"article_id": 2, "outlet": "Beta", "title": "b1", "url": "https://b.example/1"},
            {"article_id": 3, "outlet": "Alpha", "title": "a2", "url": "https://a.example/2"},
            {"article_id": 4, "outlet": "Beta", "title": "b2", "url": "https://b.example/2"},
            *({"article_id": 10 + n, "outlet": f"O{n}", "title": f"o{n}", "url": None}
              for n in range(6)),
        ],
    }
    story = story_view(block, article_id=3, outlet="Alpha")
    assert story is not None
    assert story.first_outlet == "Alpha" and story.first_seen_at.hour == 9
    assert [link.title for link in story.others] == ["b1", "o0", "o1", "o2", "o3"]
    assert len(story.others) == render.OTHERS_SHOWN and story.more_outlets == 2
