"""`newswatch feeds check URL`: one fetch and parse, explained, nothing stored."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from services.fetcher.http import Fetcher, FetchLimits, FetchResult
from services.fetcher.parse import ParsedFeed, parse_feed
from shared.config import FetcherConfig
from shared.exceptions import FetchError


@dataclass(frozen=True)
class CheckReport:
    url: str
    result: FetchResult | None
    parsed: ParsedFeed | None
    error: FetchError | None


def check_feed(url: str, config: FetcherConfig, *, allow_private: bool) -> CheckReport:
    """Fetch without validators (a full answer), parse here, return what we would store."""

    async def go() -> CheckReport:
        async with Fetcher(FetchLimits.from_config(config)) as fetcher:
            try:
                result = await fetcher.fetch(url, allow_private=allow_private)
            except FetchError as exc:
                return CheckReport(url, None, None, exc)
        try:
            parsed = parse_feed(result.body, result.final_url, result.content_type)
        except FetchError as exc:
            return CheckReport(url, result, None, exc)
        return CheckReport(url, result, parsed, None)

    return asyncio.run(go())


def identity_reason(identity: str) -> str:
    """Why an entry is known by this identity (the order of trust in identity.py)."""
    source = identity.split(":", 1)[0].split("-", 1)[0]
    return {
        "guid": "GUID, unique in the feed",
        "link": "canonical link (no GUID, or GUIDs repeat in the feed)",
        "hash": "hash of title + summary (no GUID, no link)",
    }.get(source, source)
