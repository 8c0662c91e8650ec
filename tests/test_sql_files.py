"""sql/: models and questions a file each, short statements grouped by concern; one loader reads both."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flows.settings import SQL_DIR, STATEMENT_MARK, named_statements, sql, sql_names

ONE_A_FILE = ("ddl", "views", "analysis")  # migrations, views and analysts' questions: a file each
SHORT = 3  # lines of SQL: a statement this short goes in its concern's file of named statements
ROOT = SQL_DIR.parent


def sql_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("--"))


def grouped_files() -> list[Path]:
    return [p for p in sorted(SQL_DIR.rglob("*.sql")) if p.relative_to(SQL_DIR).parts[0] not in ONE_A_FILE]


def test_no_file_is_a_single_short_statement() -> None:
    single = [
        str(path.relative_to(SQL_DIR))
        for path in grouped_files()
        if len(STATEMENT_MARK.findall(path.read_text(encoding="utf-8"))) < 2
        and sql_lines(path.read_text(encoding="utf-8")) <= SHORT
    ]
    assert single == []


@pytest.mark.parametrize("group", sorted(p.stem for p in SQL_DIR.glob("*.sql")))
def test_a_file_of_named_statements_names_each_once_and_hides_no_file(group: str) -> None:
    text = (SQL_DIR / f"{group}.sql").read_text(encoding="utf-8")
    names = STATEMENT_MARK.findall(text)
    assert len(names) == len(set(names)) >= 2
    statements = named_statements(group)
    assert all(sql_lines(statements[name]) for name in names)  # none empty
    assert not set(names) & {p.stem for p in (SQL_DIR / group).glob("*.sql")}


def test_the_loader_reads_a_file_or_a_named_statement() -> None:
    assert sql("load/insert_articles").strip() == "insert into articles by name select * from incoming"
    assert sql("search/match_articles") == (SQL_DIR / "search" / "match_articles.sql").read_text(
        encoding="utf-8"
    )
    assert {"articles", "article_terms"} <= set(sql_names("export"))
    with pytest.raises(FileNotFoundError, match="no_such_statement"):
        sql("load/no_such_statement")


def named_in_code() -> set[str]:
    """Every literal name the code gives `sql(…)`."""
    names = set()
    for path in [*(ROOT / "flows").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "sql"
            ):
                names.update(
                    arg.value
                    for arg in node.args[:1]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                )
    return names


def test_every_statement_the_code_names_is_there() -> None:
    names = named_in_code()
    assert {"load/issue_is_loaded", "checkpoint/checkpoint", "lake/use_lake"} <= names
    missing = []
    for name in sorted(names):
        try:
            sql(name)
        except FileNotFoundError:
            missing.append(name)
    assert missing == []
