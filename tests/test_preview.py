"""`newsprint parse FILE` without --json: a readable preview with fields, residue and findings."""

from __future__ import annotations

from datetime import date

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bench.eval_split import FIXTURES
from flows.cli.app import app
from flows.models import Issue
from flows.parse import parse_issue
from flows.reports.preview import print_preview

runner = CliRunner()


def test_preview_shows_articles_residue_and_findings() -> None:
    result = runner.invoke(app, ["parse", str(FIXTURES / "qingdao-daily-2025-12-31.txt")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "4 articles, 1 residue lines" in out
    assert "扩大内需激发消费新活力" in out and "——各区市商务部门谋划明年促消费举措" in out
    assert "李青健（correspondent）" in out
    assert "jump: （下转第二版）" in out and "jump: （上接第一版）" in out
    assert "青岛日报 2025年12月31日 星期三 第2版" in out  # the residue line
    assert "text_lost_at_break" in out and "repeated_paragraph" in out


def test_preview_names_every_contributor_role() -> None:
    result = runner.invoke(app, ["parse", str(FIXTURES / "beijing-daily-2025-02-06.txt")])
    assert result.exit_code == 0, result.output
    assert "黄晓海（photographer）" in result.stdout
    assert "editor_note" in result.stdout and "编者按：第九届亚洲冬季运动会" in result.stdout


def test_preview_prints_newspaper_text_literally() -> None:
    """A `[` in the text is not rich markup: the line is shown as printed."""
    text = "标题[bold]不是标记[/bold]\n本报记者 张三\n本报讯 正文[red]第一段。"
    issue = Issue(
        source_file="x.txt", text=text, encoding="utf-8", sha256="0" * 64, issue_date=date(2025, 1, 2)
    )
    console = Console(record=True, width=120)
    print_preview(parse_issue(issue, date(2025, 1, 2)), console)
    out = console.export_text()
    assert "标题[bold]不是标记[/bold]" in out
    assert "正文[red]第一段。" in out
    assert "residue: none" in out


def test_preview_says_how_sure_the_splitter_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("flows.split.DOUBT_BELOW", 1.0)  # every line in doubt
    result = runner.invoke(app, ["parse", str(FIXTURES / "qingdao-daily-2025-12-31.txt")])
    assert result.exit_code == 0, result.output
    assert "confidence" in result.stdout and "in doubt: line 1 " in result.stdout
    assert "split_uncertain" in result.stdout
