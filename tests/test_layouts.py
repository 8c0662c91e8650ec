"""Issues of other dailies and archive dumps parse as their hand-checked expected files say.

Each fixture in tests/fixtures/layouts/ goes through the pipeline's own path (`read_issue` +
`parse_issue`) and is compared field by field with NAME.expected.json (only the keys it states).
The quality bar (article F1 and field accuracy on layouts unlike the sample) is measured by
bench/eval_layouts.py, which prints the same numbers as a table.
"""

from __future__ import annotations

import copy
import importlib.util
from functools import cache
from typing import Any

import pytest

from bench.eval_layouts import (
    ARTICLE_FIELDS,
    FIXTURES,
    HELD_OUT,
    comparable,
    evaluate,
    fixture_names,
    load_expected,
    parse_fixture,
    score_parse,
    unlike_sample,
)
from flows.ingest import read_issue

NAMES = fixture_names()


@cache
def _parsed(name: str) -> dict[str, Any]:
    return parse_fixture(name)


def _build_script() -> Any:
    spec = importlib.util.spec_from_file_location("layouts_build", FIXTURES / "_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_corpus_has_many_layouts() -> None:
    assert len(NAMES) >= 8
    assert len(unlike_sample()) >= 8


@pytest.mark.parametrize("name", NAMES)
def test_fixture_files_are_what_the_build_script_writes(name: str) -> None:
    """The .txt and .expected.json on disk are exactly what _build.py checks and renders."""
    data, expected = _build_script().render(name)
    assert (FIXTURES / f"{name}.txt").read_bytes() == data
    assert (FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("name", NAMES)
def test_articles_and_headings(name: str) -> None:
    expected, doc = load_expected(name), _parsed(name)
    assert doc["issue"]["issue_date"] == expected["issue_date"]
    headings = [(a["kicker"], a["headline"], a["subtitle"]) for a in doc["articles"]]
    assert headings == [(a["kicker"], a["headline"], a["subtitle"]) for a in expected["articles"]]


@pytest.mark.parametrize("name", NAMES)
def test_every_field_matches(name: str) -> None:
    expected, doc = load_expected(name), _parsed(name)
    wrong = [
        (seq, key, comparable(got, key), want[key])
        for seq, (got, want) in enumerate(zip(doc["articles"], expected["articles"], strict=False), start=1)
        for key in ARTICLE_FIELDS
        if key in want and comparable(got, key) != (sorted(want[key]) if key == "findings" else want[key])
    ]
    assert wrong == []


@pytest.mark.parametrize("name", NAMES)
def test_residue_and_every_line_placed(name: str) -> None:
    expected, doc = load_expected(name), _parsed(name)
    assert doc["residue"] == expected["residue"]
    assert [f for f in doc["findings"] if f["check"] == "line_not_placed"] == []
    placed = sorted([line["n"] for a in doc["articles"] for line in a["lines"]] + doc["residue_lines"])
    path = FIXTURES / f"{name}.txt"
    text = read_issue(path.name, path.read_bytes()).text  # line numbers count in the decoded text
    non_blank = [n for n, line in enumerate(text.splitlines(), 1) if line.strip(" \t\u3000\xa0")]
    assert placed == non_blank


def test_quality_bar_on_layouts_unlike_the_sample() -> None:
    """Article boundaries and headings at F1 >= 0.95, the other fields >= 90% right."""
    scores, total = evaluate(unlike_sample())
    assert len(scores) >= 8 and total.expected >= 30
    assert total.f1 >= 0.95, total.misses
    assert total.accuracy >= 0.90, total.misses
    _, held_out = evaluate(sorted(HELD_OUT))
    assert held_out.f1 >= 0.95 and held_out.accuracy >= 0.90, held_out.misses


def test_the_measure_sees_a_wrong_parse() -> None:
    """A parse missing an article, or with a wrong field, scores below a perfect one."""
    name = "jiefang-daily-2025-03-07"
    expected, doc = load_expected(name), copy.deepcopy(_parsed(name))
    perfect = score_parse(name, expected, doc)
    assert (perfect.f1, perfect.accuracy) == (1.0, 1.0)
    doc["articles"].pop(1)
    doc["articles"][0]["dateline"] = "本报讯"
    damaged = score_parse(name, expected, doc)
    assert damaged.matched == perfect.matched - 1
    assert damaged.f1 < 1.0 and damaged.accuracy < 1.0
    assert any("#1 dateline" in miss for miss in damaged.misses)
