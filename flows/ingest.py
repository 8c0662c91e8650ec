"""Ingest: decode an issue's bytes strictly, give it a content identity and an issue date.

The inbox is hostile: a file is either decoded with certainty or refused with an
`IngestError` whose message says, in plain words, what is wrong with it.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from flows.models import Issue, ParsedIssue

log = logging.getLogger(__name__)

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
# GB2312 and GBK are subsets of GB18030: decoding with the superset loses nothing.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "ascii": "utf-8", "big5": "big5hkscs"}
# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Signatures of files that turn up in an inbox by mistake.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"\x7fELF", "an executable"),
)
_CHINESE_ENCODINGS = ("gb18030", "big5hkscs", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
_UTF16_WITHOUT_BOM = ("utf-16-le", "utf-16-be")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# At least _MIN_SUSPECT_CHARS (4) CJK characters anywhere in a line, found without listing them all.
_SUSPECT_CJK = re.compile(r"(?:[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]*" + _CJK.pattern + "){4}")
# Unicode's control characters (category Cc) other than tab, line feed, VT, form feed and CR.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# What a wrong decode leaves behind: Latin-1 letters and symbols, and Windows-1252 extras.
# NBSP, middle dot, degree, times and division signs occur in real Chinese text.
_WRONG_DECODE_CHARS = re.compile(
    r"[\u0080-\u009f\u00a1-\u00af\u00b1-\u00b6\u00b8-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
    r"\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2020\u2021\u2030\u2039\u203a\u20ac\u2122]"
)
# (how the bytes were wrongly read, what they really were): mojibake repairs to try per line.
_MOJIBAKE_ROUTES = (
    ("latin-1", "gb18030", "GBK text decoded as Latin-1"),
    ("cp1252", "gb18030", "GBK text decoded as Windows-1252"),
    ("latin-1", "utf-8", "UTF-8 text decoded as Latin-1"),
    ("cp1252", "utf-8", "UTF-8 text decoded as Windows-1252"),
    ("gb18030", "utf-8", "UTF-8 text decoded as GBK"),
)
_MIN_SUSPECT_CHARS = 4


class IngestError(ValueError):
    """A file that cannot be read as an issue; the message says why, in plain words."""


def check_size(size: int, max_bytes: int) -> None:
    """Refuse a file before reading it when it is larger than any daily issue can be."""
    if size > max_bytes:
        raise IngestError(
            f"too large: {size / 1_000_000:.1f} MB, above the {max_bytes / 1_000_000:g} MB limit "
            "(NEWSPRINT_MAX_FILE_MB); not read"
        )


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding); raise IngestError instead of guessing on bad input."""
    if not data.strip():
        raise IngestError("empty file")
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise IngestError(f"binary file ({kind}), not text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            break
    else:
        text, encoding = _decode_without_bom(data)
    if not text.replace("\ufeff", "").strip():
        raise IngestError(f"empty file (only blank characters, read as {encoding})")
    refuse_garbage(text, encoding)
    return text, encoding


def _decode_without_bom(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        utf8_error = error
    if utf8_error.end == len(data) and _is_utf8(data[: utf8_error.start]):
        raise IngestError(
            f"cut off in the middle of a character: the last {len(data) - utf8_error.start} byte(s) "
            "start a UTF-8 character that never ends; the file was truncated (copy it again)"
        )
    encoding = _detect(data)
    if encoding is None:
        raise IngestError(_undetected_reason(data, utf8_error))
    return _strict(data, encoding), encoding


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(data: bytes) -> str | None:
    """Pick the encoding: charset-normalizer's guess, unless Chinese text fits better.

    On short texts the detector may take GB18030 for a Japanese encoding, or miss UTF-16
    without a BOM; an inbox of Chinese papers makes the Chinese reading the better bet when
    nearly all its characters are common ones (GB2312). NUL bytes only occur in UTF-16/32.
    """
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    guess = None
    if best is not None and best.encoding is not None:
        guess = codecs.lookup(_SUPERSETS.get(best.encoding, best.encoding)).name
    if guess in _CHINESE_ENCODINGS:
        return guess
    for encoding in _UTF16_WITHOUT_BOM if b"\x00" in data else ("gb18030",):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if common_chinese_share(text) >= 0.9:
            return encoding
    if b"\x00" in data and not (guess or "").startswith(("utf-16", "utf-32")):
        return None
    return guess


def common_chinese_share(text: str) -> float:
    """Return the share of non-ASCII characters that are common Chinese ones (in GB2312)."""
    wide = [ch for ch in text if ord(ch) > 127 and not ch.isspace()]
    if len(wide) < 4:
        return 0.0
    return sum(_in_gb2312(ch) for ch in wide) / len(wide)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _undetected_reason(data: bytes, utf8_error: UnicodeDecodeError) -> str:
    """Say why no encoding fits: binary content, or text cut off in the middle of a character."""
    if b"\x00" in data:
        return "binary file (NUL bytes), not text"
    for cut in (1, 2, 3):
        encoding = _detect(data[:-cut])
        if encoding is not None:
            try:
                data[:-cut].decode(encoding)
            except UnicodeDecodeError:
                continue
            return (
                f"cut off in the middle of a character: the file reads as {encoding} except its last "
                f"{cut} byte(s), an incomplete character; the file was truncated (copy it again)"
            )
    return (
        f"unknown encoding: not UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) and no other "
        "encoding decodes it; binary data or a damaged file"
    )


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        if error.end == len(data) and error.start >= len(data) - 3:
            raise IngestError(
                f"cut off in the middle of a character: the last {len(data) - error.start} byte(s) are an "
                f"incomplete {encoding} character; the file was truncated (copy it again)"
            ) from error
        raise IngestError(f"cannot decode as {encoding}: {error.reason} at byte {error.start}") from error


def refuse_garbage(text: str, encoding: str) -> None:
    """Refuse decoded text that is mojibake or binary noise rather than an issue."""
    mojibake = find_mojibake(text)
    if mojibake is not None:
        raise IngestError(mojibake)
    replaced = text.count("\ufffd")
    if replaced >= 3 and replaced * 200 > len(text):
        raise IngestError(
            f"mojibake: {replaced} replacement characters (U+FFFD) show the text was decoded with the "
            "wrong encoding and saved again, losing characters; export it again from the original"
        )
    controls = len(_CONTROLS.findall(text))
    if controls > max(2, len(text) // 200):
        raise IngestError(
            f"binary file ({controls} control characters after decoding as {encoding}), not text"
        )


def find_mojibake(text: str) -> str | None:
    """Explain why the text looks like mojibake (a wrong decode saved again), or return None."""
    suspects = 0
    repaired: list[tuple[str, str, str]] = []
    for line in text.split("\n"):
        line = line.strip()
        wrong = len(_WRONG_DECODE_CHARS.findall(line))
        if wrong < _MIN_SUSPECT_CHARS and not _SUSPECT_CJK.match(line):
            continue
        suspects += 1
        for read_as, really, story in _MOJIBAKE_ROUTES:
            if (read_as == "gb18030") == (wrong >= _MIN_SUSPECT_CHARS):
                continue  # Latin-1 routes for Latin-looking lines, the GBK route for CJK ones
            fixed = _repair(line, read_as, really)
            if fixed is not None and len(_CJK.findall(fixed)) >= 2:
                repaired.append((story, line, fixed))
                break
    if len(repaired) >= 2 or (repaired and 2 * len(repaired) >= suspects):
        story, line, fixed = repaired[0]
        return (
            f"mojibake: {len(repaired)} of {suspects} text lines look like {story} and saved again "
            f"(`{line[:12]}` reads `{fixed[:8]}`); export the file again from its original encoding"
        )
    return None


def _repair(line: str, read_as: str, really: str) -> str | None:
    try:
        return line.encode(read_as).decode(really)
    except UnicodeError:
        return None


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


def describe_files(paths: Sequence[str | Path]) -> str:
    """Name some files in a log line or a task run's name: the one file, or the dates they span."""
    names = [Path(path).name for path in paths]
    if len(names) <= 1:
        return names[0] if names else "no file"
    dates = sorted(day for day in map(date_from_filename, names) if day is not None)
    span = f"{dates[0]} to {dates[-1]}" if dates else f"{min(names)} to {max(names)}"
    return f"{span} ({len(names)} files)"


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


def refuse_without_articles(parsed: ParsedIssue) -> None:
    """Refuse a file that decodes but holds no article: it is not an issue the splitter can read."""
    if not parsed.articles:
        lines = sum(1 for line in parsed.issue.text.splitlines() if line.strip())
        raise IngestError(
            f"no articles found: {lines} line(s) of {parsed.issue.encoding} text, but none starts an "
            "article (a heading followed by a byline or a dateline); not a newspaper issue?"
        )


def file_digest(path: Path) -> tuple[str, int]:
    """Return (sha256, size) of a file's bytes, streamed so a huge file is never held in memory."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return digest, path.stat().st_size
