"""A writer's re-check of an issue's duplicates against what the warehouse holds (the issues before it)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from bench.synthetic import synthetic_issue
from flows.ingest import read_issue
from flows.parse import parse_issue
from flows.settings import check_severities
from flows.validate import DUPLICATE_CHECKS, Validated, recheck_duplicates, validate_issues
from tests.conftest import TODAY

SEVERITIES = check_severities({"body_not_near_duplicate": "error", "headline_length_sane": "info"})


def parsed_issue(day: date, text: str):
    return parse_issue(read_issue(f"qingdao-daily-{day}.txt", text.encode("utf-8")), TODAY)


@pytest.fixture(scope="module")
def issues() -> list[Validated]:
    """An issue; a reprint of it (new datelines: duplicates); a light edit (near-duplicates); another.

    Each validated alone, as a worker leaves it.
    """
    day = date(2016, 1, 1)
    first = synthetic_issue(day, random.Random(1))
    reprint = first.replace("本报12月31日讯", "本报1月1日讯")
    edited = "\n".join(line.replace("。", "！", 1) if len(line) > 40 else line for line in first.splitlines())
    other = synthetic_issue(day + timedelta(days=1), random.Random(2))
    texts = [first, reprint, edited, other]
    parsed = [parsed_issue(day + timedelta(days=n), t) for n, t in enumerate(texts)]
    return validate_issues(parsed, SEVERITIES)


def known(first: Validated) -> tuple[dict[str, str], pl.DataFrame]:
    """What the warehouse holds once the first issue is loaded: its accepted bodies and signatures."""
    bodies = dict(zip(first.accepted["body_hash"], first.accepted["article_id"], strict=True))
    accepted = first.signatures.filter(pl.col("article_id").is_in(first.accepted["article_id"].implode()))
    return bodies, accepted.select("article_id", "minhash")


def same_seq(frame: pl.DataFrame, first: Validated) -> dict[str, str]:
    """Map each article id of an issue to the first issue's article id with the same number."""
    ids = dict(zip(first.articles["seq"], first.articles["article_id"], strict=True))
    return {a: ids[seq] for a, seq in zip(frame["article_id"], frame["seq"], strict=True)}


def test_a_reprint_is_rejected_as_duplicates_of_the_loaded_issue(issues: list[Validated]) -> None:
    first, alone = issues[0], issues[1]
    got = recheck_duplicates(alone, *known(first), SEVERITIES)
    copies = got.articles.filter(pl.col("body_hash").is_in(first.accepted["body_hash"].implode()))
    assert copies.height > 0 and alone.articles["duplicate_of"].null_count() == alone.articles.height
    assert dict(zip(copies["article_id"], copies["duplicate_of"], strict=True)) == same_seq(copies, first)
    assert set(copies["article_id"]) <= set(got.rejected["article_id"])
    assert got.rejected.height > alone.rejected.height
    assert {f.seq for f in got.findings if f.check == "body_not_duplicate"} >= set(copies["seq"])


def test_a_light_edit_is_linked_to_the_loaded_issue_as_near_duplicates(issues: list[Validated]) -> None:
    first, alone = issues[0], issues[2]
    got = recheck_duplicates(alone, *known(first), SEVERITIES)
    linked = got.articles.filter(pl.col("near_duplicate_of").is_not_null())
    assert linked.height > 0 and alone.articles["near_duplicate_of"].null_count() == alone.articles.height
    assert dict(zip(linked["article_id"], linked["near_duplicate_of"], strict=True)) == same_seq(
        linked, first
    )
    assert (linked["near_duplicate_similarity"] >= 0.7).all()
    assert set(linked["article_id"]) <= set(got.rejected["article_id"])  # configured an error here


@pytest.mark.parametrize("later", [1, 2, 3], ids=["reprint", "edited", "other"])
def test_a_recheck_changes_only_the_duplicate_checks(issues: list[Validated], later: int) -> None:
    alone = issues[later]
    got = recheck_duplicates(alone, *known(issues[0]), SEVERITIES)
    others = [f for f in got.findings if f.check not in DUPLICATE_CHECKS]
    assert others == [f for f in alone.findings if f.check not in DUPLICATE_CHECKS]
    assert_frame_equal(got.signatures, alone.signatures)
    if later == 3:  # nothing of it is in the warehouse: the worker's verdicts stand
        assert_frame_equal(got.articles, alone.articles)
        assert got.findings == alone.findings
