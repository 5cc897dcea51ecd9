"""Speed-ups of the story index give the answers the plain computation gives."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from services.classifier import stories
from services.classifier.dedup_metrics import load_corpus
from services.classifier.stories import GroupingParams, StoryIndex

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "stories" / "corpus.yaml"


@pytest.mark.parametrize(("hours", "names"), [(72, 8), (3, 8), (72, 2), (3, 2)])
def test_big_story_names_kept_between_refreshes_match_a_full_recount(
    monkeypatch: pytest.MonkeyPatch, hours: int, names: int
) -> None:
    """Names are recomputed only for changed stories and flipped name tests: the same as
    recounting every big story, at every refresh, while the window fills and evicts."""
    monkeypatch.setattr(stories, "BIG_STORY_SIZE", 2)
    monkeypatch.setattr(stories, "BIG_STORIES_EVERY", 1)
    monkeypatch.setattr(stories, "STORY_NAMES", names)
    index = StoryIndex(GroupingParams(window=timedelta(hours=hours)))
    refreshed = 0
    for item in load_corpus(CORPUS):
        found = index.assign(item.article)
        index.add(item.article, found.story_id if found.story_id is not None else len(index) + 1000)
        full = {story_id: index._story_names(centroid.weights)
                for story_id, centroid in index._centroids.items() if centroid.size >= 2}
        assert list(index._big_stories().items()) == list(full.items())
        refreshed += bool(full)
    assert refreshed > 10


class _SetBuckets:
    """The LSH buckets as sets from the first key on (the plain form single keys replace)."""

    def __init__(self, bands: int) -> None:
        self.tables: list[dict[bytes, set[int]]] = [{} for _ in range(bands)]

    def insert(self, key: int, bands: list[bytes]) -> None:
        for table, band in zip(self.tables, bands, strict=True):
            table.setdefault(band, set()).add(key)

    def query(self, bands: list[bytes]) -> list[int]:
        found: set[int] = set()
        for table, band in zip(self.tables, bands, strict=True):
            found |= table.get(band, set())
        return list(found)

    def remove(self, key: int, bands: list[bytes]) -> None:
        for table, band in zip(self.tables, bands, strict=True):
            table[band].discard(key)
            if not table[band]:
                del table[band]


def test_lsh_single_key_buckets_answer_as_sets_would_in_the_same_order() -> None:
    """Candidates come back in the same order (the syndicated match keeps the first of equal
    Jaccard estimates), through inserts and removals of near copies."""
    import random

    from services.classifier.minhash import MinHash, MinHashLSH

    rng = random.Random(7)
    vocabulary = [f"w{i}".encode() for i in range(60)]
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    plain = _SetBuckets(lsh.bands)
    live: dict[int, list[bytes]] = {}
    for key in range(400):
        minhash = MinHash(num_perm=128)
        minhash.update_batch(rng.sample(vocabulary, 12))
        bands = list(lsh._band_keys(minhash))
        assert lsh.query(minhash) == plain.query(bands)
        lsh.insert(key, minhash)
        plain.insert(key, bands)
        live[key] = bands
        if rng.random() < 0.4:
            gone = rng.choice(sorted(live))
            lsh.remove(gone)
            plain.remove(gone, live.pop(gone))
    assert any(len(b) > 1 for t in plain.tables for b in t.values())
