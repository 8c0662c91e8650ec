"""Chinese full-text search: BM25 in DuckDB over the segmented articles, offline."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import bulk_load, load
from flows.cli.app import app
from flows.ingest import read_issue
from flows.settings import sql
from flows.storage import fts, search
from flows.storage.warehouse import Warehouse, parse_warehouse
from flows.transform import IssueBundle, transform_issue
from tests.conftest import TODAY
from tests.longread import LONGREAD_HEADLINE, LONGREAD_ISSUE_NAME, longread_issue

NOW = datetime(2026, 1, 15, 6, 0)
CHANGMUGU = "填补骨科智能手术装备领域空白"
OFFLINE = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
runner = CliRunner()


@pytest.fixture(scope="module")
def bundles(sample_issue, sample_parsed) -> list[IssueBundle]:
    later = read_issue(LONGREAD_ISSUE_NAME, longread_issue(sample_parsed))
    return [transform_issue(sample_issue, TODAY), transform_issue(later, TODAY)]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, bundles) -> str:
    """A warehouse with the sample and the reprint loaded, and its index built."""
    path = str(tmp_path_factory.mktemp("search") / "warehouse.duckdb")
    with load.open_warehouse(parse_warehouse(path)) as con:
        for bundle in bundles:
            assert bulk_load.load_issues(con, parse_warehouse(path), [bundle], "run-1", lambda: NOW)[0].loaded
        assert search.refresh_index(con, parse_warehouse(path)) is True
    return path


@pytest.fixture
def offline(indexed: str):
    """A read-only connection that may not install or autoload any extension."""
    con = duckdb.connect(indexed, read_only=True, config=OFFLINE)
    yield con
    con.close()


def test_the_fts_extension_loads_from_the_wheel_file_offline() -> None:
    con = duckdb.connect(config=OFFLINE)
    path = fts.fts_extension_file()
    assert path.name == "fts.duckdb_extension" and duckdb.__version__ in str(path)
    fts.load_fts(con)
    loaded = con.execute(
        "select loaded, installed from duckdb_extensions() where extension_name = 'fts'"
    ).fetchone()
    assert loaded == (True, False)  # loaded from the file, never installed


def test_artificial_intelligence_ranks_the_changmugu_article_first(offline, indexed: str) -> None:
    hits = search.search_articles(offline, parse_warehouse(indexed), "人工智能")
    assert [h.rank for h in hits] == [1, 2]
    assert hits[0].headline.startswith(CHANGMUGU)
    assert hits[1].headline == LONGREAD_HEADLINE
    assert hits[0].score > hits[1].score > 0
    assert str(hits[1].issue_date) == "2026-01-06"
    assert "人工智能" in hits[0].snippet


def test_dictionary_terms_their_inner_words_and_numbers_are_search_words(offline, indexed: str) -> None:
    hits = search.search_articles(offline, parse_warehouse(indexed), "科创大走廊")
    assert [h.headline for h in hits] == [LONGREAD_HEADLINE]
    inside = search.search_articles(
        offline, parse_warehouse(indexed), "机器人"
    )  # inside 手术机器人 in the first
    assert [h.headline[:14] for h in inside] == [CHANGMUGU, LONGREAD_HEADLINE[:14]]
    phone = search.search_articles(offline, parse_warehouse(indexed), "0532-12388")
    assert [h.headline for h in phone] == ["强化正风肃纪 弘扬新风正气"]


def test_every_word_must_match_unless_any_is_asked(offline, indexed: str) -> None:
    both = search.search_articles(offline, parse_warehouse(indexed), "公租房补贴")
    assert [h.headline for h in both] == ["青岛累计安排社会帮扶领域资金15亿元"]
    either = search.search_articles(offline, parse_warehouse(indexed), "公租房补贴", any_word=True)
    assert len(either) > 1 and either[0].headline == both[0].headline


def test_limit(offline, indexed: str) -> None:
    assert len(search.search_articles(offline, parse_warehouse(indexed), "青岛", limit=1)) == 1


def test_the_index_follows_new_loads(tmp_path: Path, bundles) -> None:
    path = str(tmp_path / "warehouse.duckdb")
    with load.open_warehouse(parse_warehouse(path)) as con:
        bulk_load.load_issues(con, parse_warehouse(path), [bundles[0]], "run-1", lambda: NOW)
        assert search.refresh_index(con, parse_warehouse(path)) is True
        assert search.refresh_index(con, parse_warehouse(path)) is False  # nothing changed: no rebuild
        assert len(search.search_articles(con, parse_warehouse(path), "人工智能")) == 1
        bulk_load.load_issues(con, parse_warehouse(path), [bundles[1]], "run-2", lambda: NOW)
        assert fts.index_is_current(con) is False
        assert search.refresh_index(con, parse_warehouse(path)) is True
        assert len(search.search_articles(con, parse_warehouse(path), "人工智能")) == 2


INDEX_CONTENT = {
    "stats": "select num_docs, avgdl from fts_main_articles.stats",
    "dict": "select term, df from fts_main_articles.dict order by term",
    "docs": "select name, len from fts_main_articles.docs order by name",
    "postings": (
        "select d.name, t.term, count(*) from fts_main_articles.terms as p "
        "join fts_main_articles.docs as d using (docid) join fts_main_articles.dict as t using (termid) "
        "group by all order by all"
    ),
}


def test_an_appended_index_is_the_rebuilt_one(tmp_path: Path, bundles) -> None:
    """Appending the second issue gives the index a rebuild over both gives: BM25's inputs and scores."""
    appended, rebuilt = str(tmp_path / "appended.duckdb"), str(tmp_path / "rebuilt.duckdb")
    with load.open_warehouse(parse_warehouse(appended)) as con:
        bulk_load.load_issues(con, parse_warehouse(appended), [bundles[0]], "run-1", lambda: NOW)
        search.refresh_index(con, parse_warehouse(appended))
        bulk_load.load_issues(con, parse_warehouse(appended), [bundles[1]], "run-2", lambda: NOW)
        docs_before = con.execute("select count(*) from fts_main_articles.docs").fetchone()
        assert search.refresh_index(con, parse_warehouse(appended)) is True and fts.index_is_current(con)
        assert docs_before < con.execute("select count(*) from fts_main_articles.docs").fetchone()
    with load.open_warehouse(parse_warehouse(rebuilt)) as con:
        for bundle in bundles:
            bulk_load.load_issues(con, parse_warehouse(rebuilt), [bundle], "run-1", lambda: NOW)
        search.refresh_index(con, parse_warehouse(rebuilt))
    with duckdb.connect(appended) as a, duckdb.connect(rebuilt) as b:
        for name, query in INDEX_CONTENT.items():
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), name
        for words, any_word in [("人工智能", False), ("青岛", False), ("机器人 手术 海洋", True)]:
            got = [
                (h.article_id, h.score)
                for h in search.search_articles(a, parse_warehouse(appended), words, 50, any_word)
            ]
            want = [
                (h.article_id, h.score)
                for h in search.search_articles(b, parse_warehouse(rebuilt), words, 50, any_word)
            ]
            assert [i for i, _ in got] == [i for i, _ in want] and len(got) > 1
            assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-12)


