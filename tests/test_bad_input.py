"""A hostile inbox through the real daily-ingest flow: each bad file is recorded, left, explained.

One `newsprint run` over an inbox holding the sample and one file of each bad kind; the tests
then read what it left in the warehouse, the Prefect artifacts and the inbox.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

# Import Prefect's side now: its log handler binds the stderr of the moment, and a CliRunner's
# stderr is closed once the command returns.
import flows.pipeline  # noqa: F401
from flows.cli.app import app
from flows.settings import SAMPLE_ISSUE

pytestmark = pytest.mark.usefixtures("prefect_harness")
SAMPLE_TEXT = SAMPLE_ISSUE.read_text(encoding="utf-8")


def png_bytes() -> bytes:
    """A real 2×2 PNG image, as a scanner or a phone would leave in the inbox."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = zlib.compress(b"\x00\xff\x00\x00\xff\x00\x00" * 2)
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    """A zip archive of issues dropped into the inbox unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("qingdao-daily-2025-12-30.txt", SAMPLE_TEXT)
    return buffer.getvalue()


def another_issue() -> str:
    """The sample with other words: a distinct issue with the same layout."""
    return SAMPLE_TEXT.replace("青岛", "烟台").replace("市委", "区委")


# file name → (bytes, the reason failed_files must give)
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty-2025-12-31.txt": (b"", "empty file"),
    "photo-2025-12-31.png": (png_bytes(), "binary file (a PNG image), not text"),
    "issues-2025-12.zip": (zip_bytes(), "binary file (a ZIP archive"),
    "truncated-2025-12-31.txt": (
        another_issue().rstrip().encode("utf-8")[:-2],
        "cut off in the middle of a character",
    ),
    "notes-2025-12-31.txt": (
        "本目录存放每日报纸的文本文件。\n请勿手工修改，也不要在这里保存其他文件。\n".encode(),
        "no articles found",
    ),
    "mojibake-2025-12-31.txt": (
        another_issue().encode("gbk").decode("latin-1").encode("utf-8"),
        "mojibake: 70 of 70 text lines look like GBK text decoded as Latin-1",
    ),
}
HUGE = "huge-2025-12-31.txt"
HUGE_REASON = "too large: 100.0 MB, above the 50 MB limit (NEWSPRINT_MAX_FILE_MB); not read"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run `newsprint run` once over the sample and every bad file; return what it left."""
    root = tmp_path_factory.mktemp("hostile")
    inbox = root / "inbox"
    inbox.mkdir()
    (inbox / SAMPLE_ISSUE.name).write_bytes(SAMPLE_ISSUE.read_bytes())
    for name, (data, _) in BAD_FILES.items():
        (inbox / name).write_bytes(data)
    with (inbox / HUGE).open("wb") as handle:  # sparse: 100 MB on paper, nothing on disk
        handle.truncate(100_000_000)
    before = {p.name: p.stat().st_size for p in inbox.iterdir()}
    warehouse = str(root / "warehouse.duckdb")
    result = CliRunner().invoke(app, ["run", "--inbox", str(inbox), "--warehouse", warehouse])
    with duckdb.connect(warehouse, read_only=True) as con:
        failed = dict(con.execute("select source_file, reason from failed_files").fetchall())
        issues = con.execute("select source_file from issues").fetchall()
        run = con.execute("select run_id, files_seen, files_loaded, files_failed, status from runs")
        run = run.fetchone()
    return {
        "result": result,
        "inbox": inbox,
        "before": before,
        "failed": {Path(k).name: v for k, v in failed.items()},
        "issues": issues,
        "run": run,
    }


@pytest.mark.parametrize("name", [*BAD_FILES, HUGE])
def test_each_bad_file_is_recorded_with_its_reason(hostile_run: dict[str, Any], name: str) -> None:
    reason = BAD_FILES[name][1] if name in BAD_FILES else HUGE_REASON
    assert reason in hostile_run["failed"][name]


@pytest.mark.parametrize("name", [*BAD_FILES, HUGE])
def test_each_bad_file_is_left_where_it_was(hostile_run: dict[str, Any], name: str) -> None:
    assert (hostile_run["inbox"] / name).stat().st_size == hostile_run["before"][name]


def test_the_good_file_still_loads(hostile_run: dict[str, Any]) -> None:
    assert [Path(f).name for (f,) in hostile_run["issues"]] == [SAMPLE_ISSUE.name]
    _, seen, loaded, failed, status = hostile_run["run"]
    assert (seen, loaded, failed, status) == (8, 1, 7, "failed")


def test_the_run_fails_with_a_nonzero_exit_and_a_plain_message(hostile_run: dict[str, Any]) -> None:
    result = hostile_run["result"]
    assert result.exit_code == 1
    assert "run failed: 7 file(s) could not be read" in result.output
    assert "Traceback" not in result.output


def test_the_run_artifacts_list_every_bad_file_and_why(hostile_run: dict[str, Any]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    run_id = hostile_run["run"][0]
    with get_client(sync_client=True) as client:
        artifacts = {
            a.key: a
            for a in client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["daily-ingest-summary", "daily-ingest-findings"]),
                    flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]),
                )
            )
        }
    table = json.loads(str(artifacts["daily-ingest-findings"].data))
    unreadable = {Path(r["file"]).name: r["detail"] for r in table if r["check"] == "file_unreadable"}
    assert unreadable == hostile_run["failed"]
    summary = str(artifacts["daily-ingest-summary"].data)
    for name, reason in hostile_run["failed"].items():
        assert name in summary and reason.split(":")[0] in summary
