"""Classifier test helpers: topics built from the repo's own fixtures, never ../shared/."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.classifier.scorer import TopicScorer
from shared.config import AppConfig
from shared.topics import ResolvedTopic, resolve_topics

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "classifier"


@pytest.fixture(scope="session")
def axis_topic() -> ResolvedTopic:
    return next(t for t in resolve_topics(AppConfig()) if t.id == "axis")


@pytest.fixture(scope="session")
def axis_scorer(axis_topic: ResolvedTopic) -> TopicScorer:
    return TopicScorer(axis_topic)
