"""The built-in topic on whole real days: alerts per day, precision, recall, vs a keyword query.

Not a test. Scores every item of each day file (``<stream>/<day>.jsonl``) and joins labels
written by reading (``{"day","link","label","kind","note"}``) by link. A flagged item that is
not labelled 1 counts as a false alert: precision is what a subscriber would receive. Recall is
over the labelled positives. The keyword query ``bench.keyword_query.AXIS_QUERY`` runs on the
same items.

    .venv/bin/python bench/stream_eval.py --stream ../shared/stream \\
        --labels ../wt/labels/axis_stream/labels.jsonl [more.jsonl] [--days 2022-09-13,2022-12-10] \\
        [--show unlabelled|errors|all] [--config newswatch.yaml] [--topic axis]

The axis pool (``bench/data/axis_stream/labels.jsonl``) is English-only; the topic also reads
the Polish feeds, whose items are labelled in ``labels_outside_pool.jsonl`` next to it. Give
both files, or every Polish alert counts as false.

``--show unlabelled`` prints flagged items nobody labelled (read them: they count as false);
``--show errors`` also prints labelled false alerts and misses with the explanation summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.keyword_query import AXIS_QUERY, KeywordQuery  # noqa: E402
from services.classifier.scorer import TopicScorer  # noqa: E402
from shared.config import AppConfig, load_config  # noqa: E402
from shared.topics import resolve_topics  # noqa: E402

TUNING_DAYS = ("2022-09-13", "2022-12-10", "2023-01-15", "2023-03-21", "2023-05-02")


@dataclass
class Tally:
    flagged: int = 0
    tp: int = 0
    fp_labelled: int = 0
    fp_unlabelled: int = 0
    positives: int = 0
    found: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def row(self) -> dict[str, float | int]:
        precision = self.tp / self.flagged if self.flagged else 1.0
        recall = self.found / self.positives if self.positives else 1.0
        return {"alerts": self.flagged, "tp": self.tp, "fp_labelled": self.fp_labelled,
                "fp_unlabelled": self.fp_unlabelled, "positives": self.positives,
                "found": self.found, "precision": round(precision, 3), "recall": round(recall, 3)}


def read_labels(path: Path) -> dict[str, dict[str, object]]:
    labels: dict[str, dict[str, object]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                data = json.loads(line)
                labels[str(data["link"])] = data
    return labels


def read_day(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def tally(flags: list[bool], items: list[dict[str, str]], labels: dict[str, dict[str, object]]) -> Tally:
    result = Tally()
    for flagged, item in zip(flags, items, strict=True):
        label = labels.get(item["link"], {}).get("label")
        if label == 1:
            result.positives += 1
            result.found += int(flagged)
        if flagged:
            result.flagged += 1
            if label == 1:
                result.tp += 1
            elif label == 0:
                result.fp_labelled += 1
            else:
                result.fp_unlabelled += 1
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stream", type=Path, required=True)
    parser.add_argument("--labels", type=Path, required=True, nargs="+",
                        help="label files, joined by link (e.g. the pool and the outside-pool items)")
    parser.add_argument("--days", default=None, help="comma-separated days, or 'tune' / 'measure'")
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--topic", default="axis")
    parser.add_argument("--show", choices=["none", "unlabelled", "errors", "all"], default="none")
    args = parser.parse_args()

    config = load_config(args.config) if args.config else AppConfig()
    topic = next(t for t in resolve_topics(config) if t.id == args.topic)
    scorer = TopicScorer(topic)
    query = KeywordQuery(AXIS_QUERY, inflect=True)
    labels = {link: label for path in args.labels for link, label in read_labels(path).items()}
    days = sorted(p.stem for p in args.stream.glob("*.jsonl"))
    if args.days == "tune":
        days = [d for d in days if d in TUNING_DAYS]
    elif args.days == "measure":
        days = [d for d in days if d not in TUNING_DAYS]
    elif args.days:
        days = [d for d in args.days.split(",") if d]

    totals = {"newswatch": Tally(), "keyword": Tally()}
    print(f"topic {topic.id} threshold {topic.threshold}; keyword query: {query}")
    for day in days:
        items = read_day(args.stream / f"{day}.jsonl")
        scores = [scorer.score(i.get("title") or "", i.get("summary") or "") for i in items]
        ours = [s.score >= topic.threshold for s in scores]
        theirs = [query.matches(i.get("title") or "", i.get("summary") or "") for i in items]
        mine, keyword = tally(ours, items, labels), tally(theirs, items, labels)
        totals["newswatch"].add(mine)
        totals["keyword"].add(keyword)
        print(json.dumps({"day": day, "items": len(items), "newswatch": mine.row(),
                          "keyword": keyword.row()}))
        if args.show == "none":
            continue
        kinds: Counter[str] = Counter()
        for item, score, flagged in zip(items, scores, ours, strict=True):
            label = labels.get(item["link"], {}).get("label")
            what = None
            if flagged and label is None and args.show in ("unlabelled", "errors", "all"):
                what = "UNLABELLED"
            elif flagged and label == 0 and args.show in ("errors", "all"):
                what = "FP"
            elif not flagged and label == 1 and args.show in ("errors", "all"):
                what = "FN"
            elif flagged and label == 1 and args.show == "all":
                what = "TP"
            if what:
                kinds[what] += 1
                print(f"  {what} {score.score:.3f} {item['title'][:140]!r}\n      {item['link']}\n"
                      f"      {score.explanation['summary'][:300]}")
    print(json.dumps({"days": len(days), "newswatch": totals["newswatch"].row(),
                      "keyword": totals["keyword"].row()}))


if __name__ == "__main__":
    main()
