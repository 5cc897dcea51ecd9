"""Build the background statistics newswatch ships: document frequencies, never texts.

A fresh install has no stored articles to compare a new topic against, so it ships how often
ordinary news uses each word: for each content stem (and adjacent-stem bigram) among the most
frequent, its *typical* document count: its daily rate on an ordinary day, scaled to the whole
corpus (the mean over days, leaving out the quarter of days where it is most frequent), so
that a week of an event ("earthquake" in February 2023) does not make its words
ordinary; plus the stems that are one feed's boilerplate (in a large share of that feed's
items: "continue reading", "live updates"); plus, for names seen on most days, the words that
keep them company far more often than ordinary news does, as a share of the name's items on
an ordinary day ("companions": derived topics weigh those words less beside the name).

    .venv/bin/python scripts/build_background.py ../shared/stream/*.jsonl ../shared/weeks/*.jsonl \\
        --out shared/data/background.json.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.classifier.background import document_terms  # noqa: E402
from services.classifier.text import plain_text, stem  # noqa: E402

MIN_UNIGRAM_DF = 3
MIN_BIGRAM_DF = 8
MAX_TERMS = 60_000
BURST_SHARE = 4  # the quarter of days where a term is most frequent is left out: bursts
BOILERPLATE_SHARE = 0.5  # a term in this share of one feed's items ...
BOILERPLATE_MIN_ITEMS = 40  # ... of a feed with at least this many items
BOILERPLATE_FEED_SHARE = 0.5  # ... and that feed holds most of the term's documents
# Names and the words that keep them company in ordinary news ("Ukraine": "allies", "western"):
# what a topic naming them must show beyond those words.
NAMES = 800  # the most frequent capitalised words ...
NAME_CAPITALISED_SHARE = 0.7  # ... written capitalised at least this often mid-sentence
NAME_MIN_DAY_SHARE = 0.6  # ... on this share of days (a name of one week's event: no statistics)
NAME_DAY_MIN_DOCS = 3  # a day counts for a name's rates when it has this many of its items
COOC_LIFT = 3.0  # a companion word: this many times likelier beside the name than anywhere
COOC_MIN_DOCS = 5
_MID_SENTENCE_WORD = re.compile(r"(?<![.!?:]\s)(?<!^)\b([^\W\d_][\w’'-]*)", re.MULTILINE)


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
    capitalised: Counter[str] = Counter()
    lowercase: Counter[str] = Counter()
    corpus: list[tuple[str, set[str]]] = []  # (day, unigrams) per document, for the names pass
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
                for match in _MID_SENTENCE_WORD.finditer(text):
                    word = match.group(1)
                    (capitalised if word[:1].isupper() else lowercase)[stem(word.lower())] += 1
                corpus.append((day, {t for t in terms if " " not in t}))
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
    companions = _companions(corpus, capitalised, lowercase, typical, docs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8") as handle:
        json.dump({"docs": docs, "df": typical, "boilerplate": sorted(set(boilerplate)),
                   "days": len(days), "companions": companions}, handle,
                  separators=(",", ":"))
    print(f"{docs} documents, {len(top)} terms, {len(set(boilerplate))} boilerplate terms, "
          f"{len(companions)} names' companions -> {args.out} ({args.out.stat().st_size // 1024} KiB)")


def _companions(
    corpus: list[tuple[str, set[str]]], capitalised: Counter[str], lowercase: Counter[str],
    typical: dict[str, float], docs: int,
) -> dict[str, dict[str, float]]:
    """For frequent names, the share of their items that use each associated word, on an
    ordinary day (the quarter of days where the share is highest is left out, as for df)."""
    names = [
        name for name, n in capitalised.most_common()
        if n >= NAME_CAPITALISED_SHARE * (n + lowercase[name]) and name in typical
    ][:NAMES]
    wanted = set(names)
    day_total = {day for day, _ in corpus}
    name_days: dict[str, Counter[str]] = defaultdict(Counter)
    pairs: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for day, words in corpus:
        for name in words & wanted:
            name_days[name][day] += 1
            pairs[name][day].update(words - {name})
    out: dict[str, dict[str, float]] = {}
    for name in names:
        days = [d for d, n in name_days[name].items() if n >= NAME_DAY_MIN_DOCS]
        if len(days) < NAME_MIN_DAY_SHARE * len(day_total):
            continue
        pooled: Counter[str] = Counter()
        for day in days:
            pooled.update(pairs[name][day])
        found: dict[str, float] = {}
        for word, count in pooled.items():
            base = (typical.get(word, 0.0) + 1.0) / (docs + 1.0)
            if count < COOC_MIN_DOCS:
                continue
            shares = sorted(pairs[name][d][word] / name_days[name][d] for d in days)
            kept = shares[: len(shares) - len(shares) // BURST_SHARE]
            share = sum(kept) / len(kept)
            if share >= COOC_LIFT * base:
                found[word] = float(f"{share:.3g}")
        if found:
            out[name] = found
    return out


if __name__ == "__main__":
    main()
