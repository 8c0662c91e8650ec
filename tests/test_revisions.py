"""A later file for a paper and date already loaded is a revision: it replaces the earlier issue.

Never two live issues for one paper and date; the earlier one kept whole in issue_revisions;
the run says so; re-running changes nothing; a later issue that named the replaced issue's
article as its earlier copy is judged again against the revision.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from flows import bulk_load, load
from flows.ingest import read_issue
from flows.settings import SAMPLE_ISSUE
from flows.storage.warehouse import parse_warehouse
from flows.transform import IssueBundle, transform_issue
from tests.conftest import TODAY
from tests.reprint import LATER_ISSUE_NAME, later_issue_text

NOW = datetime(2026, 1, 15, 6, 0)
PER_ISSUE = {  # table → the column naming the issue
    "issues": "sha256",
    "articles": "issue_sha256",
    "rejected_articles": "issue_sha256",
    "article_reporters": "issue_sha256",
    "article_minhashes": "issue_sha256",
    "quality_findings": "issue_sha256",
}
SAMPLE_TEXT = SAMPLE_ISSUE.read_text(encoding="utf-8")


def bundle(name: str, text: str) -> IssueBundle:
    return transform_issue(read_issue(name, text.encode("utf-8")), TODAY)


@pytest.fixture(scope="module")
def half() -> IssueBundle:
    """The sample as a copy in progress left it: its first 40 lines (three articles and a half)."""
    return bundle(SAMPLE_ISSUE.name, "\n".join(SAMPLE_TEXT.splitlines()[:40]) + "\n")


@pytest.fixture(scope="module")
def whole() -> IssueBundle:
    return bundle(SAMPLE_ISSUE.name, SAMPLE_TEXT)


def rows_of(con: duckdb.DuckDBPyConnection, sha: str) -> dict[str, int]:
    """How many rows of one issue each live table holds (article-keyed tables by id prefix)."""
    counts = {}
    for table, column in PER_ISSUE.items():
        counts[table] = con.execute(f"select count(*) from {table} where {column} = ?", [sha]).fetchone()[0]
    for table in ("article_terms", "article_keywords", "article_entities"):
        query = f"select count(*) from {table} where starts_with(article_id, ?)"
        counts[table] = con.execute(query, [sha[:16]]).fetchone()[0]
    return counts


def test_a_whole_file_after_its_half_replaces_it(
    warehouse: str, half: IssueBundle, whole: IssueBundle
) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        assert bulk_load.load_issues(con, parse_warehouse(warehouse), [half], "run-1", lambda: NOW)[0].loaded
        (result,) = bulk_load.load_issues(con, parse_warehouse(warehouse), [whole], "run-2", lambda: NOW)
        assert result.loaded and result.replaced == [SAMPLE_ISSUE.name]
        assert con.execute("select sha256 from issues").fetchall() == [(whole.issue.sha256,)]
        assert con.execute("select articles_accepted, articles_rejected from issues").fetchone() == (6, 1)
        assert not con.execute("select * from rejected_articles where duplicate_of is not null").fetchall()
        assert set(rows_of(con, half.issue.sha256).values()) == {0}  # nothing of the half is live
        columns = "sha256, raw_text, replaced_by, replaced_by_run, loaded_at is not null"
        kept = con.execute(f"select {columns} from issue_revisions").fetchall()
    assert kept == [(half.issue.sha256, half.issue.text, whole.issue.sha256, "run-2", True)]


def test_the_same_files_again_change_nothing(warehouse: str, half: IssueBundle, whole: IssueBundle) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), [half], "run-1", lambda: NOW)
        bulk_load.load_issues(con, parse_warehouse(warehouse), [whole], "run-2", lambda: NOW)
        before = rows_of(con, whole.issue.sha256)
        assert (
            bulk_load.load_issues(con, parse_warehouse(warehouse), [half], "run-3", lambda: NOW)[0].loaded
            is False
        )  # replaced stays replaced
        assert (
            bulk_load.load_issues(con, parse_warehouse(warehouse), [whole], "run-3", lambda: NOW)[0].loaded
            is False
        )
        assert rows_of(con, whole.issue.sha256) == before
        assert con.execute("select count(*) from issue_revisions").fetchone() == (1,)


def test_two_files_of_one_day_in_one_batch_end_as_if_loaded_one_after_the_other(
    tmp_path: Path, half: IssueBundle, whole: IssueBundle
) -> None:
    apart, together = str(tmp_path / "apart.duckdb"), str(tmp_path / "together.duckdb")
    with load.open_warehouse(parse_warehouse(apart)) as con:
        bulk_load.load_issues(con, parse_warehouse(apart), [half], "run", lambda: NOW, batch_writer=True)
        bulk_load.load_issues(con, parse_warehouse(apart), [whole], "run", lambda: NOW, batch_writer=True)
    with load.open_warehouse(parse_warehouse(together)) as con:
        results = bulk_load.load_issues(
            con, parse_warehouse(together), [half, whole], "run", lambda: NOW, batch_writer=True
        )
    assert [r.loaded for r in results] == [False, True]
    assert results[0].reason is not None and results[0].reason.startswith("replaced by a later revision")
    query = {
        "issues": "select * exclude (loaded_at, run_id) from issues",
        "articles": "select * exclude (loaded_at) from articles order by article_id",
        "quality_findings": "select * exclude (found_at) from quality_findings order by all",
        "issue_revisions": "select sha256, raw_text, replaced_by from issue_revisions",
    }
    with duckdb.connect(apart, read_only=True) as a, duckdb.connect(together, read_only=True) as b:
        for table, sql in query.items():
            assert a.execute(sql).fetchall() == b.execute(sql).fetchall(), table


def test_a_later_issue_that_reprinted_the_replaced_ones_article_is_judged_again(
    warehouse: str, whole: IssueBundle
) -> None:
    """The sample, a later issue reprinting its first article, then a correction of the sample's
    day that edits its first article: the reprint's earlier copy is gone, so it is accepted."""
    later = bundle(LATER_ISSUE_NAME, later_issue_text(SAMPLE_TEXT))
    correction_text = SAMPLE_TEXT.replace("市领导宋明杰、赵燕参加会见。", "市领导宋明杰、赵燕等参加会见。")
    correction = bundle(SAMPLE_ISSUE.name, correction_text)
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), [whole], "run-1", lambda: NOW)
        bulk_load.load_issues(con, parse_warehouse(warehouse), [later], "run-2", lambda: NOW)
        reprint = "select duplicate_of, near_duplicate_of from {} where issue_sha256 = ? and seq = 1"
        duplicate, _ = con.execute(reprint.format("rejected_articles"), [later.issue.sha256]).fetchone()
        assert duplicate.startswith(whole.issue.sha256[:16])
        bulk_load.load_issues(con, parse_warehouse(warehouse), [correction], "run-3", lambda: NOW)
        assert con.execute("select sha256 from issues order by issue_date").fetchall() == [
            (correction.issue.sha256,),
            (later.issue.sha256,),
        ]
        # the reprint's body is no longer the corrected first article's: a near-duplicate of it now
        duplicate, near = con.execute(reprint.format("articles"), [later.issue.sha256]).fetchone()
    assert duplicate is None and near.startswith(correction.issue.sha256[:16])


@pytest.mark.usefixtures("prefect_harness")
def test_the_run_says_which_issue_a_revision_replaced(tmp_path: Path, sample_bytes: bytes) -> None:
    from flows.pipeline import daily_ingest

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / SAMPLE_ISSUE.name).write_text("\n".join(SAMPLE_TEXT.splitlines()[:40]) + "\n", encoding="utf-8")
    warehouse = str(tmp_path / "warehouse.duckdb")
    daily_ingest(inbox=str(inbox), warehouse=warehouse)
    (inbox / SAMPLE_ISSUE.name).write_bytes(sample_bytes)  # the copy, finished
    state = daily_ingest(inbox=str(inbox), warehouse=warehouse, return_state=True)
    row = state.result()
    assert (row["files_loaded"], row["articles_accepted"], row["articles_rejected"]) == (1, 6, 1)
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select count(*) from issues").fetchone() == (1,)
        assert con.execute("select count(*) from issue_revisions").fetchone() == (1,)
