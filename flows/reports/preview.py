"""A readable terminal preview of a parsed issue, for `newsprint parse` without --json.

Every value from the issue is rendered as plain `Text`, never as rich markup, so a `[` in a
newspaper line cannot change the output.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from flows.models import Article, ParsedIssue

SNIPPET_CHARS = 28  # two terminal cells each: a paragraph fits one 80-column line
_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "dim"}


def _snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Cut a long text to one preview line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _article_fields(article: Article) -> Table:
    """Lay out an article's fields as a two-column grid: name, value."""
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="cyan", no_wrap=True)
    fields.add_column()
    dateline = " ".join(x for x in (article.dateline, str(article.dateline_date or "")) if x)
    subheads = set(article.subheads)
    paragraphs = "\n".join(f"{'▸ ' if p in subheads else ''}{_snippet(p)}" for p in article.paragraphs)
    for name, value in (
        ("kicker", article.kicker),
        ("headline", article.headline),
        ("subtitle", article.subtitle),
        ("byline", article.byline),
        ("contributors", "、".join(f"{c.name}（{c.role}）" for c in article.contributors)),
        ("dateline", dateline),
        (f"paragraphs ({len(article.paragraphs)})", paragraphs),
        ("credits", "\n".join(f"{c.role}: {_snippet(c.text)}" for c in article.credits)),
        ("findings", "、".join(f.check for f in article.findings)),
        ("split", _confidence(article)),
    ):
        if value:
            fields.add_row(Text(name), Text(value))
    return fields


def _confidence(article: Article) -> str:
    """Say how sure the splitter is of the article, and which lines it doubts."""
    doubts = ", ".join(f"line {n} {role} {sure:.2f}" for n, role, sure in article.doubts)
    return f"confidence {article.confidence:.2f}" + (f"; in doubt: {doubts}" if doubts else "")


def _residue_table(parsed: ParsedIssue) -> Table:
    table = Table("line", "text", title="residue (lines in no article)", title_justify="left")
    for line in parsed.residue:
        table.add_row(Text(str(line.number)), Text(line.text.strip()))
    return table


def _findings_table(parsed: ParsedIssue) -> Table:
    table = Table("severity", "article", "check", "detail", title="findings", title_justify="left")
    for f in parsed.findings:
        table.add_row(
            Text(f.severity, style=_SEVERITY_STYLES.get(f.severity, "")),
            Text("" if f.seq is None else str(f.seq)),
            Text(f.check),
            Text(f.detail),
        )
    return table


def print_preview(parsed: ParsedIssue, console: Console) -> None:
    """Print the issue header, each article's fields, the residue and the findings."""
    issue = parsed.issue
    console.print(
        Text.assemble(
            (issue.source_file, "bold"),
            f"  paper={issue.paper}  date={issue.issue_date} ({issue.issue_date_source})"
            f"  encoding={issue.encoding}  sha256={issue.sha256[:12]}…",
        )
    )
    console.print(
        Text(
            f"{len(parsed.articles)} articles, {len(parsed.residue)} residue lines, "
            f"{len(parsed.findings)} findings"
        )
    )
    for article in parsed.articles:
        title = Text(f"article {article.seq}")
        console.print(Panel(Group(_article_fields(article)), title=title, title_align="left"))
    console.print(_residue_table(parsed) if parsed.residue else Text("residue: none"))
    console.print(_findings_table(parsed) if parsed.findings else Text("findings: none"))
