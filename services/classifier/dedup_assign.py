"""Story assignment inside the classifier job, and the one-alert-per-story gate.

Each classifier worker process keeps a ``StoryIndex`` of the window in memory and catches it up
from ``story_members`` (ordered by ``seq``) once per classify batch. Assignment runs under
``store.lock_story_assignment`` (a PostgreSQL transaction-level advisory lock; SQLite's single
writer lock on SQLite), so two workers never open two stories for one event: the second waits,
then reads the first one's committed member rows during catch-up.

Articles of one batch are added to the index as they are assigned (a batch may hold several
reports of one event); their new stories are created, and their memberships inserted, in one
statement each. The worker moves its ``last_seq`` past the memberships it inserted itself, so
its next catch-up reads only other workers' assignments. If the transaction fails, ``forget``
drops the whole index, which the next batch rebuilds from the database: no phantom story
survives a rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row

from services.classifier.stories import (
    GroupingParams,
    StoryArticle,
    StoryIndex,
    article_time,
)
from shared import store
from shared.config import StoriesConfig

log = logging.getLogger(__name__)

CACHE_KEY = "story_assigner"
CATCH_UP_CHUNK = 256  # rows featurised together when the index catches up (a rebuild: all)
WINDOW_SLACK = 1.5  # keep a little more than the window: clocks and feeds disagree


def outlet_of(article: Row[Any]) -> str:
    """The outlet alerts name: the feed's configured name, its own title, else the host."""
    for value in (article.feed_name, article.feed_title):
        if value:
            return str(value)
    host = urlsplit(article.url or article.feed_url or "").hostname or "unknown"
    return host.removeprefix("www.")


def _story_article(
    key: int, outlet: str, url: str | None, title: str, summary: str, seen_at: datetime
) -> StoryArticle:
    return StoryArticle(key, outlet, url or "", title or "", summary or "", seen_at)


