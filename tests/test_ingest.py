"""Decoding, content identity and issue dates."""

from __future__ import annotations

from datetime import date

import pytest

from flows.ingest import IngestError, date_from_filename, decode_bytes, read_issue


def test_sample_is_utf8_and_dated_by_its_name(sample_issue) -> None:
    assert sample_issue.encoding == "utf-8"
    assert sample_issue.issue_date == date(2025, 12, 30)
    assert sample_issue.issue_date_source == "filename"
    assert sample_issue.paper == "qingdao-daily"
    assert len(sample_issue.sha256) == 64


def test_gb18030_crlf_copy_is_the_same_issue(sample_bytes: bytes, sample_issue) -> None:
    text = sample_bytes.decode("utf-8").replace("\n", "\r\n")
    other = read_issue("copy.txt", text.encode("gb18030"))
    assert other.encoding == "gb18030"
    assert other.sha256 == sample_issue.sha256


def test_bom_is_not_part_of_identity(sample_bytes: bytes, sample_issue) -> None:
    other = read_issue("x.txt", b"\xef\xbb\xbf" + sample_bytes)
    assert other.sha256 == sample_issue.sha256


def test_utf16(sample_bytes: bytes, sample_issue) -> None:
    other = read_issue("x.txt", sample_bytes.decode("utf-8").encode("utf-16"))
    assert other.encoding == "utf-16" and other.sha256 == sample_issue.sha256


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\n ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    ],
)
def test_bad_files_get_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        decode_bytes(data)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("qingdao-daily-2025-12-30.txt", date(2025, 12, 30)),
        ("rmrb20250204.txt", date(2025, 2, 4)),
        ("issue-2025-13-45.txt", None),
        ("archive.txt", None),
    ],
)
def test_date_from_filename(name: str, expected: date | None) -> None:
    assert date_from_filename(name) == expected


def test_issue_date_from_option_then_datelines(sample_bytes: bytes) -> None:
    from flows.parse import parse_issue

    with_option = read_issue("today.txt", sample_bytes, issue_date=date(2025, 12, 30))
    assert (with_option.issue_date, with_option.issue_date_source) == (date(2025, 12, 30), "option")
    inferred = parse_issue(read_issue("today.txt", sample_bytes), date(2026, 1, 15)).issue
    assert (inferred.issue_date, inferred.issue_date_source) == (date(2025, 12, 30), "datelines")
