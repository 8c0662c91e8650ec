"""Issues of other dailies and archive dumps split as their hand-checked expected files say.

The nineteen fixtures in tests/fixtures/layouts/ were never trained on: they are the splitter's
held-out layouts. Each goes through the pipeline's own path (`read_issue` + `parse_issue`);
articles are scored the way `../shared/tools/score_parse.py` counts (bench/split_score.py), and
bench/eval_split.py prints the same numbers as a table.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bench.eval_split import FIXTURES, fixture_gold, on_fixtures, parse_json
from bench.split_score import SplitScore, score_articles
from flows.ingest import read_issue

NAMES = sorted(p.name.removesuffix(".expected.json") for p in FIXTURES.glob("*.expected.json"))
SCORE_PARSE = Path(__file__).resolve().parents[2] / "shared" / "tools" / "score_parse.py"


@cache
def _parsed(name: str) -> dict[str, Any]:
    path = FIXTURES / f"{name}.txt"
    return parse_json(path.name, path.read_bytes())


def _expected(name: str) -> dict[str, Any]:
    expected: dict[str, Any] = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return expected


def _build_script() -> Any:
    spec = importlib.util.spec_from_file_location("layouts_build", FIXTURES / "_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_corpus_has_many_layouts() -> None:
    assert len(NAMES) >= 19


@pytest.mark.parametrize("name", NAMES)
def test_fixture_files_are_what_the_build_script_writes(name: str) -> None:
    """The .txt and .expected.json on disk are exactly what _build.py checks and renders."""
    data, expected = _build_script().render(name)
    assert (FIXTURES / f"{name}.txt").read_bytes() == data
    assert (FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("name", NAMES)
def test_every_line_is_placed_once_and_the_date_is_read(name: str) -> None:
    doc = _parsed(name)
    assert doc["issue"]["issue_date"] == _expected(name)["issue_date"]
    assert [f for f in doc["findings"] if f["check"] == "line_not_placed"] == []
    placed = sorted([line["n"] for a in doc["articles"] for line in a["lines"]] + doc["residue_lines"])
    path = FIXTURES / f"{name}.txt"
    text = read_issue(path.name, path.read_bytes()).text  # line numbers count in the decoded text
    non_blank = [n for n, line in enumerate(text.splitlines(), 1) if line.strip(" \t\u3000\xa0")]
    assert placed == non_blank


def test_quality_bar_on_layouts_never_trained_on() -> None:
    """Article boundaries at F1 >= 0.95 and fields >= 0.95 right, pooled over the fixtures."""
    scores = on_fixtures()
    pooled = sum((s for name, s in scores.items() if name != "sample"), SplitScore())
    assert pooled.gold >= 60
    assert pooled.f1 >= 0.95, pooled.misses
    assert pooled.field_accuracy >= 0.95, pooled.misses


def test_the_measure_sees_a_wrong_parse() -> None:
    """The expected parse scores 1.0; one missing article or one wrong field scores less."""
    expected = _expected("jiefang-daily-2025-03-07")
    gold = fixture_gold(expected)
    perfect = score_articles(gold, expected["articles"])
    assert (perfect.f1, perfect.field_accuracy) == (1.0, 1.0)
    articles = copy.deepcopy(expected["articles"])
    articles.pop(1)
    articles[0]["dateline"] = "本报讯"
    damaged = score_articles(gold, articles)
    assert damaged.matched == perfect.matched - 1
    assert damaged.f1 < 1.0 and damaged.field_accuracy < 1.0
    assert any(miss.endswith(" dateline") for miss in damaged.misses)


@pytest.mark.skipif(not SCORE_PARSE.exists(), reason="../shared/tools/score_parse.py is not beside it")
@pytest.mark.parametrize("name", ["peoples-daily-2025-02-10", "xinhua-digest-2025-02-04"])
def test_the_project_scores_as_the_shared_tool_does(name: str, tmp_path: Path) -> None:
    """bench/split_score.py counts boundary F1 and field accuracy exactly as score_parse.py does."""
    articles = copy.deepcopy(_parsed(name)["articles"])
    articles[0]["headline"] = articles[0]["headline"] + "（续）"  # one field wrong, still found
    articles.pop()  # one article missing
    gold, pred = tmp_path / "gold.json", tmp_path / "pred.json"
    gold.write_text(json.dumps({"articles": fixture_gold(_expected(name))}, ensure_ascii=False), "utf-8")
    pred.write_text(json.dumps({"articles": articles}, ensure_ascii=False), "utf-8")
    shared = subprocess.run(
        [sys.executable, str(SCORE_PARSE), str(gold), str(pred), "--min", "0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ours = score_articles(fixture_gold(_expected(name)), articles)
    assert f"boundary_f1={ours.f1:.3f} field_acc={ours.field_accuracy:.3f}" in shared
