"""services.fetcher.identity: canonical URLs and the order of trust for identities."""

from __future__ import annotations

import pytest

from services.fetcher.identity import MAX_IDENTITY, canonical_url, entry_identity


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example:443/a?utm_source=x&id=3&fbclid=y#frag",
         "https://news.example/a?id=3"),
        ("http://news.example:80", "http://news.example/"),
        ("http://news.example:8080/p?UTM_Campaign=z", "http://news.example:8080/p"),
        ("https://news.example/p?a=1&mc_cid=2&b=", "https://news.example/p?a=1&b="),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("mailto:desk@news.example", None),
        ("http://[::1", None),
        ("https://news.example:99999/", None),
    ],
)
def test_canonical_url(url: str, canonical: str | None) -> None:
    assert canonical_url(url) == canonical


def test_identity_order_guid_then_link_then_hash() -> None:
    assert entry_identity("abc", "https://x.example/1", "t", "s", guid_unique=True) == "guid:abc"
    assert (
        entry_identity("abc", "https://x.example/1", "t", "s", guid_unique=False)
        == "link:https://x.example/1"
    )
    by_hash = entry_identity(None, None, " t ", "s", guid_unique=False)
    assert by_hash.startswith("hash:") and by_hash == entry_identity(
        "", None, "t", "s ", guid_unique=True
    )


def test_url_guids_are_canonical_and_long_identities_are_capped() -> None:
    assert (
        entry_identity("https://X.example/a?utm_medium=rss", None, "", "", guid_unique=True)
        == "guid:https://x.example/a"
    )
    long = entry_identity("g" * 2000, None, "", "", guid_unique=True)
    assert long.startswith("guid-sha256:") and len(long) <= MAX_IDENTITY
