"""The warehouse explains itself: every table, view and column has a comment; findings name their check."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from flows import bulk_load, load
from flows.settings import SQL_DIR
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY

NOW = datetime(2026, 1, 15, 6, 0)
UNCOMMENTED = """
select 'table ' || table_name from duckdb_tables()
where database_name = current_database() and schema_name = 'main' and comment is null
union all
select 'view ' || view_name from duckdb_views()
where database_name = current_database() and schema_name = 'main' and not internal and comment is null
union all
select 'column ' || c.table_name || '.' || c.column_name from duckdb_columns() as c
inner join duckdb_tables() as t using (database_name, schema_name, table_name)
where database_name = current_database() and schema_name = 'main' and c.comment is null
"""


@pytest.fixture(params=["file", "lake"])
def setting(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "file":
        return str(tmp_path / "warehouse.duckdb")
    return f"ducklake:{tmp_path}/lake/catalog.ducklake DATA_PATH {tmp_path}/lake/data"


def test_every_table_view_and_column_has_a_comment(setting: str) -> None:
    with load.open_warehouse(parse_warehouse(setting)) as con:
        assert con.execute(UNCOMMENTED).fetchall() == []
        comment = con.execute(
            "select comment from duckdb_columns() where database_name = current_database() "
            "and table_name = 'articles' and column_name = 'issue_sha256'"
        ).fetchone()
    assert comment == ("Its issue: joins issues.sha256.",)


def test_findings_have_an_unreserved_check_name_and_their_issue_date(warehouse: str, sample_issue) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(
            con, parse_warehouse(warehouse), [transform_issue(sample_issue, TODAY)], "run", lambda: NOW
        )
        rows = con.execute(
            "select check_name, issue_date, count(*) from quality_findings group by all"
        ).fetchall()
    assert {(name, str(day)) for name, day, _ in rows} == {
        ("dateline_present", "2025-12-30"),
        ("repeated_paragraph", "2025-12-30"),
        ("text_lost_at_break", "2025-12-30"),
        ("paragraph_joined", "2025-12-30"),
    }
    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute(
            'select count(*) from quality_findings where check_name <> "check"'
        ).fetchone() == (0,)


def test_an_older_warehouse_gets_the_new_columns_filled_and_its_comments(
    warehouse: str, sample_issue
) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(
            con, parse_warehouse(warehouse), [transform_issue(sample_issue, TODAY)], "run", lambda: NOW
        )
        # as a warehouse from before: findings without the new columns' values, no comments, and
        # no note of today's schema files
        con.execute("update quality_findings set check_name = null, issue_date = null")
        con.execute("drop schema newsprint cascade")
        con.execute("comment on column issues.sha256 is null")
        con.execute("comment on table runs is 'an old comment'")
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        assert con.execute(
            "select count(*) from quality_findings where check_name is null or issue_date is null"
        ).fetchone() == (0,)
        assert con.execute(UNCOMMENTED).fetchall() == []
        comments = (SQL_DIR / "ddl" / "010_comments.sql").read_text(encoding="utf-8")
        assert not load.comments_differ(con, comments)
        runs = con.execute("select comment from duckdb_tables() where table_name = 'runs'").fetchone()
    assert runs is not None and runs[0].startswith("One row per flow run")


def test_a_writer_applies_the_schema_files_once_per_version_of_them(
    warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.storage import connection

    applied: list[str] = []
    apply = connection._apply
    monkeypatch.setattr(connection, "_apply", lambda con, path: (applied.append(path.name), apply(con, path)))
    for _ in range(2):
        with load.open_warehouse(parse_warehouse(warehouse)):
            pass
    assert applied.count("002_articles.sql") == 1  # the second open found this version noted
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        con.execute("drop view article_overview")
        con.execute("delete from newsprint.schema_versions")  # as files of another version would
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        assert con.execute("select count(*) from article_overview").fetchone() == (0,)
    assert applied.count("002_articles.sql") == 2
