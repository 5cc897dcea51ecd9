#!/usr/bin/env python3
"""Supplementary pool: items NOT in build_pool.py's pool that match Polish/alternative spellings.

X (country): N. Korea | Korea/Korei Półn(ocna) | Korei Płn | koreańsk | Pjongjang | Kim Dzong | Iran | irańsk |
             Teheran | Chin(a|y|i) | chińsk | Pekin | Xi Jinping | Białoru
Y (Russia/war): Rosj | rosyjsk | Moskw | Kreml | Putin | Russia | Ukrain | Kijów/Kijow
(prefix matches, case-insensitive). Usage: extra_pool.py STREAM_DIR [--text]
"""
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from build_pool import candidates, clean  # noqa: E402

X = re.compile(r"(?i)(\bN\.? ?Korea|Kore[ai] Półn|Korei Płn|Koreańsk|Pjongjang|Kim Dzong|Iran|irańsk|Teheran"
               r"|\bChin[ayi]?\b|chińsk|Pekin|Xi Jinping|Białoru)")
Y = re.compile(r"(?i)(Rosj|rosyjsk|Moskw|Kreml|Putin|\bRussia|Ukrain|Kij[oó]w)")


def main() -> None:
    stream = Path(sys.argv[1])
    with_text = "--text" in sys.argv[2:]
    inpool = {(d, it["link"]) for d, it, _, _ in candidates(stream)}
    for f in sorted(stream.glob("*.jsonl")):
        seen = set()
        for line in f.open(encoding="utf-8"):
            it = json.loads(line)
            if (f.stem, it["link"]) in inpool or it["link"] in seen:
                continue
            title, summary = clean(it.get("title")), clean(it.get("summary"))
            if X.search(f"{title} {summary}") and Y.search(f"{title} {summary}"):
                seen.add(it["link"])
                row = {"day": f.stem, "link": it["link"]}
                if with_text:
                    row.update(title=title, summary=summary[:800])
                print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
