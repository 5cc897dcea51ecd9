"""Every labelled topic under ``bench/data/topics*/`` through ``topics_eval.py``, one table and the means.

Not a test. The keep rule for a relevance change is read off this table: the mean false alerts
per 10k ordinary items falls and the mean F1 does not. Topics run as separate processes (``--jobs``
at a time) so one slow topic does not hold the rest; each row is the topic's own summary lines.

    nice -n 5 .venv/bin/python bench/topics_all.py --weeks ../shared/weeks --stream ../shared/stream \\
        [--only topics_fresh6] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
EVAL = Path(__file__).resolve().parent / "topics_eval.py"


def topic_dirs(only: list[str]) -> list[Path]:
    found = sorted(p.parent for p in DATA.glob("topics*/*/topic.yaml"))
    if only:
        found = [p for p in found if p.parent.name in only or p.name in only]
    return found


def run_one(topic: Path, weeks: Path, stream: Path | None) -> dict[str, Any]:
    command = [sys.executable, str(EVAL), str(topic), "--weeks", str(weeks)]
    if stream is not None:
        command += ["--stream", str(stream)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{topic}: topics_eval failed\n{done.stderr[-2000:]}")
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    head = next(r for r in rows if "topic" in r)
    tail = next(r for r in rows if "false_per_10k" in r)
    others = next(r for r in rows if "other_files" in r)
    return {"set": topic.parent.name, "topic": topic.name, "newswatch": head["newswatch"],
            "keyword": head["keyword"], "false_per_10k": tail["false_per_10k"],
            "keyword_per_10k": others["per_10k"]["keyword"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=Path, required=True)
    parser.add_argument("--stream", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=[], help="topic sets or topic names")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    topics = topic_dirs(args.only)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda t: run_one(t, args.weeks, args.stream), topics))
    # The keyword query's alerts outside the week are not read against the labels: all of them
    # count, so its column is an upper bound on its false alerts (a few are real follow-ups).
    print(f"{'set':<14} {'topic':<14} {'P':>6} {'R':>6} {'F1':>6} {'kw F1':>6} {'false/10k':>9} "
          f"{'kw alerts/10k':>13}")
    for row in results:
        ours = row["newswatch"]
        print(f"{row['set']:<14} {row['topic']:<14} {ours['precision']:>6.3f} {ours['recall']:>6.3f} "
              f"{ours['f1']:>6.3f} {row['keyword']['f1']:>6.3f} {row['false_per_10k']:>9.2f} "
              f"{row['keyword_per_10k']:>13.2f}")
    count = max(len(results), 1)
    means = {"topics": len(results),
             "mean_f1": round(sum(r["newswatch"]["f1"] for r in results) / count, 4),
             "mean_keyword_f1": round(sum(r["keyword"]["f1"] for r in results) / count, 4),
             "mean_false_per_10k": round(sum(r["false_per_10k"] for r in results) / count, 2),
             "mean_keyword_alerts_per_10k": round(sum(r["keyword_per_10k"] for r in results) / count, 2),
             "f1_ahead_of_keyword": sum(r["newswatch"]["f1"] > r["keyword"]["f1"] for r in results)}
    print(json.dumps(means))


if __name__ == "__main__":
    main()
