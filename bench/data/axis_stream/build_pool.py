#!/usr/bin/env python3
"""Build the candidate pool for labelling the `axis` topic on the nine real days.

Pool = items whose title + summary (HTML stripped) match, case-insensitively on word
boundaries, (A AND B) or C:
  A: iran|iranian|tehran|north korea|north korean|dprk|pyongyang|kim jong|china|chinese|
     beijing|xi jinping|belarus
  B: russia|russian|moscow|kremlin|putin|ukraine|ukrainian|kyiv|shahed|geran
  C: shahed|geran|alabuga|kn-23|hwasong|fath-360|ababil|mohajer
Items are de-duplicated by link within a day (first occurrence kept).

Usage: build_pool.py STREAM_DIR [--text]   -> one JSON per candidate on stdout
(day, link, and with --text also title/summary for reading; never commit the texts).
"""
import html
import json
import re
import sys
from pathlib import Path

A = r"iran|iranian|tehran|north korea|north korean|dprk|pyongyang|kim jong|china|chinese|beijing|xi jinping|belarus"
B = r"russia|russian|moscow|kremlin|putin|ukraine|ukrainian|kyiv|shahed|geran"
C = r"shahed|geran|alabuga|kn-23|hwasong|fath-360|ababil|mohajer"
RA, RB, RC = (re.compile(rf"\b(?:{p})\b", re.I) for p in (A, B, C))
TAG = re.compile(r"<[^>]+>")


def clean(s: str | None) -> str:
    return re.sub(r"\s+", " ", html.unescape(TAG.sub(" ", s or ""))).strip()


def candidates(stream_dir: Path):
    for f in sorted(stream_dir.glob("*.jsonl")):
        day = f.stem
        seen = set()
        for line in f.open(encoding="utf-8"):
            it = json.loads(line)
            title, summary = clean(it.get("title")), clean(it.get("summary"))
            text = f"{title} {summary}"
            if (RA.search(text) and RB.search(text)) or RC.search(text):
                link = it.get("link")
                if link in seen:
                    continue
                seen.add(link)
                yield day, it, title, summary


def main() -> None:
    stream_dir = Path(sys.argv[1])
    with_text = "--text" in sys.argv[2:]
    for day, it, title, summary in candidates(stream_dir):
        row = {"day": day, "link": it.get("link"), "feed": it.get("feed")}
        if with_text:
            row.update(title=title, summary=summary[:1200], published=it.get("published"))
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
