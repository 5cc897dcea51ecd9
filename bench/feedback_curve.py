"""How many feedback labels it takes to stop a kind of false alert (feedback learning).

Not a test. Builds a topic as ``bench/topics_eval.py`` does, collects its alerts over the other
weeks and stream days (false alarms: the topic's event is not there), and groups them into
error classes by the evidence group that makes them look on-topic (the group the topic's
relevant labels support least). Then it replays a reader: the first ``--confirmed`` relevant
alerts of the labelled set are labelled relevant, and false alerts are labelled not relevant
one at a time, in the order they arrived. After each label the topic re-learns
(``services.classifier.learning``) and every class's remaining alerts are counted.

    .venv/bin/python bench/feedback_curve.py bench/data/topics_dev/quake \\
        --weeks ../shared/weeks --stream ../shared/stream [--confirmed 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.topics_eval import build_scorer, read_jsonl  # noqa: E402
from services.classifier.learning import Label, apply, learn  # noqa: E402
from services.classifier.scorer import TopicScorer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic_dir", type=Path)
    parser.add_argument("--weeks", type=Path, required=True)
    parser.add_argument("--stream", type=Path, default=None)
    parser.add_argument("--confirmed", type=int, default=20)
    args = parser.parse_args()
    spec = yaml.safe_load((args.topic_dir / "topic.yaml").read_text(encoding="utf-8"))
    own = args.weeks / f"{str(spec['week']).removesuffix('.jsonl')}.jsonl"
    by_link = {i["link"]: i for i in read_jsonl(own)}
    with tempfile.TemporaryDirectory() as tmp:
        base = build_scorer(spec, by_link, Path(tmp))
    threshold = base.topic.threshold
    labelled = [(by_link[r["link"]], int(r["label"])) for r in read_jsonl(args.topic_dir / "labels.jsonl")
                if r["link"] in by_link]
    confirmed = [Label(i["title"], i.get("summary") or "", True) for i, lab in labelled
                 if lab == 1 and base.score(i["title"], i.get("summary") or "").score >= threshold]
    confirmed = confirmed[: args.confirmed]

    files = [p for p in sorted(args.weeks.glob("week-*.jsonl")) if p != own]
    files += sorted(args.stream.glob("*.jsonl")) if args.stream else []
    false_alerts = [i for p in files for i in read_jsonl(p)
                    if base.score(i["title"], i.get("summary") or "").score >= threshold]
    support = Counter(g for lab in confirmed for g in base.evidence_groups(lab.title, lab.summary))

    def kind(scorer: TopicScorer, item: dict[str, str]) -> str:
        groups = scorer.evidence_groups(item["title"], item.get("summary") or "") or ["(none)"]
        least = min(support[g] for g in groups)
        return "+".join(sorted(g for g in groups if support[g] == least))

    classes = {id(i): kind(base, i) for i in false_alerts}
    initial = Counter(classes.values())
    print(json.dumps({"topic": spec["id"], "false_alerts": len(false_alerts), "confirmed": len(confirmed),
                      "classes": dict(initial.most_common())}))

    def recall(scorer: TopicScorer) -> float:
        pos = [i for i, lab in labelled if lab == 1]
        hits = sum(scorer.score(i["title"], i.get("summary") or "").score >= scorer.topic.threshold
                   for i in pos)
        return round(hits / max(len(pos), 1), 3)

    labels = list(confirmed)
    scorer = base
    given: Counter[str] = Counter()
    received: Counter[str] = Counter()
    for step, item in enumerate(false_alerts, start=1):
        name = classes[id(item)]
        if scorer.score(item["title"], item.get("summary") or "").score < scorer.topic.threshold:
            continue  # the reader never receives it: learning already stopped this one
        received[name] += 1
        labels.append(Label(item["title"], item.get("summary") or "", False))
        given[name] += 1
        learned = learn(base, labels)
        scorer = TopicScorer(replace(apply(base.topic, learned)))
        if sum(given.values()) in (1, 2, 3, 5, 10, 20):
            left = sum(scorer.score(i["title"], i.get("summary") or "").score >= scorer.topic.threshold
                       for i in false_alerts[step:])
            print(json.dumps({"not_relevant_labels": sum(given.values()), "later_false_alerts_left": left,
                              "labelled_recall": recall(scorer), "learned": learned.describe()[:300]}))
    print(json.dumps({"received_per_class": {n: received[n] for n, _ in initial.most_common()},
                      "initial_per_class": dict(initial.most_common()),
                      "received_total": sum(received.values()), "without_learning": len(false_alerts),
                      "final_recall_on_labelled": recall(scorer), "base_recall": recall(base)}))


if __name__ == "__main__":
    main()
