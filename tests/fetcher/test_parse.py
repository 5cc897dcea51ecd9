"""services.fetcher.parse on the fixture feeds: formats, encodings, hostile documents."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from services.fetcher.parse import ParsedFeed, parse_feed, plain_text
from shared.exceptions import FetchError, NotAFeedError
from tests.fetcher.conftest import fixture_bytes

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
BASE = "https://feeds.example/news/rss.xml"


def parse(name: str, content_type: str | None = "application/xml") -> ParsedFeed:
    return parse_feed(fixture_bytes(name), BASE, content_type, NOW)


def test_rss20_plain_text_canonical_links_and_dates() -> None:
    feed = parse("rss20.xml")
    assert (feed.version, feed.title, feed.language) == ("rss20", "Harbour Ledger & Wire", "en-gb")
    assert feed.ttl_seconds == 1800
    first, second, third = feed.entries
    assert first.identity == "guid:hl-2024-05-0071"
    assert first.url == "https://harbour-ledger.example/2024/05/freighter-held?id=7"
    assert first.summary == "Inspectors found undeclared crates of drone parts aboard the Saltmarsh Dawn."
    assert "alert" not in first.summary and "<" not in first.summary
    assert first.published_at == datetime(2024, 5, 14, 6, 30, tzinfo=UTC)
    assert first.author == "Marta Quell"
    assert second.identity == "guid:https://harbour-ledger.example/2024/05/grain-talks"
    assert third.url is None  # javascript: link dropped, entry kept by its GUID


@pytest.mark.parametrize(
    ("name", "version", "titles"),
    [
        ("atom.xml", "atom10", ["Neue Sanktionen gegen Reederei verhängt",
                                "Hafen Rostock meldet Rekordumschlag"]),
        ("rss10.rdf", "rss10", ["Rail freight link to the Caspian opens",
                                "Dust storm closes border crossing"]),
        ("rss091.xml", "rss091n", ["Ferry timetable changes for the summer",
                                   "Lighthouse restoration finished"]),
    ],
)
def test_formats(name: str, version: str, titles: list[str]) -> None:
    feed = parse(name)
    assert feed.version == version
    assert [e.title for e in feed.entries] == titles
    assert all(e.url and e.url.startswith("http") for e in feed.entries)


def test_atom_relative_link_resolved_against_feed_url() -> None:
    feed = parse("atom.xml")
    assert feed.entries[1].url == "https://feeds.example/artikel/rostock-rekord"
    assert feed.entries[0].summary == "Die EU-Kommission nennt drei Tanker & einen Versicherer."


def test_relative_links() -> None:
    feed = parse("relative_links.xml")
    assert [e.url for e in feed.entries] == [
        "https://feeds.example/news/flood-warning",
        "https://feeds.example/news/bridge-reopens.html",
    ]
    assert feed.entries[0].identity == "guid:rr-1"  # a GUID is not resolved like a link


@pytest.mark.parametrize(
    ("name", "title", "entry_title"),
    [
        ("windows1252.xml", "Café Chronicle – Lyon",
         "Prix du café : +12 % en un an — « inquiétant »"),
        ("utf16.xml", "Каспийский вестник", "Порт Актау расширяется"),
        ("wrong_charset.xml", "Mislabelled München", "Straßenbahn fährt wieder über die Brücke"),
    ],
)
def test_encodings(name: str, title: str, entry_title: str) -> None:
    feed = parse(name, content_type=None)
    assert feed.title == title
    assert feed.entries[0].title == entry_title


def test_wrong_declared_charset_is_recorded_as_a_problem() -> None:
    feed = parse("wrong_charset.xml", content_type=None)
    assert feed.problem and "CharacterEncodingOverride" in feed.problem


def test_no_dates_and_no_links_fall_back_to_link_and_hash_identities() -> None:
    feed = parse("no_dates.xml")
    assert [e.published_at for e in feed.entries] == [None, None, None]
    assert feed.entries[0].identity == "link:https://undated.example/notes/1"
    assert feed.entries[2].identity.startswith("hash:")


def test_future_dates_are_clamped_to_now() -> None:
    feed = parse("future_dates.xml")
    assert feed.entries[0].published_at == NOW
    assert feed.entries[1].published_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_bozo_feed_is_used_as_far_as_it_parses() -> None:
    feed = parse("bozo.xml")
    assert feed.problem is not None
    assert [e.title for e in feed.entries] == [
        "Unclosed tag & bare ampersand", "Second story survives"
    ]


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml"])
def test_entity_attacks_parse_cleanly_without_expansion(name: str) -> None:
    started = time.monotonic()
    feed = parse(name)
    assert time.monotonic() - started < 1
    text = " ".join(f"{e.title} {e.summary}" for e in feed.entries) + (feed.title or "")
    assert "lollollol" not in text and "root:" not in text
    assert len(text) < 1000


@pytest.mark.parametrize(
    ("body", "error", "kind"),
    [
        (fixture_bytes("html_page.html"), NotAFeedError, "not_a_feed"),
        (fixture_bytes("empty.xml"), NotAFeedError, "not_a_feed"),
        (b"   \n", NotAFeedError, "not_a_feed"),
        (b"\xff\xfe\x00garbage\x80\x81 not xml at all", FetchError, "parse"),
        (b"/etc/passwd", FetchError, "parse"),  # never opened as a path
    ],
)
def test_not_a_feed(body: bytes, error: type[FetchError], kind: str) -> None:
    with pytest.raises(error) as caught:
        parse_feed(body, BASE, "text/html", NOW)
    assert caught.value.kind == kind


def test_invalid_utf8_in_a_feed_is_parsed() -> None:
    body = fixture_bytes("rss20.xml").replace(b"Grain corridor", b"Grain \xff\xfe corridor")
    feed = parse_feed(body, BASE, "application/xml; charset=utf-8", NOW)
    assert len(feed.entries) == 3


def test_plain_text() -> None:
    assert plain_text("<p>A &amp; <b>B</b></p><style>p{}</style><script>x()</script><p>C", 100) == (
        "A & B C"
    )
    assert plain_text("x < y and y > z", 100) == "x < y and y > z"
    assert plain_text("word " * 50, 20).endswith("…")
