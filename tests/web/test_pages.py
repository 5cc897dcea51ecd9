"""Every page against a real server: empty database, a seeded desk, hostile feed text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import store
from shared.feedback_tokens import make_token
from tests.web.conftest import SECRET_KEY, WebServer
from tests.web.world import FEED_KEY, HOSTILE_MARKERS, SLACK_SECRET, SMTP_PASSWORD, seed

PAGES = ["/stories", "/stories?band=near", "/stories?band=all&since=30d", "/topics", "/feeds",
         "/feeds?sort=errors&order=desc", "/deliveries", "/deliveries?status=failed",
         "/deliveries?status=held"]


def test_every_page_renders_on_an_empty_database(web: WebServer) -> None:
    server = web
    with server.client() as client:
        for page in PAGES:
            response = client.get(page)
            assert response.status_code == 200, page
            assert "<title>" in response.text and 'name="viewport"' in response.text
        assert "No stories in this view" in client.get("/stories").text
        assert "No feeds yet" in client.get("/feeds").text
        assert "No deliveries" in client.get("/deliveries").text
        assert client.get("/healthz").text == "ok"
        assert client.get("/").headers["location"] == "/stories"


def test_stories_show_score_outlets_alerts_and_the_explanation(
    web: WebServer,
) -> None:
    server = web
    world = seed(server.db_url)
    with server.client() as client:
        html = client.get("/stories").text
        assert "Iranian Shahed drones shipped to Russia via Caspian port" in html
        assert "0.81" in html  # the story's best score
        for outlet in ("Kyiv Wire", "Caspian Monitor", "Baltic Desk"):
            assert outlet in html
        assert "desk-slack" in html  # whom it was alerted to
        assert "Iran</b>: Tehran, IRGC" in html  # evidence per clause
        assert "Caspian port of Makhachkala" in html  # nearest reference passage
        assert "similarity 0.47" in html
        assert "&#39;summit&#39; discounted" in html  # what lowered the score
        assert "Tehran denies" not in html  # near miss: not in the default band
        assert "Baltic ferry" not in html

        near = client.get("/stories?band=near").text
        assert "Tehran denies arms transfers" in near and "Iranian Shahed" not in near
        assert "denial: &#39;denies&#39; lowers" in near
        assert "Baltic ferry timetable" in client.get("/stories?band=all").text

        assert "Iranian Shahed" not in client.get("/stories?alerted=no").text
        assert "Iranian Shahed" in client.get("/stories?alerted=yes").text
        by_mail = client.get("/stories?subscription=analyst-mail&alerted=yes").text
        assert "Iranian Shahed" not in by_mail  # alerted to desk-slack only

        story = client.get(f"/stories/{world.stories['hit']}").text
        assert "Cargo of Shahed-136 drones reached Makhachkala" in story
        assert "held" in story and "sent" in story  # its ledger rows
        assert client.get("/stories/999999").status_code == 404


def test_bad_filters_are_a_clear_400(web: WebServer) -> None:
    server = web
    with server.client() as client:
        response = client.get("/stories?band=everything")
        assert response.status_code == 400
        assert "unknown band" in response.text and "above" in response.text
        assert client.get("/stories?topic=nope").status_code == 400
        assert client.get("/feeds?sort=secret").status_code == 400
        assert client.get("/deliveries?status=lost").status_code == 400


def test_topics_feeds_and_deliveries_pages(web: WebServer) -> None:
    server = web
    world = seed(server.db_url)
    with server.client() as client:
        topics = client.get("/topics").text
        assert "threshold" in topics.lower() and "0.60" in topics
        assert "<svg" in topics and "1 alert<" in topics  # today's sent alert in the chart
        feeds = client.get("/feeds?sort=errors&order=desc").text
        assert feeds.index("Baltic Desk") < feeds.index("Kyiv Wire")  # most errors first
        assert "timeout" in feeds and "timed out after 30s" in feeds
        assert "38.5" in feeds
        failed = client.get("/deliveries?status=failed").text
        assert f"/deliveries/{world.deliveries['failed']}/retry" in failed
        assert "550 mailbox unavailable" in failed
        assert "Retry" not in client.get("/deliveries?status=held").text


@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
def test_no_secret_and_no_feed_markup_reaches_any_page(
    web: WebServer, hostile: bool,
) -> None:
    server = web
    world = seed(server.db_url, hostile=hostile)
    pages = [*PAGES, *(f"/stories/{s}" for s in world.stories.values())]
    if hostile:  # the page an alert's feedback link opens names the article too
        token = make_token(SECRET_KEY, world.articles["evil"], "axis", now=store.utcnow(),
                           ttl=timedelta(days=1))
        pages.append(f"/feedback/{token}?label=relevant")
    with server.client() as client:
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            html = response.text
            for secret in (SLACK_SECRET, "s3cr3tWebhookToken", FEED_KEY, SMTP_PASSWORD):
                assert secret not in html, f"{secret!r} rendered on {page}"
            for marker in HOSTILE_MARKERS:
                assert marker not in html, f"unescaped {marker!r} on {page}"
        if hostile:
            stories = client.get("/stories").text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in stories
            assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in stories
            assert "&lt;script&gt;" in client.get("/feeds").text
            assert "&lt;script&gt;" in client.get("/deliveries").text
