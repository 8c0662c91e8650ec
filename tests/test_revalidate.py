"""`newsprint revalidate`: current checks re-applied to the warehouse, atomically, nothing lost."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows import bulk_load, load, revalidate
from flows.cli.app import app
from flows.ingest import read_issue
from flows.revalidate import revalidate_warehouse
from flows.settings import SAMPLE_ISSUE, check_severities
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY
from tests.reprint import LATER_ISSUE_NAME, later_issue_text

NOW = datetime(2026, 1, 15, 6, 0)
LATER = datetime(2026, 1, 20, 6, 0)
runner = CliRunner()


@pytest.fixture
def loaded(warehouse: str, sample_issue) -> str:
    """A warehouse holding the sample and a later issue that reprints two of its articles."""
    text = later_issue_text(SAMPLE_ISSUE.read_text(encoding="utf-8"))
    later = transform_issue(read_issue(LATER_ISSUE_NAME, text.encode("utf-8")), TODAY)
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(
            con, parse_warehouse(warehouse), [transform_issue(sample_issue, TODAY)], "run-1", lambda: NOW
        )
        bulk_load.load_issues(con, parse_warehouse(warehouse), [later], "run-2", lambda: NOW)
    return warehouse


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Every row of the tables revalidation may touch, in a stable order."""
    tables = {
        "articles": "article_id",
        "rejected_articles": "article_id",
        "quality_findings": 'issue_sha256, seq nulls first, "check", detail',
        "issues": "sha256",
        "article_minhashes": "article_id",
        "article_reporters": "article_id, position",
        "article_terms": "article_id, term",
    }
    return {t: con.execute(f"select * from {t} order by {order}").fetchall() for t, order in tables.items()}


def placement(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[int, ...]]]:
    """Which (issue, seq) is accepted and which rejected."""
    query = (
        "select i.issue_date::varchar, a.seq from {} as a "
        "join issues as i on i.sha256 = a.issue_sha256 order by 1, 2"
    )
    return {
        "accepted": con.execute(query.format("articles")).fetchall(),
        "rejected": con.execute(query.format("rejected_articles")).fetchall(),
    }


def every_article(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Each article's identity and content, wherever it lives."""
    query = (
        "select article_id, body, paragraphs, tokens, loaded_at, byline from articles "
        "union all select article_id, body, paragraphs, tokens, loaded_at, byline from rejected_articles "
        "order by article_id"
    )
    return con.execute(query).fetchall()


def test_unchanged_checks_change_nothing(loaded: str) -> None:
    with load.open_warehouse(parse_warehouse(loaded)) as con:
        before = snapshot(con)
        outcome = revalidate_warehouse(con, parse_warehouse(loaded), None, LATER)
        assert snapshot(con) == before
    assert (outcome.articles, outcome.accepted, outcome.rejected) == (9, 7, 2)
    assert outcome.to_rejected == outcome.to_accepted == outcome.relinked == []
    assert outcome.findings_before == outcome.findings_after


def test_a_severity_change_moves_articles_both_ways_and_back(loaded: str) -> None:
    with load.open_warehouse(parse_warehouse(loaded)) as con:
        before, articles = snapshot(con), every_article(con)
        assert placement(con) == {
            "accepted": [("2025-12-30", s) for s in (1, 2, 3, 4, 6, 7)] + [("2026-01-05", 2)],
            "rejected": [("2025-12-30", 5), ("2026-01-05", 1)],
        }
        levels = check_severities({"dateline_present": "warning", "text_lost_at_break": "error"})
        outcome = revalidate_warehouse(con, parse_warehouse(loaded), levels, LATER)
        assert placement(con) == {
            "accepted": [("2025-12-30", s) for s in (1, 2, 3, 4, 5, 7)] + [("2026-01-05", 2)],
            "rejected": [("2025-12-30", 6), ("2026-01-05", 1)],
        }
        assert [a[-3:] for a in outcome.to_accepted] == ["005"] and [a[-3:] for a in outcome.to_rejected] == [
            "006"
        ]
        assert every_article(con) == articles  # nothing lost, nothing changed but the table
        moved = con.execute("select failed_checks from rejected_articles where seq = 6").fetchall()
        assert moved == [(["text_lost_at_break"],)]
        checks = "('dateline_present', 'text_lost_at_break')"
        severities = dict(
            con.execute(
                f'select "check", severity from quality_findings where "check" in {checks}'
            ).fetchall()
        )
        assert severities == {"dateline_present": "warning", "text_lost_at_break": "error"}
        counts = con.execute(
            "select articles_accepted, articles_rejected from issues order by issue_date"
        ).fetchall()
        assert counts == [(6, 1), (1, 1)]

        revalidate_warehouse(con, parse_warehouse(loaded), None, LATER)
        assert snapshot(con) == before  # back where it started, found_at included


def test_duplicates_are_replayed_in_load_order(loaded: str) -> None:
    with load.open_warehouse(parse_warehouse(loaded)) as con:
        first = con.execute(
            "select article_id from articles where seq = 1 and issue_date = '2025-12-30'"
        ).fetchone()
        revalidate_warehouse(
            con, parse_warehouse(loaded), check_severities({"body_not_duplicate": "warning"}), LATER
        )
        reprint = con.execute("select duplicate_of from articles where issue_date = '2026-01-05' and seq = 1")
        assert reprint.fetchall() == [first]
        revalidate_warehouse(
            con, parse_warehouse(loaded), check_severities({"dateline_present": "warning"}), LATER
        )
        rejected = con.execute("select seq, duplicate_of, failed_checks from rejected_articles").fetchall()
        assert rejected == [(1, first[0], ["body_not_duplicate"])]
        near = con.execute("select count(*) from articles where near_duplicate_of is not null").fetchone()
        assert near == (1,)


def test_a_failure_leaves_the_warehouse_as_it_was(loaded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real_run = revalidate._run

    def failing_run(con, name, frame=None, **params):
        if name == "load/insert_quality_findings":
            raise duckdb.IOException("disk full")
        return real_run(con, name, frame, **params)

    with load.open_warehouse(parse_warehouse(loaded)) as con:
        before = snapshot(con)
        monkeypatch.setattr(revalidate, "_run", failing_run)
        with pytest.raises(duckdb.IOException):
            revalidate_warehouse(
                con, parse_warehouse(loaded), check_severities({"dateline_present": "warning"}), LATER
            )
        assert snapshot(con) == before


def test_lost_signatures_are_computed_again(loaded: str) -> None:
    with load.open_warehouse(parse_warehouse(loaded)) as con:
        before = con.execute("select * from article_minhashes order by article_id").fetchall()
        con.execute("delete from article_minhashes where article_id like '%-004'")
        revalidate_warehouse(con, parse_warehouse(loaded), None, LATER)
        assert con.execute("select * from article_minhashes order by article_id").fetchall() == before


def test_revalidate_command_takes_a_checks_file(loaded: str, tmp_path: Path) -> None:
    checks = tmp_path / "checks.toml"
    checks.write_text('dateline_present = "warning"\n', encoding="utf-8")
    result = runner.invoke(app, ["revalidate", "--warehouse", loaded, "--checks", str(checks)])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert [a[-3:] for a in outcome["to_accepted"]] == ["005"] and outcome["to_rejected"] == []
    with duckdb.connect(loaded, read_only=True) as con:
        assert con.execute("select count(*) from rejected_articles").fetchone() == (1,)
