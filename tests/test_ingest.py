"""Decoding, content identity and issue dates."""

from __future__ import annotations

import gzip
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from flows.ingest import (
    IngestError,
    check_size,
    date_from_filename,
    decode_bytes,
    find_mojibake,
    read_issue,
    refuse_without_articles,
)
from flows.parse import parse_issue
from flows.settings import SAMPLE_ISSUE
from tests.conftest import TODAY

LAYOUTS = Path(__file__).parent / "fixtures" / "layouts"


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


@pytest.mark.parametrize(
    ("bom", "codec", "encoding"),
    [
        (b"\xff\xfe", "utf-16-le", "utf-16"),
        (b"\xfe\xff", "utf-16-be", "utf-16"),
        (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32"),
        (b"", "utf-16-le", "utf-16-le"),  # no BOM: charset-normalizer recognises it
        (b"", "utf-16-be", "utf-16-be"),
    ],
)
def test_utf16_and_utf32(sample_bytes: bytes, sample_issue, bom: bytes, codec: str, encoding: str) -> None:
    other = read_issue("x.txt", bom + sample_bytes.decode("utf-8").encode(codec))
    assert other.encoding == encoding and other.sha256 == sample_issue.sha256


def test_crlf_and_trailing_spaces_are_not_part_of_identity(sample_bytes: bytes, sample_issue) -> None:
    text = sample_bytes.decode("utf-8")
    other = read_issue("x.txt", "\r\n".join(line + "  " for line in text.split("\n")).encode("utf-8"))
    assert other.sha256 == sample_issue.sha256
    assert other.file_sha256 != sample_issue.file_sha256


def test_a_changed_character_is_another_issue(sample_bytes: bytes, sample_issue) -> None:
    other = read_issue("x.txt", sample_bytes.replace("青岛".encode(), "济南".encode(), 1))
    assert other.sha256 != sample_issue.sha256


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("qingdao-daily-2025-12-30.txt", SAMPLE_ISSUE.read_bytes())
    return buffer.getvalue()


SAMPLE_TEXT = SAMPLE_ISSUE.read_text(encoding="utf-8")
CUT = "cut off in the middle of a character"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "^empty file$", id="empty"),
        pytest.param(b"  \n\r\n \t", "^empty file$", id="blank"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "PNG image", id="png"),
        pytest.param(_zip_bytes(), "ZIP archive", id="zip"),
        pytest.param(gzip.compress(SAMPLE_ISSUE.read_bytes()), "gzip archive", id="gzip"),
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(200), "PDF document", id="pdf"),
        pytest.param(bytes(range(256)) * 8, "binary file", id="bytes"),
        pytest.param(b"\x01\x02\x03\x04 text \x05\x06\x07\x08" * 50, "control characters", id="controls"),
        pytest.param(SAMPLE_TEXT.rstrip().encode("utf-8")[:-1], CUT, id="cut-utf8"),
        pytest.param(
            SAMPLE_TEXT.rstrip().encode("gb18030")[:-1],
            "cut off in the middle of a character",
            id="cut-gb18030",
        ),
        pytest.param(SAMPLE_TEXT.encode("utf-16")[:-1], CUT, id="cut-utf16"),
        pytest.param(
            SAMPLE_TEXT.encode("gbk").decode("latin-1").encode("utf-8"),
            "mojibake: .* GBK text decoded as Latin-1",
            id="gbk-read-as-latin1",
        ),
        pytest.param(
            SAMPLE_TEXT.encode("utf-8").decode("latin-1").encode("utf-8"),
            "mojibake: .* UTF-8 text decoded as Latin-1",
            id="utf8-read-as-latin1",
        ),
        pytest.param(
            SAMPLE_TEXT.encode("utf-8").decode("gbk", errors="replace").encode("utf-8"),
            "mojibake: .* replacement characters",
            id="utf8-read-as-gbk-lossy",
        ),
    ],
)
def test_bad_files_get_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        decode_bytes(data)


def test_mojibake_names_a_line_and_its_repair() -> None:
    data = "消息：本报记者 薛华飞\n曾赞荣任刚会见宋迎东殷敬伟一行\n".encode("gbk").decode("latin-1").encode()
    with pytest.raises(IngestError) as caught:
        decode_bytes(data)
    assert "ÏûÏ¢£º" in str(caught.value) and "消息：" in str(caught.value)


@pytest.mark.parametrize("path", [SAMPLE_ISSUE, *sorted(LAYOUTS.glob("*.txt"))], ids=lambda p: p.name)
def test_real_issues_are_not_mistaken_for_mojibake(path: Path) -> None:
    text, _ = decode_bytes(path.read_bytes())
    assert find_mojibake(text) is None


def test_latin_text_with_accents_is_not_mojibake() -> None:
    text = "Le président a visité Pékin. Café, élève, naïve, façade, Zürich, São Paulo, Ångström.\n" * 5
    assert find_mojibake(text) is None
    assert decode_bytes(text.encode("utf-8"))[1] == "utf-8"


def test_size_is_checked_before_reading() -> None:
    check_size(50_000_000, 50_000_000)
    with pytest.raises(IngestError, match=r"too large: 100\.0 MB, above the 50 MB limit"):
        check_size(100_000_000, 50_000_000)


def test_text_without_articles_is_refused(sample_parsed) -> None:
    refuse_without_articles(sample_parsed)
    readme = read_issue("readme-2025-12-30.txt", b"This folder holds the daily issues.\nDo not edit.\n")
    with pytest.raises(IngestError, match="no articles found: 2 line"):
        refuse_without_articles(parse_issue(readme, TODAY))


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
