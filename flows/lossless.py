"""The lossless invariant: every non-blank input line lands in exactly one place.

Used by the tests and by `parse_issue`, which reports a violation as a finding rather than
losing text silently.
"""

from __future__ import annotations

import re
from collections import Counter

from flows.models import Article, Line
from flows.split import split_lines

_INSIGNIFICANT = re.compile(r"[^\w\u3400-\u9fff]|_")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_FULL_WIDTH_DIGIT = re.compile("[０-９]")
_TRIMMED = " \t\u3000\xa0\ufeff"  # what the splitter trims from a line: none of it significant


def significant(text: str) -> str:
    """Keep letters, digits and Chinese characters: what normalising never changes."""
    kept = _INSIGNIFICANT.sub("", text)
    # str.translate walks every character in Python: only pay for it when there is a digit to map
    return kept.translate(_FULL_WIDTH_DIGITS) if _FULL_WIDTH_DIGIT.search(kept) else kept


def _field_pieces(article: Article, role: str) -> list[tuple[str, ...]]:
    """Return the texts a line of this role may be found in, each as the pieces it is made of.

    Pieces, because `significant` keeps or drops each character alone: the significant text
    of a whole is that of its pieces joined, so the body is read once, not once per field.
    """
    if role in ("kicker", "headline", "subtitle", "byline"):
        return [(getattr(article, role) or "",)]
    if role == "credit":
        return [tuple(c.text for c in article.credits)]
    if role == "dateline":
        # The dateline's line may also hold a bracketed byline: 新华社北京2月3日电（记者…）正文
        bracketed = (article.byline or "").replace(" / ", "\n").splitlines()[-1:] or [""]
        return [(article.dateline or "",), (article.dateline or "", bracketed[0])]
    return [tuple(article.paragraphs)]


def _in_dateline(wanted: str, openers: list[str], body: str) -> bool:
    """Tell whether a dateline line is its article's dateline (and bracket) before body text.

    The text after the dateline is a paragraph of the body, not always the first (a summary
    may come before), and normalising may have joined it to the paragraph before it.
    """
    return any(wanted.startswith(opener) and wanted[len(opener) :] in body for opener in openers)


def _body(article: Article, pieces: dict[str, str]) -> str:
    """Return the significant text of an article's body, reading each paragraph once."""
    known = pieces.get
    return "".join(known(p) or pieces.setdefault(p, significant(p)) for p in article.paragraphs)


def placement_errors(text: str, articles: list[Article], residue: list[Line]) -> list[str]:
    """Return one message per line that is missing, placed twice, or not in its field."""
    lines = {line.number: line.text for line in split_lines(text)}
    placed = Counter(n for a in articles for n, _ in a.lines)
    placed.update(line.number for line in residue)
    errors = [f"line {n} is in no article and not in the residue" for n in lines if n not in placed]
    errors += [f"line {n} is placed {k} times" for n, k in placed.items() if k > 1]
    errors += [f"line {n} does not exist" for n in placed if n not in lines]
    for article in articles:
        fields: dict[str, list[str]] = {}  # role → its fields' significant text, made once per article
        pieces: dict[str, str] = {}  # text → its significant text, each piece read once per article
        for number, role in article.lines:
            if role not in fields:
                fields[role] = [
                    "".join(pieces[p] if p in pieces else pieces.setdefault(p, significant(p)) for p in field)
                    for field in _field_pieces(article, role)
                ]
            # a line is most often a piece already read, less its indentation (never significant)
            line = lines.get(number, "")
            wanted = pieces.get(line.strip(_TRIMMED)) or significant(line)
            if role == "dateline":
                body = fields.get("paragraph") or fields.setdefault("paragraph", [_body(article, pieces)])
                found = _in_dateline(wanted, sorted(fields[role], key=len, reverse=True), body[0])
            else:
                found = any(wanted in text for text in fields[role])
            if wanted and not found:
                errors.append(f"line {number} ({role}) is not in article {article.seq}'s {role}")
    return errors
