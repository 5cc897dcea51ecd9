"""A topic built as a user would (references + description), measured against a keyword query.

Not a test. ``TOPIC_DIR`` holds ``topic.yaml`` (id, name, description, week, references: [links],
keyword_query: [[or-terms], ...] ANDed, word-boundary, case-insensitive) and ``labels.jsonl``
(``{"link","label":1|0,"kind","note"}``). Texts are read by link from the week file at run time
(the repo holds links and our labels only); the reference texts are written to a temporary
folder and named in a config file exactly as a user would. Reports P/R/F1 of newswatch and of
the keyword query on the labelled items, then how many alerts each sends over the other weeks
and the stream days. Many of those are real follow-ups of the same story (a later week, a stream
day months on), so alerts are checked against ``--out-of-week-labels`` (jsonl rows
``{"link","topic","label":"wanted"|"false","note"}``, ours, read by link): an alert labelled
``wanted`` is a follow-up the description asks for; an alert labelled ``false`` or not labelled at
all counts as a false alert, so a new unlabelled alert is never silently excused.

    .venv/bin/python bench/topics_eval.py bench/data/topics_dev/quake \\
        --weeks ../shared/weeks --stream ../shared/stream [--show errors|alerts]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.keyword_query import KeywordQuery  # noqa: E402
from services.classifier.scorer import TopicScorer  # noqa: E402
from services.classifier.text import plain_text  # noqa: E402
from shared.config import parse_config  # noqa: E402
from shared.topics import resolve_topics  # noqa: E402


def read_jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def build_scorer(spec: dict[str, object], by_link: dict[str, dict[str, str]], folder: Path) -> TopicScorer:
    """Reference texts to files, a config naming them: what `newswatch` users write."""
    refs = folder / "references"
    refs.mkdir()
    links = [str(link) for link in spec["references"]]  # type: ignore[attr-defined]
    for number, link in enumerate(links):
        item = by_link.get(link)
        if item is None:
            raise SystemExit(f"reference {link} is not in the week file")
        text = f"# {plain_text(item['title'])}\n\n{plain_text(item.get('summary') or '')}\n"
        (refs / f"ref{number:02d}.md").write_text(text, encoding="utf-8")
    entry = {"id": spec["id"], "name": spec.get("name") or spec["id"],
             "references": [str(refs / "*.md")]}
    if spec.get("description"):
        entry["description"] = spec["description"]
    config_file = folder / "newswatch.yaml"
    config_file.write_text(yaml.safe_dump({"topics": [entry]}), encoding="utf-8")
    config = parse_config(config_file.read_text(encoding="utf-8"), source=config_file)
    topic = next(t for t in resolve_topics(config) if t.id == spec["id"])
    return TopicScorer(topic)


def prf(flags: Iterable[tuple[bool, int]]) -> dict[str, float | int]:
    tp = fp = fn = 0
    for flagged, label in flags:
        tp += int(flagged and label == 1)
        fp += int(flagged and label == 0)
        fn += int(not flagged and label == 1)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 3),
            "recall": round(recall, 3), "f1": round(f1, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic_dir", type=Path)
    parser.add_argument("--weeks", type=Path, required=True)
    parser.add_argument("--stream", type=Path, default=None)
    parser.add_argument("--show", choices=["none", "errors", "alerts"], default="none")
    labels_default = Path(__file__).resolve().parent / "data" / "topics" / "out_of_week_labels.jsonl"
    parser.add_argument("--out-of-week-labels", type=Path, default=labels_default)
    args = parser.parse_args()

    spec = yaml.safe_load((args.topic_dir / "topic.yaml").read_text(encoding="utf-8"))
    week = str(spec["week"]).removesuffix(".jsonl")  # "week-2023-02-06" or "week-2023-02-06.jsonl"
    own_week = args.weeks / f"{week}.jsonl"
    week_items = read_jsonl(own_week)
    by_link = {item["link"]: item for item in week_items}
    with tempfile.TemporaryDirectory() as tmp:
        scorer = build_scorer(spec, by_link, Path(tmp))
    query = KeywordQuery(spec["keyword_query"])
    threshold = scorer.topic.threshold

    labels = read_jsonl(args.topic_dir / "labels.jsonl")
    ours: list[tuple[bool, int]] = []
    theirs: list[tuple[bool, int]] = []
    missing = 0
    for row in labels:
        item = by_link.get(row["link"])
        if item is None:
            missing += 1
            continue
        result = scorer.score(item["title"], item.get("summary") or "")
        flagged = result.score >= threshold
        ours.append((flagged, int(row["label"])))
        theirs.append((query.matches(item["title"], item.get("summary") or ""), int(row["label"])))
        if args.show == "errors" and flagged != bool(int(row["label"])):
            kind = "FP" if flagged else "FN"
            print(f"  {kind} {result.score:.3f} {item['title'][:120]!r}\n      "
                  f"{result.explanation['summary'][:260]}")
    print(json.dumps({"topic": spec["id"], "labelled": len(ours), "missing": missing,
                      "threshold": threshold, "newswatch": prf(ours), "keyword": prf(theirs)}))

    others = [p for p in sorted(args.weeks.glob("week-*.jsonl")) if p != own_week]
    if args.stream is not None:
        others += sorted(args.stream.glob("*.jsonl"))
    verdicts: dict[str, str] = {}
    if args.out_of_week_labels.exists():
        verdicts = {row["link"]: row["label"] for row in read_jsonl(args.out_of_week_labels)
                    if row["topic"] == spec["id"]}
    total = {"items": 0, "newswatch": 0, "keyword": 0}
    split = {"wanted": 0, "false": 0, "unlabelled": 0}
    for path in others:
        items = read_jsonl(path)
        alerts = keyword = 0
        for item in items:
            result = scorer.score(item["title"], item.get("summary") or "")
            if result.score >= threshold:
                alerts += 1
                verdict = verdicts.get(item["link"], "unlabelled")
                split[verdict if verdict in split else "unlabelled"] += 1
                if args.show == "alerts":
                    print(f"  ALERT[{verdict}] {path.stem} {result.score:.3f} {item['title'][:110]!r}\n"
                          f"      {item['link']}\n      {result.explanation['summary'][:240]}")
            keyword += int(query.matches(item["title"], item.get("summary") or ""))
        total["items"] += len(items)
        total["newswatch"] += alerts
        total["keyword"] += keyword
        print(json.dumps({"file": path.stem, "items": len(items), "newswatch_alerts": alerts,
                          "keyword_alerts": keyword}))
    per_10k = {k: round(v * 10_000 / max(total["items"], 1), 2) for k, v in total.items() if k != "items"}
    print(json.dumps({"other_files": len(others), **total, "per_10k": per_10k}))
    false_alerts = split["false"] + split["unlabelled"]
    print(json.dumps({"out_of_week": split, "labels": str(args.out_of_week_labels),
                      "wanted_per_10k": round(split["wanted"] * 10_000 / max(total["items"], 1), 2),
                      "false_per_10k": round(false_alerts * 10_000 / max(total["items"], 1), 2)}))


if __name__ == "__main__":
    main()
