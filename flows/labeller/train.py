"""Train the line labeller on real articles rendered in many layouts, reproducibly.

    python -m flows.labeller.train --corpus data/corpus            # rebuild data/split_model.*
    python -m flows.labeller.train --mirror PATH --corpus data/corpus  # extract the months first

The corpus is the People's Daily month dump (`flows.labeller.corpus`); each day is rendered
as whole issues in random layouts (`flows.labeller.render`), and a CRF learns every line's
label from them. The same seed, months and settings give the same model.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pycrfsuite

from flows.ingest import read_issue
from flows.labeller.corpus import MONTHS, DumpArticle, extract_months, read_days
from flows.labeller.features import issue_features
from flows.labeller.model import MODEL_PATH, weights_from_crfsuite, write_weights
from flows.labeller.render import Rendered, random_layout, render_issue
from flows.split import split_lines
from flows.text.layout import read_lines

SOURCE = "github.com/caspiankexin/people-daily-crawler-date (People's Daily, one file an article)"


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides the model: same settings, same model."""

    months: tuple[str, ...] = MONTHS
    seed: int = 20190201
    renderings: int = 3  # issues rendered from each day, each in its own layout
    c1: float = 0.1  # L1 penalty: keeps the model small
    c2: float = 0.01
    iterations: int = 200
    families: tuple[str, ...] | None = None  # keep rendering to these layout families


def render_days(
    days: dict[date, list[DumpArticle]], settings: TrainSettings, salt: str = ""
) -> Iterator[Rendered]:
    """Render every day `settings.renderings` times, each in a layout drawn at random."""
    for day in sorted(days):
        for k in range(settings.renderings):
            rng = random.Random(f"{settings.seed}:{salt}:{day.isoformat()}:{k}")
            layout = random_layout(rng, settings.families)
            yield render_issue(days[day], day, layout, rng, name=f"{day.isoformat()}-{k}")


def sequence(rendered: Rendered) -> tuple[list[list[str]], list[str]]:
    """Return an issue's features and labels, read the way the pipeline reads a file."""
    text = read_issue(f"{rendered.name}.txt", rendered.text.encode("utf-8")).text
    infos, layout = read_lines(split_lines(text))
    if len(infos) != len(rendered.labels):
        raise ValueError(f"{rendered.name}: {len(infos)} lines but {len(rendered.labels)} labels")
    return issue_features(infos, layout), rendered.labels


def train(issues: Iterable[Rendered], path: Path, settings: TrainSettings) -> dict[str, Any]:
    """Train a CRF on rendered issues, write its weights to `path`; return the training's facts."""
    started = time.perf_counter()
    trainer = pycrfsuite.Trainer(verbose=False)
    count = lines = 0
    for rendered in issues:
        features, labels = sequence(rendered)
        trainer.append(features, labels)
        count += 1
        lines += len(labels)
    trainer.select("lbfgs", "crf1d")
    trainer.set_params(
        {
            "c1": settings.c1,
            "c2": settings.c2,
            "max_iterations": settings.iterations,
            "feature.possible_transitions": True,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        crfsuite_model = Path(folder) / "model.crfsuite"
        trainer.train(str(crfsuite_model))
        document = weights_from_crfsuite(crfsuite_model)
    facts = {"issues": count, "lines": lines, "seconds": round(time.perf_counter() - started, 1)}
    document["card"] = {"trained": facts}
    write_weights(document, path)
    return facts


def write_card(path: Path, settings: TrainSettings, facts: dict[str, Any], days: int) -> None:
    """Put the model card into the model's file: what it was trained on, and how."""
    document = json.loads(path.read_text(encoding="utf-8"))
    document["card"] = {
        "kind": "linear-chain CRF (python-crfsuite, L-BFGS), decoded under the rules' constraints",
        "source": SOURCE,
        "days": days,
        "settings": asdict(settings),
        "trained": facts,
        "features": len(document["state"]),
    }
    write_weights(document, path)


def main(argv: Sequence[str] | None = None) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"), help="folder of month folders")
    parser.add_argument("--mirror", type=Path, help="git mirror of the dump: extract the months first")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--seed", type=int, default=TrainSettings.seed)
    parser.add_argument("--renderings", type=int, default=TrainSettings.renderings)
    args = parser.parse_args(argv)
    settings = TrainSettings(seed=args.seed, renderings=args.renderings)
    if args.mirror:
        extract_months(args.mirror, args.corpus, settings.months)
    days = read_days(args.corpus, settings.months)
    facts = train(render_days(days, settings), args.out, settings)
    write_card(args.out, settings, facts, len(days))
    print(f"{args.out}: {facts['issues']} issues, {facts['lines']} lines, {facts['seconds']} s")


if __name__ == "__main__":
    main()