FTS_LOADED = "select loaded from duckdb_extensions() where extension_name = 'fts'"
AWKWARD_WORDS = " \tTAB\nLine  Double\r\nCRLF\x0cFeed\x0bVT\u3000IDEO\u00a0NBSP ＡＢＣ İstanbul "


# RE2's \s is ASCII whitespace without \v: the ideographic and no-break spaces stay inside a word
AWKWARD_TERMS = {"tab", "line", "double", "crlf", "feed\x0bvt\u3000ideo\xa0nbsp", "ａｂｃ"}


@pytest.mark.parametrize(
    ("words", "terms"),
    [
        (AWKWARD_WORDS, AWKWARD_TERMS),
        *[(f" left{space}right ", {"left", "right"}) for space in "\t\n\x0c\r"],  # each one alone
    ],
    ids=["all", "tab", "newline", "form-feed", "carriage-return"],
)
def test_an_appended_index_splits_words_as_the_tokenize_macro_does(
    tmp_path: Path, bundles, words: str, terms: set[str]
) -> None:
    """The append splits on spaces only where that equals the macro; other whitespace goes the macro's way."""
    appended, rebuilt = str(tmp_path / "appended.duckdb"), str(tmp_path / "rebuilt.duckdb")
    awkward = (  # one of the second issue's articles; the others keep their plain search words
        "update articles set search_tokens = search_tokens || $words "
        "where article_id = (select min(article_id) from articles where issue_sha256 = $sha)"
    )
    with load.open_warehouse(parse_warehouse(appended)) as con:
        bulk_load.load_issues(con, parse_warehouse(appended), [bundles[0]], "run-1", lambda: NOW)
        search.refresh_index(con, parse_warehouse(appended))
    with load.open_warehouse(
        parse_warehouse(appended)
    ) as con:  # a new connection: the append needs no extension
        bulk_load.load_issues(con, parse_warehouse(appended), [bundles[1]], "run-2", lambda: NOW)
        con.execute(awkward, {"words": words, "sha": bundles[1].issue.sha256})
        assert search.refresh_index(con, parse_warehouse(appended)) is True
        assert con.execute(FTS_LOADED).fetchone() == (False,)
    with load.open_warehouse(parse_warehouse(rebuilt)) as con:
        for bundle in bundles:
            bulk_load.load_issues(con, parse_warehouse(rebuilt), [bundle], "run-1", lambda: NOW)
        con.execute(awkward, {"words": words, "sha": bundles[1].issue.sha256})
        search.refresh_index(con, parse_warehouse(rebuilt))
    with duckdb.connect(appended) as a, duckdb.connect(rebuilt) as b:
        indexed = {row[0] for row in a.execute("select term from fts_main_articles.dict").fetchall()}
        assert terms <= indexed
        for name, query in INDEX_CONTENT.items():
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), name


