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
