"""A writer's re-check of an issue's duplicates gives what a full validation against the warehouse gives."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from polars.testing import assert_frame_equal

from bench.synthetic import synthetic_issue
from flows.ingest import read_issue
from flows.parse import parse_issue
from flows.validate import Validated, recheck_duplicates, validate_articles
from tests.conftest import TODAY

SEVERITIES = {"body_not_near_duplicate": "error", "headline_length_sane": "info"}


def parsed_issue(day: date, text: str):
    return parse_issue(read_issue(f"qingdao-daily-{day}.txt", text.encode("utf-8")), TODAY)


@pytest.fixture(scope="module")
def issues() -> list:
    """An issue; a reprint of it (new datelines: duplicates); a light edit (near-duplicates); another."""
    day = date(2016, 1, 1)
    first = synthetic_issue(day, random.Random(1))
    reprint = first.replace("本报12月31日讯", "本报1月1日讯")
    edited = "\n".join(line.replace("。", "！", 1) if len(line) > 40 else line for line in first.splitlines())
    other = synthetic_issue(day + timedelta(days=1), random.Random(2))
    return [parsed_issue(day + timedelta(days=n), t) for n, t in enumerate([first, reprint, edited, other])]


def assert_same(got: Validated, expected: Validated) -> None:
    for frame in ("articles", "accepted", "rejected", "signatures"):
        assert_frame_equal(getattr(got, frame), getattr(expected, frame))
    assert got.findings == expected.findings


@pytest.mark.parametrize("later", [1, 2, 3], ids=["reprint", "edited", "other"])
def test_a_recheck_equals_a_full_validation(issues: list, later: int) -> None:
    first = validate_articles(issues[0], {}, SEVERITIES)
    known_bodies = dict(zip(first.accepted["body_hash"], first.accepted["article_id"], strict=True))
    known = first.signatures.filter(
        first.signatures["article_id"].is_in(first.accepted["article_id"].implode())
    )
    alone = validate_articles(issues[later], {}, SEVERITIES)  # as the worker left it
    expected = validate_articles(
        issues[later], known_bodies, SEVERITIES, known.select("article_id", "minhash")
    )
    got = recheck_duplicates(alone, known_bodies, known.select("article_id", "minhash"), SEVERITIES)
    assert_same(got, expected)
    if later < 3:  # the warehouse changed the verdicts
        assert expected.rejected.height > alone.rejected.height
