#!/usr/bin/env python3
"""Split a week file into one JSONL per captured day, so the day-based pool scripts can read it.

build_pool.py and extra_pool.py glob STREAM_DIR/*.jsonl and take the day from the file name, so a
week file is split by its `captured` field into OUT_DIR/<day>.jsonl (line order kept). Write OUT_DIR
outside the repo (e.g. /tmp): it holds outlet text.

Usage: split_week.py WEEK_FILE OUT_DIR
"""
import json
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    week, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[str]] = defaultdict(list)
    with week.open(encoding="utf-8") as f:
        for line in f:
            rows[json.loads(line)["captured"]].append(line)
    for day, lines in rows.items():
        with (out / f"{day}.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(lines)


if __name__ == "__main__":
    main()
