"""Dotted paths of the job functions, and the queue each runs on.

Services enqueue each other by these names, never by importing each other's code, so the
fetcher image needs no classifier code and a worker can be scaled alone.
"""

from __future__ import annotations

CLASSIFY = "services.classifier.jobs.classify_article"  # (article_id: int | list[int])
CLASSIFY_BATCH = 100  # article ids per classify job: one classifier transaction each
DELIVER = "services.notifier.jobs.deliver"  # (delivery_id: int)
SEND_DIGEST = "services.notifier.jobs.send_digest"  # (digest_id: int)

# Seconds RQ lets one job run before killing it: a batch of 100 articles (plus the first job's
# scorer and story-index build) and shared.retry.JOB_BUDGET (90 s) of riding out a database
# restart, with room to spare. `newswatch health` gives a busy worker this long between beats.
JOB_TIMEOUT = 90 + 300

CLASSIFY_QUEUE = "classify"
NOTIFY_QUEUE = "notify"

QUEUE_FOR_JOB = {
    CLASSIFY: CLASSIFY_QUEUE,
    DELIVER: NOTIFY_QUEUE,
    SEND_DIGEST: NOTIFY_QUEUE,
}


def queue_for(job: str) -> str:
    try:
        return QUEUE_FOR_JOB[job]
    except KeyError:
        raise ValueError(f"unknown job path {job!r}; add it to shared/jobs.py") from None


def batches(ids: list[int], size: int = CLASSIFY_BATCH) -> list[list[int]]:
    """``ids`` in classify-job sized chunks."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
