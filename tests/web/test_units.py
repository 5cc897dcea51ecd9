"""The web view's small pieces: chart geometry, explanation parsing, redaction, guards."""

from __future__ import annotations

from datetime import date

import pytest

from services.web.charts import HEIGHT, day_chart
from services.web.explain import explanation
from services.web.metrics import LATENCY_BUCKETS, histogram_buckets
from services.web.redact import clean_text, public_url
from services.web.rendering import http_url
from services.web.security import is_loopback, local_path, session_value
from services.web.server import check_exposure
from shared.exceptions import ConfigError


def test_day_chart_has_one_bar_per_day_scaled_to_the_peak() -> None:
    chart = day_chart({"2026-12-01": 4, "2026-11-30": 2, "2026-10-01": 99}, date(2026, 12, 1))
    assert len(chart.bars) == 28 and chart.total == 6 and chart.peak == 4
    assert chart.bars[-1].day == "2026-12-01" and chart.bars[0].day == "2026-11-04"
    tallest, half = chart.bars[-1], chart.bars[-2]
    assert half.height == pytest.approx(tallest.height / 2, abs=0.1)
    assert all(b.y + b.height <= HEIGHT for b in chart.bars)
    assert [b.label for b in chart.bars if b.label] == ["10 Nov", "17 Nov", "24 Nov", "01 Dec"]
    assert day_chart({}, date(2026, 12, 1)).peak == 0  # an empty month draws no bars


def test_explanation_reads_every_documented_field_and_survives_odd_rows() -> None:
    ex = explanation({
        "summary": "Drones\nshipped", "evidence": ["Iran: Tehran, IRGC", "no clause"],
        "passage": {"text": "Cargo ships cross the Caspian.", "source": "brief.md",
                    "similarity": 0.41},
        "penalties": ["'summit' discounted"]})
    assert ex.summary == "Drones shipped"
    assert [(e.clause, e.terms) for e in ex.evidence] == [("Iran", "Tehran, IRGC"),
                                                          ("", "no clause")]
    assert ex.passage is not None and ex.passage.similarity == 0.41
    assert ex.penalties == ["'summit' discounted"]
    assert explanation(None).empty and explanation({"evidence": "not a list"}).evidence == []
    assert explanation({"passage": {"text": "x", "similarity": "high"}}).passage.similarity is None  # type: ignore[union-attr]


def test_redaction_hides_credentials_queries_and_known_secrets() -> None:
    assert public_url("https://user:pw@feeds.example.org/rss?key=abc") == \
        "https://***@feeds.example.org/rss?***"
    assert public_url("https://feeds.example.org/rss") == "https://feeds.example.org/rss"
    text = clean_text("GET https://x.example/feed?apikey=K1 failed; token s3cret",
                      ["s3cret"])
    assert "K1" not in text and "s3cret" not in text and "x.example/feed" in text
    assert clean_text(None) == ""


def test_only_http_links_become_hrefs() -> None:
    assert http_url("https://example.org/a") == "https://example.org/a"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "", None):
        assert http_url(bad) is None


def test_loopback_and_exposure_rules() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.5", "desk.example.org"):
        assert not is_loopback(host), host
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", "token")
    with pytest.raises(ConfigError, match="NEWSWATCH_WEB_TOKEN"):
        check_exposure("0.0.0.0", None)


def test_redirect_targets_stay_on_this_site() -> None:
    assert local_path("/stories?band=near", "/") == "/stories?band=near"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", None, 3):
        assert local_path(bad, "/stories") == "/stories"
    assert session_value("t") != "t" and len(session_value("t")) == 64


def test_histogram_buckets_are_cumulative_and_end_in_inf() -> None:
    buckets = histogram_buckets([3.0, 40.0, 95.0, 100000.0])
    assert len(buckets) == len(LATENCY_BUCKETS) + 1
    counts = dict(buckets)
    assert counts["5.0"] == 1 and counts["60.0"] == 2 and counts["120.0"] == 3
    assert counts["86400.0"] == 3 and counts["+Inf"] == 4
