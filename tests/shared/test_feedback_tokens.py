"""Feedback links cannot be forged, redirected to another article, or used after expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.feedback_tokens import (
    FeedbackTokenError,
    feedback_url,
    feedback_url_from_settings,
    make_token,
    verify_token,
)
from shared.settings import Settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_token_names_its_article_and_topic() -> None:
    token = make_token("s3cret", 4021, "axis", now=NOW, ttl=WEEK)
    target = verify_token("s3cret", token, now=NOW + timedelta(days=6))
    assert (target.article_id, target.topic_id) == (4021, "axis")
    assert target.expires_at == int((NOW + WEEK).timestamp())


def test_topic_ids_with_separators_survive() -> None:
    token = make_token("k", 7, "quake-2023_syria", now=NOW, ttl=WEEK)
    assert verify_token("k", token, now=NOW).topic_id == "quake-2023_syria"


@pytest.mark.parametrize("secret", ["other", ""])
def test_another_secret_rejects_it(secret: str) -> None:
    token = make_token("s3cret", 1, "axis", now=NOW, ttl=WEEK)
    with pytest.raises(FeedbackTokenError):
        verify_token(secret, token, now=NOW)


def test_an_edited_payload_is_rejected() -> None:
    token = make_token("s3cret", 1, "axis", now=NOW, ttl=WEEK)
    other = make_token("s3cret", 2, "axis", now=NOW, ttl=WEEK)
    forged = other.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(FeedbackTokenError, match="signature"):
        verify_token("s3cret", forged, now=NOW)
    with pytest.raises(FeedbackTokenError, match="malformed"):
        verify_token("s3cret", "no-dot-here", now=NOW)


def test_an_expired_link_is_rejected() -> None:
    token = make_token("s3cret", 1, "axis", now=NOW, ttl=WEEK)
    with pytest.raises(FeedbackTokenError, match="expired"):
        verify_token("s3cret", token, now=NOW + WEEK + timedelta(seconds=1))


def test_no_secret_no_token() -> None:
    with pytest.raises(FeedbackTokenError, match="NEWSWATCH_SECRET_KEY"):
        make_token("", 1, "axis", now=NOW, ttl=WEEK)


def test_url_from_settings_only_when_configured() -> None:
    assert feedback_url_from_settings(Settings(), 1, "axis", now=NOW) is None
    assert feedback_url_from_settings(
        Settings(NEWSWATCH_SECRET_KEY="k"), 1, "axis", now=NOW) is None
    settings = Settings(NEWSWATCH_SECRET_KEY="k", NEWSWATCH_PUBLIC_URL="https://nw.example.org/")
    url = feedback_url_from_settings(settings, 9, "axis", now=NOW)
    assert url is not None and url.startswith("https://nw.example.org/feedback/")
    assert verify_token("k", url.rsplit("/", 1)[1], now=NOW).article_id == 9
    assert url == feedback_url("https://nw.example.org", "k", 9, "axis", now=NOW,
                               ttl=timedelta(days=30))