class StoryAssigner:
    """One per worker process (kept in ``AppContext.cache``); see the module docstring."""

    def __init__(self, config: StoriesConfig) -> None:
        self.config = config
        self.index = StoryIndex(GroupingParams(
            window=config.window, syndicated_threshold=config.syndicated_threshold,
            event_threshold=config.event_threshold, story_threshold=config.story_threshold,
        ))
        self.last_seq = 0

    def assign(self, conn: Connection, article: Row[Any], now: datetime) -> int:
        """The story id of ``article``, creating the story or the membership as needed."""
        return self.assign_batch(conn, [article], now)[article.id]

    def assign_batch(
        self, conn: Connection, batch: Sequence[Row[Any]], now: datetime
    ) -> dict[int, int]:
        """Story id of each article of ``batch``, in order; one lock, one catch-up."""
        ids = [article.id for article in batch]
        known = store.story_members_of(conn, ids)
        if all(i in known for i in ids):
            return known
        if store.lock_story_assignment(conn):
            known.update(store.story_members_of(conn, [i for i in ids if i not in known]))
        pending = [article for article in batch if article.id not in known]
        if not pending:
            return known
        times = {a.id: article_time(store.as_utc(a.published_at),
                                    store.as_utc(a.first_seen_at) or now) for a in pending}
        self.catch_up(conn, min(now, *times.values()))
        new_stories: list[store.NewStory] = []
        placed: list[tuple[Row[Any], str, Any]] = []
        docs = {article.id: _story_article(article.id, outlet_of(article), article.url,
                                           article.title, article.summary, times[article.id])
                for article in pending}
        self.index.prepare(list(docs.values()))
        for article in pending:
            if article.id in known:
                continue  # twice in one batch
            doc = docs[article.id]
            outlet = doc.outlet
            found = self.index.assign(doc)
            story_id = found.story_id
            if story_id is None:  # numbered below zero until the rows exist
                new_stories.append(store.NewStory(doc.title or doc.url, article.id, doc.seen_at))
                story_id = -len(new_stories)
            self.index.add(doc, story_id)
            known[article.id] = story_id
            placed.append((article, outlet, found))
        real = store.create_stories(conn, new_stories)
        for article_id, story_id in known.items():
            if story_id < 0:
                known[article_id] = real[-story_id - 1]
                self.index.relabel(article_id, known[article_id])
        members = []
        for article, outlet, found in placed:
            matched = found.matched_key if isinstance(found.matched_key, int) else None
            members.append(store.NewMember(
                article_id=article.id, story_id=known[article.id], outlet=outlet,
                reason=found.reason.value, matched_article_id=matched,
                similarity=round(found.similarity, 4), seen_at=times[article.id],
            ))
            log.debug("article %s -> story %s (%s, %.2f, like %s)", article.id,
                      known[article.id], found.reason.value, found.similarity, found.matched_key)
        seqs = store.add_story_members(conn, members)
        # The lock is held since the catch-up: no other assignment committed in between, so
        # the index already holds everything up to these rows (it added them itself).
        self.last_seq = max([self.last_seq, *seqs])
        log.info("%d articles assigned to stories (%d new)", len(members), len(new_stories))
        return known

    def forget(self) -> None:
        """Drop the in-memory window (its batch rolled back); the next catch-up rebuilds it."""
        self.index = StoryIndex(self.index.params)
        self.last_seq = 0

    def catch_up(self, conn: Connection, now: datetime) -> None:
        """Add assignments committed since the last call (by any worker) to the index.

        ``now`` is the earlier of the clock and the article's time, so a backfilled article
        still meets the stories of its own days.
        """
        since = now - self.config.window * WINDOW_SLACK
        rows = store.story_members_since(conn, self.last_seq, since)
        for lo in range(0, len(rows), CATCH_UP_CHUNK):
            chunk = rows[lo:lo + CATCH_UP_CHUNK]
            docs = [_story_article(row.article_id, row.outlet, row.url, row.title, row.summary,
                                   store.as_utc(row.seen_at) or now) for row in chunk]
            self.index.prepare(docs)
            for row, doc in zip(chunk, docs, strict=True):
                self.index.add(doc, int(row.story_id))
                self.last_seq = max(self.last_seq, int(row.seq))
        if rows:
            log.debug("story index caught up %d assignments to seq %d", len(rows), self.last_seq)


def assigner(cache: dict[str, Any], config: StoriesConfig) -> StoryAssigner:
    """The process's assigner; rebuilt when the config (and so the cache) is reloaded."""
    current = cache.get(CACHE_KEY)
    if not isinstance(current, StoryAssigner) or current.config != config:
        current = StoryAssigner(config)
        cache[CACHE_KEY] = current
    return current


def story_gate(
    conn: Connection, config: StoriesConfig, *, subscription_id: str, story_id: int,
    score: float, now: datetime,
) -> Literal["alert", "update"] | None:
    """What this subscription may receive for this article of ``story_id``.

    ``alert`` for the story's first relevant article; ``update`` once the story has grown
    (``update_min_new_outlets`` more outlets, or a score ``update_score_gain`` higher) and
    ``update_min_interval`` has passed, at most ``max_updates`` times; otherwise nothing.
    """
    story = store.get_story(conn, story_id)
    outlets = int(story.outlet_count) if story is not None else 1
    if store.claim_story_alert(conn, subscription_id=subscription_id, story_id=story_id,
                               outlet_count=outlets, score=score, now=now):
        return "alert"
    if not config.updates or config.max_updates <= 0:
        return None
    if store.claim_story_update(
        conn, subscription_id=subscription_id, story_id=story_id, outlet_count=outlets,
        score=score, now=now, min_new_outlets=config.update_min_new_outlets,
        score_gain=config.update_score_gain, min_interval=config.update_min_interval,
        max_updates=config.max_updates,
    ):
        return "update"
    return None
