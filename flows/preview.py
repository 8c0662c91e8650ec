"""A readable terminal preview of a parsed issue, for `newsprint parse` without --json."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from flows.models import ParsedIssue


def print_preview(parsed: ParsedIssue, console: Console) -> None:
    """Print the issue header, each article's fields, the residue and the findings."""
    issue = parsed.issue
    console.print(
        f"[bold]{issue.source_file}[/bold]  paper={issue.paper}  date={issue.issue_date} "
        f"({issue.issue_date_source})  encoding={issue.encoding}  sha256={issue.sha256[:12]}…"
    )
    for article in parsed.articles:
        fields = Table.grid(padding=(0, 2))
        fields.add_column(style="cyan", no_wrap=True)
        fields.add_column()
        for name, value in (
            ("kicker", article.kicker),
            ("headline", article.headline),
            ("subtitle", article.subtitle),
            ("byline", article.byline),
            ("reporters", "、".join(article.reporters)),
            ("correspondents", "、".join(article.correspondents)),
            ("dateline", f"{article.dateline or ''}  {article.dateline_date or ''}".strip()),
            ("paragraphs", str(len(article.paragraphs))),
            ("subheads", " | ".join(article.subheads)),
            ("credits", " | ".join(f"{c.role}: {c.text}" for c in article.credits)),
            ("first", (article.paragraphs[0][:60] + "…") if article.paragraphs else ""),
        ):
            if value:
                fields.add_row(name, value)
        console.print(Panel(fields, title=f"article {article.seq}", title_align="left"))
    if parsed.residue:
        console.print("[bold]residue[/bold]")
        for line in parsed.residue:
            console.print(f"  {line.number:>5}  {line.text}")
    if parsed.findings:
        console.print("[bold]findings[/bold]")
        for f in parsed.findings:
            console.print(f"  \\[{f.severity}] article {f.seq}: {f.check} — {f.detail}")
