"""Time the splitter per issue against the rule splitter, in one run, on real-size issues.

    python -m bench.split_cost                 # 20 real-size issues from the corpus, 5 rounds
    python -m bench.split_cost --issues 40 --rounds 7

Issues are People's Daily days rendered in random layouts (about 100 articles, 250–300 KB
each, as real issues are) when the corpus is at `data/corpus`; without it, the layout fixtures
glued together to the same size. Both splitters run on the same issue one after the other,
round after round, in CPU time; the report gives each one's median per issue and their ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import rule_splitter
from flows.ingest import read_issue
from flows.labeller.corpus import read_days
from flows.labeller.render import random_layout, render_issue
from flows.split import split_issue

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "layouts"
REAL_SIZE_BYTES = 270_000


def real_size_issues(corpus: Path, count: int, seed: int = 7) -> list[str]:
    """Return `count` issue texts of real size: rendered corpus days, or glued fixtures."""
    if corpus.exists():
        days = read_days(corpus)
        rng = random.Random(seed)
        chosen = rng.sample(sorted(days), min(count, len(days)))
        return [render_issue(days[d], d, random_layout(rng), rng).text for d in chosen]
    pieces = [read_issue(p.name, p.read_bytes()).text for p in sorted(FIXTURES.glob("*.txt"))]
    glued, issues = "", []
    while len(issues) < count:
        for piece in pieces:
            glued += piece + "\n"
            if len(glued.encode("utf-8")) >= REAL_SIZE_BYTES:
                issues.append(glued)
                glued = ""
    return issues[:count]


def cpu_time(split: Callable[[str], object], text: str) -> float:
    started = time.process_time()
    split(text)
    return time.process_time() - started


def measure(issues: Sequence[str], rounds: int) -> dict[str, float]:
    """Return each splitter's median CPU seconds per issue, and the labeller's ratio to the rules."""
    splitters = {"labeller": split_issue, "rules": rule_splitter.split_issue}
    for split in splitters.values():
        split(issues[0])  # load the model, compile the patterns
    per_issue: dict[str, list[float]] = {name: [] for name in splitters}
    for text in issues:
        times: dict[str, list[float]] = {name: [] for name in splitters}
        for _ in range(rounds):
            for name, split in splitters.items():
                times[name].append(cpu_time(split, text))
        for name in splitters:
            per_issue[name].append(statistics.median(times[name]))
    result = {f"{name}_ms": 1000 * statistics.fmean(values) for name, values in per_issue.items()}
    result["ratio"] = result["labeller_ms"] / result["rules_ms"]
    return result


def main(argv: Sequence[str] | None = None) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--issues", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    issues = real_size_issues(args.corpus, args.issues)
    size = statistics.fmean(len(t.encode("utf-8")) for t in issues) / 1000
    lines = statistics.fmean(len(t.splitlines()) for t in issues)
    result = measure(issues, args.rounds)
    print(f"{len(issues)} issues, {size:.0f} KB and {lines:.0f} lines each on average, {args.rounds} rounds")
    print(f"rules    {result['rules_ms']:6.1f} ms per issue (CPU)")
    print(f"labeller {result['labeller_ms']:6.1f} ms per issue (CPU)")
    print(f"ratio    {result['ratio']:6.2f} (labeller / rules)")


if __name__ == "__main__":
    main()
