"""Batch-frame helpers give what the slow, obvious construction gives."""

from __future__ import annotations

import pickle

import polars as pl
import pytest

from flows.frames import own_list_strings, split_parts, struct_lists

FIELDS = {"role": pl.String(), "text": pl.String()}
DTYPE = pl.List(pl.Struct(FIELDS))

ROWS = [
    [],
    [{"role": "reporter", "text": "记者 薛华飞"}],
    [{"role": "correspondent", "text": None}, {"role": None, "text": "通讯员 李青健"}],
    [],
    [{"role": "photo", "text": "摄影"}, {"role": "photo", "text": "摄影"}, {"role": "editor", "text": ""}],
]


@pytest.mark.parametrize(
    "rows",
    [ROWS, [[]], [[], []], [], ROWS[1:2] * 300],
    ids=["mixed", "one-empty", "all-empty", "none", "many"],
)
def test_struct_lists_equal_polars_row_by_row(rows) -> None:
    expected = pl.Series("credits", rows, DTYPE)
    built = struct_lists("credits", rows, FIELDS)
    assert built.dtype == DTYPE and built.name == "credits"
    assert built.to_list() == expected.to_list()
    assert built.equals(expected)


def test_split_parts_gives_every_part_in_order_and_empty_ones() -> None:
    frame = pl.DataFrame(
        {"part": [2, 0, 2, 0], "x": ["a", "b", "c", "d"]}, schema={"part": pl.UInt32, "x": pl.String}
    )
    parts = split_parts(frame, 4)
    assert [p["x"].to_list() for p in parts] == [["b", "d"], [], ["a", "c"], []]
    assert all(p.columns == ["x"] for p in parts)


def test_a_part_owns_its_list_strings() -> None:
    long = "长段落" * 200
    frame = pl.DataFrame(
        {
            "part": [i // 2 for i in range(200)],
            "paragraphs": [[f"{long}{i}", f"{i}{long}"] for i in range(200)],
        },
        schema={"part": pl.UInt32, "paragraphs": pl.List(pl.String)},
    )
    groups = frame.partition_by("part", include_key=False, maintain_order=True)
    shared, owned = groups[0], own_list_strings(groups[0])
    assert owned.equals(shared)
    assert len(pickle.dumps(owned)) * 20 < len(pickle.dumps(shared))  # the whole frame's text, before
    assert len(pickle.dumps(split_parts(frame, 100)[0])) == len(pickle.dumps(owned))
