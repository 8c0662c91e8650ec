"""Findings do not depend on the order issues arrive in: duplicates are judged in issue-date order.

An archive with reprints (the same body in a later issue) and near-duplicates (an edited
copy) is loaded in several orders: whole and in date order, issue by issue backwards (every
issue arriving before the ones it precedes), in batches finishing in a shuffled order, and
in two halves, the later first. Every order must leave the same rows: the same articles
accepted and rejected, the same links to the earlier copy, the same quality findings.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from bench.synthetic import synthetic_issue
from flows import bulk_load, load
from flows.ingest import read_issue
from flows.parse import parse_issue
from flows.storage.warehouse import parse_warehouse
from flows.transform import IssueBundle, transform_issue
from tests.conftest import TODAY

NOW = datetime(2026, 1, 15, 6, 0)
DAYS = [date(2016, 1, 1) + timedelta(days=n) for n in range(10)]
COMPARED = {  # table → its rows, less what says when they were written
    "issues": "select * exclude (loaded_at, run_id) from issues order by sha256",
    "articles": "select * exclude (loaded_at) from articles order by article_id",
    "rejected_articles": "select * exclude (loaded_at) from rejected_articles order by article_id",
    "quality_findings": "select * exclude (found_at) from quality_findings order by all",
    "article_minhashes": "select * from article_minhashes order by article_id",
}


def _article_lines(text: str, seq: int, edit: bool = False) -> list[str]:
    """One article of an issue, as lines to print again in another (its dateline kept)."""
    article = parse_issue(read_issue("x-2016-01-01.txt", text.encode("utf-8")), TODAY).articles[seq - 1]
    paragraphs = list(article.paragraphs)
    if edit:  # a light edit: a near-duplicate, not the same body
        paragraphs[-1] = paragraphs[-1][:-12] + "（本报综合）。"
    first = f"{article.dateline} {paragraphs[0]}" if article.dateline else paragraphs[0]
    return [
        article.headline or "",
        "",
        article.byline or "",
        "",
        first,
        "",
        *(p + "\n" for p in paragraphs[1:]),
    ]


@pytest.fixture(scope="module")
def bundles() -> list[IssueBundle]:
    """Ten daily issues; the 6th reprints an article of the 2nd and an edited one of the 3rd, the 9th
    reprints the 2nd's again, and the 4th prints an edited copy of an article the 8th has too."""
    texts = [synthetic_issue(day, random.Random(n)) for n, day in enumerate(DAYS)]
    texts[5] += "\n".join(["", *_article_lines(texts[1], 3), *_article_lines(texts[2], 4, edit=True)])
    texts[8] += "\n".join(["", *_article_lines(texts[1], 3)])
    texts[3] += "\n".join(["", *_article_lines(texts[7], 2, edit=True)])
    return [
        transform_issue(read_issue(f"qingdao-daily-{day}.txt", text.encode("utf-8")), TODAY)
        for day, text in zip(DAYS, texts, strict=True)
    ]


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {table: con.execute(query).fetchall() for table, query in COMPARED.items()}


def in_batches(warehouse: Path, batches: list[list[IssueBundle]]) -> dict[str, list[tuple]]:
    with load.open_warehouse(parse_warehouse(str(warehouse))) as con:
        for batch in batches:
            bulk_load.load_issues(
                con, parse_warehouse(str(warehouse)), batch, "run", lambda: NOW, batch_writer=True
            )
    return snapshot(warehouse)


@pytest.fixture(scope="module")
def in_date_order(
    bundles: list[IssueBundle], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple]]:
    return in_batches(tmp_path_factory.mktemp("order") / "dated.duckdb", [bundles])


def test_the_archive_has_what_order_could_change(in_date_order: dict[str, list[tuple]]) -> None:
    checks = {row[3] for row in in_date_order["quality_findings"]}
    assert {"body_not_duplicate", "body_not_near_duplicate"} <= checks
    rejected = {(row[4], row[2]) for row in in_date_order["rejected_articles"]}  # (seq, issue date)
    assert {(8, DAYS[5]), (8, DAYS[8])} <= rejected  # the reprints of the 2nd issue's article


def test_issues_loaded_backwards_one_by_one_end_as_loaded_in_date_order(
    bundles: list[IssueBundle], in_date_order: dict[str, list[tuple]], tmp_path: Path
) -> None:
    warehouse = tmp_path / "backwards.duckdb"
    with load.open_warehouse(parse_warehouse(str(warehouse))) as con:
        for bundle in reversed(bundles):
            assert bulk_load.load_issues(con, parse_warehouse(str(warehouse)), [bundle], "run", lambda: NOW)[
                0
            ].loaded
    got = snapshot(warehouse)
    for table in COMPARED:
        assert got[table] == in_date_order[table], table


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batches_written_in_any_order_end_as_loaded_in_date_order(
    bundles: list[IssueBundle], in_date_order: dict[str, list[tuple]], tmp_path: Path, seed: int
) -> None:
    batches = [bundles[i : i + 3] for i in range(0, len(bundles), 3)]
    random.Random(seed).shuffle(batches)
    got = in_batches(tmp_path / "shuffled.duckdb", batches)
    for table in COMPARED:
        assert got[table] == in_date_order[table], table


def test_an_archive_loaded_in_two_orders_gives_the_same_findings(
    bundles: list[IssueBundle], in_date_order: dict[str, list[tuple]], tmp_path: Path
) -> None:
    """The later half backfilled first, then the earlier half: the earlier half's issues hold
    the first copies of articles the later half printed again, and take their place."""
    got = in_batches(tmp_path / "halves.duckdb", [bundles[5:], bundles[:5]])
    assert got["quality_findings"] == in_date_order["quality_findings"]
    for table in COMPARED:
        assert got[table] == in_date_order[table], table


def test_revalidating_changes_nothing_whatever_the_load_order(
    bundles: list[IssueBundle], tmp_path: Path
) -> None:
    from flows.revalidate import revalidate_warehouse

    warehouse = tmp_path / "w.duckdb"
    before = in_batches(warehouse, [bundles[5:], bundles[:5]])
    with load.open_warehouse(parse_warehouse(str(warehouse))) as con:
        outcome = revalidate_warehouse(con, parse_warehouse(str(warehouse)), None, NOW)
    assert outcome.to_rejected == outcome.to_accepted == outcome.relinked == []
    assert snapshot(warehouse) == before
