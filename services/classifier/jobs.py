"""The classifier's RQ job: score articles against every topic, put them in stories, route them.

A job takes one article id or a batch of ids (the fetcher enqueues one job per stored batch).
Scoring runs before the transaction (CPU only, no lock held); then one transaction per batch
saves the scores, assigns the stories and writes the delivery ledger. If it fails nothing of
the batch is kept: the articles stay unscored and the recovery sweep enqueues them again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from services.classifier.dedup_assign import assigner
from services.classifier.learning import learned_topics
from services.classifier.routing import create_deliveries
from services.classifier.scorer import TopicScorer, build_scorers
from shared import jobs, store
from shared.context import AppContext, get_context
from shared.exceptions import ClassifyError, QueueError
from shared.retry import describe, is_transient, transient_retry
from shared.topics import resolve_topics

log = logging.getLogger(__name__)

_SCORERS = "scorers"  # ctx.cache key: (config, feedback watermark, scorers)


def scorers(ctx: AppContext) -> dict[str, TopicScorer]:
    """The scorers, with what the topics learned from feedback labels so far.

    Built once, then again when the config object changes (a reload) or the feedback
    watermark moves (a 👍/👎 from the web view, a signed link, ``newswatch feedback``): one
    cheap query per batch tells, so new labels apply to the next batch without a restart.
    The cache entry names the config it was built from, so scorers built from a config that a
    reload replaced meanwhile are never used for the new one.
    """
    config = ctx.config  # one snapshot: the watch thread may swap ctx.config while we build
    with ctx.engine.connect() as conn:
        mark = store.feedback_watermark(conn)
        cached: tuple[object, object, dict[str, TopicScorer]] | None = ctx.cache.get(_SCORERS)
        if cached is not None and cached[0] is config and cached[1] == mark:
            return cached[2]
        if cached is not None and cached[0] is config:
            log.info("feedback labels changed: relearning the topics")
        feedback = store.list_feedback(conn)
    built = build_scorers(learned_topics(resolve_topics(config), feedback))
    ctx.cache[_SCORERS] = (config, mark, built)
    return built


@transient_retry
def classify_article(article_id: int | Sequence[int]) -> None:
    """Idempotent: rescoring rewrites the scores; the delivery ledger refuses duplicates.

    A batch that fails for a reason other than an outage is retried one article at a time,
    so one article that cannot be classified does not leave the rest of its batch unscored.
    """
    ids = [article_id] if isinstance(article_id, int) else [int(i) for i in article_id]
    if len(ids) == 1:
        classify_articles(ids)
        return
    try:
        classify_articles(ids)
    except Exception as exc:
        if is_transient(exc):
            raise  # the whole batch waits for the server (transient_retry)
        log.warning("batch of %d articles failed (%s); classifying them one by one",
                    len(ids), describe(exc))
        _classify_one_by_one(ids)


def _routable(scores: dict[str, float], scored_before: set[str] | None) -> dict[str, float]:
    """The scores that may alert. An article already scored on its current text for other
    topics was routed then; a topic added since scores it too, but does not replay it."""
    if not scored_before:
        return scores
    return {topic_id: s for topic_id, s in scores.items() if topic_id in scored_before}


def _classify_one_by_one(ids: Sequence[int]) -> None:
    failed: list[int] = []
    for one in ids:
        try:
            classify_articles([one])
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("article %d could not be classified", one)
            failed.append(one)
    if failed:  # the job is filed as failed; the recovery sweep retries these with backoff
        raise ClassifyError(f"articles {failed} could not be classified (see the log)")


def classify_articles(article_ids: Sequence[int]) -> None:
    """One batch: read, score, then one transaction for scores, stories and deliveries."""
    ctx = get_context()
    topic_scorers = scorers(ctx)
    with ctx.engine.connect() as conn:
        batch = store.get_articles(conn, sorted(set(article_ids)))
        already = store.current_score_topics(conn, [article.id for article in batch])
    missing = set(article_ids) - {article.id for article in batch}
    if missing:
        log.warning("articles %s not found: deleted before they were classified", sorted(missing))
    if not batch:
        return
    now = store.utcnow()
    results: dict[int, dict[str, float]] = {}
    rows: list[store.NewScore] = []
    for article in batch:
        results[article.id] = {}
        for topic_id, scorer in topic_scorers.items():
            result = scorer.score(article.title, article.summary)
            rows.append(store.NewScore(article.id, topic_id, result.score, result.explanation,
                                       article.content_hash))
            results[article.id][topic_id] = result.score
    thresholds = {tid: s.topic.threshold for tid, s in topic_scorers.items()}
    stories = assigner(ctx.cache, ctx.config.stories)
    to_send: list[int] = []
    try:
        with ctx.engine.begin() as conn:
            store.save_scores(conn, rows, now)
            story_ids = stories.assign_batch(conn, batch, now)
            for article in batch:
                routed = _routable(results[article.id], already.get(article.id))
                to_send += create_deliveries(conn, ctx.config, article, routed,
                                             thresholds, now, story_ids.get(article.id))
    except BaseException:
        stories.forget()  # the index learnt assignments that were rolled back
        raise
    log.debug("classified %d articles, %d deliveries to send", len(batch), len(to_send))
    for delivery_id in to_send:
        try:
            ctx.queue.enqueue(jobs.DELIVER, delivery_id)
        except QueueError as exc:  # the row is committed: the notifier's tick enqueues it
            log.warning("delivery %d left for the notifier's tick: %s", delivery_id, exc)
