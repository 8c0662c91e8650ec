"""Measure the splitter like a model: boundary F1 and field accuracy on text it was not trained on.

    python -m bench.eval_split                      # every measure below (about 15 minutes)
    python -m bench.eval_split --only fixtures      # the shipped model on the fixtures and sample
    python -m bench.eval_split --write bench/out/rendered   # also write test issues + gold files

Scores count as `../shared/tools/score_parse.py` does (`bench/split_score.py`).
- **by month**: train on two of the three months, test on the days of the third, rendered
  afresh (other layouts, other seed); nothing tested is trained on.
- **by layout family**: train on two months with one spacing/indent family never rendered,
  test on the third month rendered only in that family.
- **fixtures**: the shipped model on the 19 hand-written layout fixtures (never trained on).
- **sample**: the shipped model on the Qingdao Daily sample, against its expected parse.
- **rules** (`--only rules`): the rule splitter the labeller replaced (`bench/rule_splitter.py`)
  on the same test issues as by month, and on the fixtures: the yardstick.
Needs the corpus (`flows.labeller.corpus`) for the by-month and by-family measures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from bench import rule_splitter
from bench.split_score import FIELDS, SplitScore, score_articles
from flows.ingest import read_issue
from flows.labeller.corpus import MONTHS, read_days
from flows.labeller.model import MODEL_PATH
from flows.labeller.render import FAMILIES, Rendered, gold_document
from flows.labeller.train import TrainSettings, render_days, train
from flows.parse import parse_issue

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "layouts"
SAMPLE_GOLD = ROOT / "tests" / "fixtures" / "sample.expected.json"
TODAY = date(2026, 1, 15)


def parse_json(name: str, data: bytes, model: Path = MODEL_PATH) -> dict[str, Any]:
    """Parse one file the pipeline's way and return its `parse --json` document."""
    doc: dict[str, Any] = parse_issue(read_issue(name, data), TODAY, model).to_json()
    return doc


def score_rendered(issues: Iterable[Rendered], model: Path, write: Path | None = None) -> SplitScore:
    """Parse rendered issues with a model and score them against their gold."""
    total = SplitScore()
    for rendered in issues:
        data = rendered.text.encode("utf-8")
        doc = parse_json(f"{rendered.name}.txt", data, model)
        total = total + score_articles(rendered.gold, doc["articles"])
        if write is not None:
            write.mkdir(parents=True, exist_ok=True)
            (write / f"{rendered.name}.txt").write_bytes(data)
            gold = json.dumps(gold_document(rendered), ensure_ascii=False)
            (write / f"{rendered.name}.gold.json").write_text(gold, encoding="utf-8")
    return total


def by_month(corpus: Path, settings: TrainSettings, write: Path | None = None) -> dict[str, SplitScore]:
    """Train on two months, test on the third, for each month in turn."""
    scores = {}
    for held_out in settings.months:
        kept = tuple(m for m in settings.months if m != held_out)
        with tempfile.TemporaryDirectory() as folder:
            model = Path(folder) / "model.crfsuite"
            train(render_days(read_days(corpus, kept), replace(settings, months=kept)), model, settings)
            tests = render_days(read_days(corpus, (held_out,)), replace(settings, renderings=1), salt="test")
            scores[held_out] = score_rendered(tests, model, write / held_out if write else None)
    return scores


def by_family(corpus: Path, settings: TrainSettings, families: Sequence[str]) -> dict[str, SplitScore]:
    """Train on two months without one layout family; test on the third month in that family."""
    scores = {}
    train_months, test_month = settings.months[:2], settings.months[2]
    for family in families:
        others = tuple(f for f in FAMILIES if f != family)
        with tempfile.TemporaryDirectory() as folder:
            model = Path(folder) / "model.crfsuite"
            kept = replace(settings, months=train_months, families=others)
            train(render_days(read_days(corpus, train_months), kept), model, kept)
            only = replace(settings, renderings=1, families=(family,))
            tests = render_days(read_days(corpus, (test_month,)), only, "test")
            scores[family] = score_rendered(tests, model)
    return scores


@contextmanager
def rule_splitter_in_place() -> Iterator[None]:
    """Parse with the rule splitter instead of the labeller, for the yardstick."""
    import flows.parse

    def split(text: str, model: Path | None = None, doubt_below: float | None = None) -> Any:
        return rule_splitter.split_issue(text)

    labeller = flows.parse.split_issue
    flows.parse.split_issue = split  # type: ignore[assignment]
    try:
        yield
    finally:
        flows.parse.split_issue = labeller


