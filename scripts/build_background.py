"""Build the background statistics newswatch ships: document frequencies, never texts.

A fresh install has no stored articles to compare a new topic against, so it ships how often
ordinary news uses each word: for each content stem (and adjacent-stem bigram) among the most
frequent, its *typical* document count: its daily rate on an ordinary day, scaled to the whole
corpus (the mean over days, leaving out the quarter of days where it is most frequent), so
that a week of an event ("earthquake" in February 2023) does not make its words
ordinary; plus the stems that are one feed's boilerplate (in a large share of that feed's
items: "continue reading", "live updates").

    .venv/bin/python scripts/build_background.py ../shared/stream/*.jsonl ../shared/weeks/*.jsonl \\
        --out shared/data/background.json.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.classifier.background import document_terms  # noqa: E402
from services.classifier.text import plain_text  # noqa: E402

MIN_UNIGRAM_DF = 3
MIN_BIGRAM_DF = 8
MAX_TERMS = 60_000
BURST_SHARE = 4  # the quarter of days where a term is most frequent is left out: bursts
BOILERPLATE_SHARE = 0.5  # a term in this share of one feed's items ...
BOILERPLATE_MIN_ITEMS = 40  # ... of a feed with at least this many items
BOILERPLATE_FEED_SHARE = 0.5  # ... and that feed holds most of the term's documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    df: Counter[str] = Counter()
    daily: dict[str, Counter[str]] = defaultdict(Counter)
    day_docs: Counter[str] = Counter()
    per_feed: dict[str, Counter[str]] = defaultdict(Counter)
    feed_items: Counter[str] = Counter()
    seen: set[str] = set()
    docs = 0
    for path in args.files:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                item = json.loads(line)
                key = item.get("link") or item.get("title")
                if key in seen:
                    continue
                seen.add(key)
                text = f"{plain_text(item.get('title') or '')} \n {plain_text(item.get('summary') or '')}"
                terms = document_terms(text)
                docs += 1
                df.update(terms)
                day = str(item.get("captured") or path.stem)
                day_docs[day] += 1
                daily[day].update(terms)
                feed = str(item.get("feed") or "")
                feed_items[feed] += 1
                per_feed[feed].update(terms)
    kept = {t: n for t, n in df.items() if n >= (MIN_BIGRAM_DF if " " in t else MIN_UNIGRAM_DF)}
    top = dict(sorted(kept.items(), key=lambda kv: -kv[1])[:MAX_TERMS])
    days = sorted(day_docs)
    typical = {}
    for term, pooled in top.items():
        rates = sorted(daily[d][term] / day_docs[d] for d in days)
        kept_days = rates[: len(rates) - len(rates) // BURST_SHARE]
        ordinary = sum(kept_days) / max(len(kept_days), 1)
        typical[term] = round(min(float(pooled), ordinary * docs), 2)
    boilerplate = sorted(
        t for feed, counts in per_feed.items() if feed_items[feed] >= BOILERPLATE_MIN_ITEMS
        for t, n in counts.items()
        if n >= BOILERPLATE_SHARE * feed_items[feed] and n >= BOILERPLATE_FEED_SHARE * df[t]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8") as handle:
        json.dump({"docs": docs, "df": typical, "boilerplate": sorted(set(boilerplate)),
                   "days": len(days)}, handle,
                  separators=(",", ":"))
    print(f"{docs} documents, {len(top)} terms, {len(set(boilerplate))} boilerplate terms -> {args.out} "
          f"({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
