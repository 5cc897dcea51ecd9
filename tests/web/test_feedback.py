"""👍/👎 from the pages and from signed alert links land in the feedback table."""

from __future__ import annotations

from datetime import timedelta

from services.classifier.learning import learned_topics
from shared import store
from shared.config import AppConfig
from shared.db import make_engine
from shared.feedback_tokens import make_token
from shared.topics import resolve_topics
from tests.web.conftest import SECRET_KEY, WebServer, csrf_of
from tests.web.world import EXPLANATION_HIT, FEEDS, _article, _story, seed


def _labels(db_url: str) -> dict[tuple[int, str], tuple[str, str]]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = store.list_feedback(conn)
    engine.dispose()
    return {(r.article_id, r.topic_id): (r.label, r.source) for r in rows}


def test_article_and_story_buttons_store_labels(web: WebServer) -> None:
    world = seed(web.db_url)
    with web.client() as client:
        token = csrf_of(client.get("/stories").text)
        response = client.post("/feedback", data={
            "csrf": token, "article_id": str(world.articles["hit2"]), "topic_id": "axis",
            "label": "not-relevant", "next": "/stories?band=all"})
        assert response.status_code == 303 and response.headers["location"] == "/stories?band=all"
        assert _labels(web.db_url) == {(world.articles["hit2"], "axis"): ("not-relevant", "web")}

        story = world.stories["hit"]
        response = client.post(f"/stories/{story}/feedback", data={
            "csrf": token, "topic_id": "axis", "label": "relevant", "next": "//evil.example/"})
        assert response.status_code == 303 and response.headers["location"] == f"/stories/{story}"
        labels = _labels(web.db_url)  # the best-scoring member only (hit1, 0.81), not all three
        assert labels == {(world.articles["hit1"], "axis"): ("relevant", "web"),
                          (world.articles["hit2"], "axis"): ("not-relevant", "web")}
        page = client.get(f"/stories/{story}").text
        assert 'class="up on"' in page

        bad = client.post("/feedback", data={"csrf": token, "article_id": "1",
                                             "topic_id": "axis", "label": "maybe"})
        assert bad.status_code == 400 and "label must be one of" in bad.text
        missing = client.post("/feedback", data={"csrf": token, "article_id": "987654",
                                                 "topic_id": "axis", "label": "relevant"})
        assert missing.status_code == 404


def test_signed_link_confirms_before_it_stores(web: WebServer) -> None:
    world = seed(web.db_url)
    article = world.articles["near1"]
    now = store.utcnow()
    token = make_token(SECRET_KEY, article, "axis", now=now, ttl=timedelta(days=30))
    with web.client() as client:
        page = client.get(f"/feedback/{token}?label=relevant")
        assert page.status_code == 200
        assert "Tehran denies arms transfers" in page.text
        assert _labels(web.db_url) == {}  # GET changes nothing
        done = client.post(f"/feedback/{token}", data={"csrf": csrf_of(page.text),
                                                       "label": "relevant"})
        assert done.status_code == 200 and "Saved" in done.text
        assert _labels(web.db_url) == {(article, "axis"): ("relevant", "link")}

        expired = make_token(SECRET_KEY, article, "axis", now=now - timedelta(days=31),
                             ttl=timedelta(days=30))
        response = client.get(f"/feedback/{expired}")
        assert response.status_code == 400 and "expired" in response.text
        forged = make_token("another-key", article, "axis", now=now, ttl=timedelta(days=1))
        response = client.get(f"/feedback/{forged}")
        assert response.status_code == 400 and "signature" in response.text
        assert client.get("/feedback/not-a-token").status_code == 400


def test_a_story_vote_teaches_what_one_article_label_does(web: WebServer) -> None:
    """A 👎 on a story syndicated by ten outlets is one reader decision: one label."""
    world = seed(web.db_url)
    engine = make_engine(web.db_url)
    copies = [f"copy{i}" for i in range(10)]
    with engine.begin() as conn:
        seen = store.utcnow() - timedelta(hours=1)
        for i, key in enumerate(copies):
            _article(conn, world, key, FEEDS[i % 3].name or "",
                     "Iran’s Khamenei says US weapons makers want to keep the Ukraine war going",
                     seen=seen + timedelta(minutes=i), score=0.70 - i * 0.01,
                     explanation=EXPLANATION_HIT)
        story = _story(conn, world, "syndicated", [(k, FEEDS[i % 3].name or "")
                                                   for i, k in enumerate(copies)])
    topics = [t for t in resolve_topics(AppConfig()) if t.id == "axis"]

    def learned() -> tuple[list[tuple[int, str, str]], object, float]:
        with engine.connect() as conn:
            rows = store.list_feedback(conn)
        topic = learned_topics(topics, rows)[0]
        return [(r.article_id, r.topic_id, r.label) for r in rows], topic.learned_weights, \
            topic.threshold

    with web.client() as client:
        token = csrf_of(client.get("/stories").text)
        response = client.post(f"/stories/{story}/feedback", data={
            "csrf": token, "topic_id": "axis", "label": "not-relevant"})
        assert response.status_code == 303
        by_story = learned()
        response = client.post("/feedback", data={
            "csrf": token, "article_id": str(world.articles["copy0"]), "topic_id": "axis",
            "label": "not-relevant"})
        assert response.status_code == 303
        by_article = learned()
    engine.dispose()
    assert by_story[0] == [(world.articles["copy0"], "axis", "not-relevant")]
    assert by_story == by_article