def by_month_rules(corpus: Path, settings: TrainSettings) -> dict[str, SplitScore]:
    """Score the rule splitter on the by-month test issues (nothing to train)."""
    scores = {}
    with rule_splitter_in_place():
        for month in settings.months:
            tests = render_days(read_days(corpus, (month,)), replace(settings, renderings=1), salt="test")
            scores[month] = score_rendered(tests, MODEL_PATH)
    return scores


def fixture_gold(expected: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn a fixture's expected parse into gold articles of score_parse's shape."""
    gold = []
    for article in expected["articles"]:
        body = "".join(article["paragraphs"])
        when = article.get("dateline_date")
        gold.append(
            {
                "headline": article["headline"],
                "kicker": article.get("kicker"),
                "subtitle": article.get("subtitle"),
                "reporters": article.get("reporters", []),
                "correspondents": article.get("correspondents", []),
                "dateline": article.get("dateline"),
                "dateline_md": when[5:] if when else None,
                "body_start": body[:12],
                "body_end": body[-12:],
            }
        )
    return gold


def on_fixtures(model: Path = MODEL_PATH) -> dict[str, SplitScore]:
    """Score the model on every layout fixture and on the sample."""
    scores = {}
    for expected_path in sorted(FIXTURES.glob("*.expected.json")):
        name = expected_path.name.removesuffix(".expected.json")
        text_path = FIXTURES / f"{name}.txt"
        doc = parse_json(text_path.name, text_path.read_bytes(), model)
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        scores[name] = score_articles(fixture_gold(expected), doc["articles"])
    sample = ROOT / "data" / "samples" / "qingdao-daily-2025-12-30.txt"
    doc = parse_json(sample.name, sample.read_bytes(), model)
    expected = json.loads(SAMPLE_GOLD.read_text(encoding="utf-8"))
    scores["sample"] = score_articles(fixture_gold(expected), doc["articles"])
    return scores


def table(title: str, scores: dict[str, SplitScore]) -> str:
    """Write scores as a Markdown table with a pooled last row."""
    rows = [
        f"\n### {title}\n",
        "| set | articles | boundary F1 | field accuracy | worst fields |",
        "|---|---:|---:|---:|---|",
    ]
    pooled = SplitScore()
    for name, score in scores.items():
        pooled = pooled + score
        rows.append(_row(name, score))
    if len(scores) > 1:
        rows.append(_row("**all**", pooled))
    return "\n".join(rows)


def _row(name: str, score: SplitScore) -> str:
    worst = sorted((a, k) for k in FIELDS if (a := score.accuracy_of(k)) is not None)[:3]
    shown = ", ".join(f"{k} {a:.2f}" for a, k in worst)
    return f"| {name} | {score.gold} | {score.f1:.3f} | {score.field_accuracy:.3f} | {shown} |"


def main(argv: Sequence[str] | None = None) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--only", choices=("month", "family", "fixtures", "rules"), action="append")
    parser.add_argument("--families", nargs="*", default=["every/flush", "none/indented", "slots/flush"])
    parser.add_argument("--renderings", type=int, default=TrainSettings.renderings)
    parser.add_argument("--write", type=Path, help="write the by-month test issues and gold files here")
    parser.add_argument("--verbose", action="store_true", help="list what each set got wrong")
    args = parser.parse_args(argv)
    only = set(args.only or ("month", "family", "fixtures", "rules"))
    settings = TrainSettings(months=MONTHS, renderings=args.renderings)
    results: dict[str, dict[str, SplitScore]] = defaultdict(dict)
    if "fixtures" in only:
        results["The shipped model on the layout fixtures and the sample"] = on_fixtures()
    if "month" in only:
        results["Cross-validated by month (train on two, test on the third)"] = by_month(
            args.corpus, settings, args.write
        )
    if "rules" in only:
        with rule_splitter_in_place():
            results["The rule splitter on the layout fixtures and the sample"] = on_fixtures()
        results["The rule splitter on the by-month test issues"] = by_month_rules(args.corpus, settings)
    if "family" in only:
        by_layout = by_family(args.corpus, settings, args.families)
        results["By layout family never rendered in training"] = by_layout
    for title, scores in results.items():
        print(table(title, scores))
        if args.verbose:
            for name, score in scores.items():
                for miss in score.misses[:30]:
                    print(f"  {name}: {miss}")


if __name__ == "__main__":
    main()