def test_an_article_leaving_rebuilds_the_index(tmp_path: Path, bundles) -> None:
    path = str(tmp_path / "warehouse.duckdb")
    with load.open_warehouse(parse_warehouse(path)) as con:
        for bundle in bundles:
            bulk_load.load_issues(con, parse_warehouse(path), [bundle], "run-1", lambda: NOW)
        search.refresh_index(con, parse_warehouse(path))
        gone = search.search_articles(con, parse_warehouse(path), "人工智能")[0].article_id
        con.execute("delete from articles where article_id = $id", {"id": gone})  # as a revalidation moves it
        assert search.refresh_index(con, parse_warehouse(path)) is True and fts.index_is_current(con)
        assert gone not in {
            h.article_id for h in search.search_articles(con, parse_warehouse(path), "人工智能")
        }


def test_a_build_gives_a_backfill_writer_its_memory_bound_back(tmp_path: Path, bundles) -> None:
    """The build lifts DuckDB's memory limit to its own while it runs, then restores the writer's."""
    warehouse = Warehouse(str(tmp_path / "warehouse.duckdb"))
    with load.open_warehouse(warehouse) as con:
        assert all(
            r.loaded for r in bulk_load.load_issues(con, warehouse, bundles, "run-1", batch_writer=True)
        )
        bounded = con.execute(sql("settings/memory_limit")).fetchone()
        assert bounded == _limit_of(bulk_load.WRITER_MEMORY_LIMIT)
        assert search.refresh_index(con, warehouse) is True and fts.index_is_current(con)
        assert con.execute(sql("settings/memory_limit")).fetchone() == bounded
        assert bounded != _limit_of(fts.INDEX_MEMORY_LIMIT)


def _limit_of(limit: str) -> tuple[str] | None:
    """Return how DuckDB reports a memory limit once set."""
    with duckdb.connect() as con:
        con.execute(sql("settings/set_memory_limit"), {"limit": limit})
        return con.execute(sql("settings/memory_limit")).fetchone()


def test_search_without_an_index_says_what_to_do(warehouse: str, bundles) -> None:
    with load.open_warehouse(parse_warehouse(warehouse)) as con:
        bulk_load.load_issues(con, parse_warehouse(warehouse), [bundles[0]], "run-1", lambda: NOW)
    result = runner.invoke(app, ["search", "人工智能", "--warehouse", warehouse])
    assert result.exit_code == 1 and "newsprint run" in result.output


def test_a_query_with_no_words(offline, indexed: str) -> None:
    with pytest.raises(search.SearchError, match="nothing to search"):
        search.search_articles(offline, parse_warehouse(indexed), "，。 ")


def test_cli_json(indexed: str) -> None:
    result = runner.invoke(app, ["search", "人工智能", "--warehouse", indexed, "--format", "json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert {"rank", "score", "headline", "issue_date", "snippet"} <= set(hits[0])
    assert hits[0]["headline"].startswith(CHANGMUGU) and hits[0]["issue_date"] == "2025-12-30"
    assert hits[0]["score"] > hits[1]["score"]


def test_cli_takes_a_query_of_several_words(indexed: str) -> None:
    """`newsprint search 机器人 青岛`: every word must match, as in one quoted query."""
    several = runner.invoke(app, ["search", "机器人", "青岛", "-w", indexed, "--format", "json"])
    quoted = runner.invoke(app, ["search", "机器人 青岛", "-w", indexed, "--format", "json"])
    assert several.exit_code == 0, several.output
    hits = json.loads(several.stdout)
    assert hits == json.loads(quoted.stdout)
    assert [h["headline"][:14] for h in hits] == [CHANGMUGU, LONGREAD_HEADLINE[:14]]
    narrower = runner.invoke(app, ["search", "机器人", "哈尔滨工程大学", "-w", indexed, "--format", "json"])
    assert len(json.loads(narrower.stdout)) < len(hits)


def test_cli_table(indexed: str) -> None:
    result = runner.invoke(app, ["search", "人工智能", "-w", indexed, "--limit", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "填补骨科" in result.stdout and "2025-12-30" in result.stdout
    assert "锚定新目标" not in result.stdout


@pytest.mark.parametrize(
    ("body", "terms", "snippet"),
    [
        ("甲乙丙丁人工智能戊己", ["人工智能"], "甲乙丙丁人工智能戊己"),
        (
            "一二三四五六七八九十" * 3 + "人工智能" + "末尾" * 20,
            ["人工智能"],
            "…五六七八九十人工智能末尾末尾末尾末尾末尾…",
        ),
        ("没有这个词\n第二段", ["人工智能"], "没有这个词 第二段"),
    ],
)
def test_make_snippet(body: str, terms: list[str], snippet: str) -> None:
    assert search.make_snippet(body, terms, width=20) == snippet


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_on_the_sample_builds_the_index(inbox: Path, warehouse: str) -> None:
    from flows.pipeline import daily_ingest

    daily_ingest(inbox=str(inbox), warehouse=warehouse)
    result = runner.invoke(app, ["search", "人工智能", "-w", warehouse, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["headline"].startswith(CHANGMUGU)
