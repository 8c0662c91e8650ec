"""Ingest: decode an issue's bytes strictly, give it a content identity and an issue date."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date
from pathlib import Path

from flows.models import Issue

log = logging.getLogger(__name__)

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
# GB2312 and GBK are subsets of GB18030: decoding with the superset loses nothing.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "ascii": "utf-8", "big5": "big5hkscs"}
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


class IngestError(ValueError):
    """A file that cannot be read as an issue; the message says why, in plain words."""


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding); raise IngestError instead of guessing on bad input."""
    if not data.strip():
        raise IngestError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    if b"\x00" in data[:4096]:
        raise IngestError("binary file (NUL bytes), not text")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise IngestError(f"unknown encoding (not UTF-8: {utf8_error.reason} at byte {utf8_error.start})")
    encoding = _SUPERSETS.get(best.encoding, best.encoding)
    return _strict(data, encoding), encoding


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise IngestError(f"cannot decode as {encoding}: {error.reason} at byte {error.start}") from error


def canonical_text(text: str) -> str:
    """Fold what does not change an issue (BOM, line endings, trailing spaces) for its identity."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def content_hash(text: str) -> str:
    """Return the identity of an issue: the sha256 of its canonical decoded text."""
    return hashlib.sha256(canonical_text(text).encode("utf-8")).hexdigest()


def date_from_filename(name: str) -> date | None:
    """Find `YYYY-MM-DD` or `YYYYMMDD` in a file name."""
    for match in _DATE_IN_NAME.finditer(name):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def paper_from_filename(name: str) -> str | None:
    """Name the paper after what the file name says besides the date (`qingdao-daily`)."""
    stem = Path(name).stem
    stem = _DATE_IN_NAME.sub("", stem).strip("-_ .")
    return stem or None


def read_issue(name: str, data: bytes, *, issue_date: date | None = None, paper: str | None = None) -> Issue:
    """Decode one file's bytes into an Issue; the date comes from the name, else the caller."""
    text, encoding = decode_bytes(data)
    text = canonical_text(text)
    if not text.strip():
        raise IngestError("no text after decoding")
    found = date_from_filename(Path(name).name)
    source = "filename" if found else ("option" if issue_date else None)
    return Issue(
        source_file=name,
        text=text,
        encoding=encoding,
        sha256=content_hash(text),
        paper=paper or paper_from_filename(name),
        issue_date=found or issue_date,
        issue_date_source=source,
        file_sha256=hashlib.sha256(data).hexdigest(),
        file_size=len(data),
    )


def list_inbox(inbox: Path) -> list[Path]:
    """Return the candidate files of an inbox in a stable order (hidden files skipped)."""
    if not inbox.exists():
        return []
    return sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))
