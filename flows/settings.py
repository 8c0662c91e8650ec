"""Typed settings with working defaults, overridable by NEWSPRINT_* environment variables."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from flows.storage.warehouse import Warehouse, parse_warehouse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SQL_DIR = PROJECT_ROOT / "sql"
USER_DICT = DATA_DIR / "newspaper_dict.txt"
SAMPLE_ISSUE = DATA_DIR / "samples" / "qingdao-daily-2025-12-30.txt"


STATEMENT_MARK = re.compile(r"^-- name: (\w+)[ \t]*$", re.MULTILINE)


@cache
def sql(name: str) -> str:
    """Return the SQL called `group/name`: the file sql/group/name.sql, else a statement of sql/group.sql.

    A model or a question is a file of its own; short statements are grouped by concern in one
    file, each after a `-- name: <name>` line (`load/insert_articles` is in sql/load.sql).
    """
    path = SQL_DIR / f"{name}.sql"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    group, _, statement = name.rpartition("/")
    found = named_statements(group).get(statement)
    if found is None:
        raise FileNotFoundError(f"no SQL {name!r}: no {path}, no `-- name: {statement}` in sql/{group}.sql")
    return found


@cache
def named_statements(group: str) -> dict[str, str]:
    """Read the named statements of sql/<group>.sql (none when there is no such file)."""
    path = SQL_DIR / f"{group}.sql"
    if not group or not path.is_file():
        return {}
    parts = STATEMENT_MARK.split(path.read_text(encoding="utf-8"))  # header, name, text, name, text…
    return {name: text.strip() + "\n" for name, text in zip(parts[1::2], parts[2::2], strict=True)}


def sql_names(group: str) -> list[str]:
    """Name every SQL of a group: its files in sql/<group>/ and the statements of sql/<group>.sql."""
    files = {path.stem for path in (SQL_DIR / group).glob("*.sql")}
    return sorted(files | set(named_statements(group)))


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


class SettingError(ValueError):
    """A NEWSPRINT_* variable cannot be read; the message names it and what it takes."""


def _env_number(name: str, default: str, kind: type[int] | type[float]) -> Any:
    """Read a numeric NEWSPRINT_* variable, or say which one is wrong and what it takes."""
    value = os.environ.get(name, default)
    try:
        return kind(value)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SettingError(f"{name} is {what}, not {value!r}") from None


def debug_log_path() -> Path:
    """Where every log line and traceback goes (NEWSPRINT_DEBUG_LOG), read without the other settings.

    A command that fails on a setting (a warehouse or a number it cannot read) still says where
    its traceback is.
    """
    return _env_path("NEWSPRINT_DEBUG_LOG", DATA_DIR / "newsprint-debug.log")


def _env_warehouse() -> Warehouse:
    """Read NEWSPRINT_WAREHOUSE; a DuckLake without ` DATA_PATH` takes NEWSPRINT_DATA_PATH's."""
    warehouse = parse_warehouse(os.environ.get("NEWSPRINT_WAREHOUSE", str(DATA_DIR / "warehouse.duckdb")))
    data_path = os.environ.get("NEWSPRINT_DATA_PATH")
    if data_path and warehouse.lake and not warehouse.data_path:
        return warehouse.with_data_path(data_path)
    return warehouse


CHECK_SEVERITIES = ("error", "warning", "info")
# Severity per check (the README lists the checks): error rejects the article, warning loads it
# with a finding, info only records it. Overridden by NEWSPRINT_CHECKS or `--checks FILE`.
DEFAULT_CHECK_SEVERITIES: dict[str, str] = {
    "byline_present": "error",
    "dateline_present": "error",
    "body_not_duplicate": "error",
    "body_not_near_duplicate": "warning",  # MinHash of 5-character shingles, Jaccard >= 0.7
    "headline_present": "warning",
    "headline_length_sane": "warning",  # 4 to 60 characters
    "reporter_names_plausible": "warning",
    "dateline_date_recent": "warning",  # dateline at most 7 days before the issue date
    "body_long_enough": "warning",  # at least 50 characters
    "repeated_paragraph": "warning",
    "text_lost_at_break": "warning",
    "text_not_garbled": "warning",  # U+FFFD, 锟斤拷, Latin-1 mojibake of GBK or UTF-8
    "traditional_share_low": "warning",  # at most 10% traditional-only characters
    "paragraph_joined": "info",  # a paragraph cut by a page break, joined again
    "split_uncertain": "warning",  # the splitter's confidence in a line's role < NEWSPRINT_SPLIT_DOUBT
}
# How far from an issue's date the warehouse is searched for near-duplicates (flows/text/similarity.py);
# here, so that the lake's locks (flows/storage/lake_locks.py) know it without importing Polars.
NEAR_DUPLICATE_DAYS = 30


def read_check_severities(path: Path) -> dict[str, str]:
    """Read `check = "severity"` from a TOML file: `[tool.newsprint.checks]`, `[checks]` or top level."""
    with path.open("rb") as handle:
        doc: dict[str, Any] = tomllib.load(handle)
    table = doc.get("tool", {}).get("newsprint", {}).get("checks")
    if table is None:
        table = doc.get("checks", {k: v for k, v in doc.items() if not isinstance(v, dict)})
    wrong = {k: v for k, v in table.items() if v not in CHECK_SEVERITIES}
    if wrong:
        raise ValueError(f"{path}: a check's severity is one of {', '.join(CHECK_SEVERITIES)}, not {wrong}")
    return dict(table)


def check_severities(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the severity of every check: the defaults, then NEWSPRINT_CHECKS's file, then `overrides`.

    The one merge of severities: `overrides` are a `--checks` file's (read_check_severities),
    or a flow's `checks` parameter.
    """
    env_file = os.environ.get("NEWSPRINT_CHECKS")
    configured = read_check_severities(Path(env_file)) if env_file else {}
    return {**DEFAULT_CHECK_SEVERITIES, **configured, **(overrides or {})}


def split_doubt_threshold() -> float:
    """Read NEWSPRINT_SPLIT_DOUBT: the splitter doubts a line labelled with less confidence (0.6)."""
    value = _env_number("NEWSPRINT_SPLIT_DOUBT", "0.6", float)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"NEWSPRINT_SPLIT_DOUBT is a probability from 0 to 1, not {value}")
    return value


def default_workers() -> str:
    """One backfill worker per core but one: the writer, the backfill's critical path, needs a core."""
    return str(max(1, (os.cpu_count() or 2) - 1))


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes; read once at the entry point and passed down."""

    inbox: Path = field(default_factory=lambda: _env_path("NEWSPRINT_INBOX", DATA_DIR / "inbox"))
    # a DuckDB file (default), or `ducklake:<catalog>`, parsed (flows/storage/warehouse.py)
    warehouse: Warehouse = field(default_factory=lambda: _env_warehouse())
    paper: str | None = field(default_factory=lambda: os.environ.get("NEWSPRINT_PAPER"))
    lock_timeout_s: float = field(default_factory=lambda: _env_number("NEWSPRINT_LOCK_TIMEOUT", "60", float))
    # a run whose warehouse stays held past lock_timeout_s tries again (Prefect task retries)
    lock_retries: int = field(default_factory=lambda: _env_number("NEWSPRINT_LOCK_RETRIES", "2", int))
    lock_retry_delay_s: float = field(
        default_factory=lambda: _env_number("NEWSPRINT_LOCK_RETRY_DELAY", "60", float)
    )
    # the copy analysts keep open (flows/storage/read_copy.py): unset, beside the warehouse; "off", none
    read_copy: str | None = field(default_factory=lambda: os.environ.get("NEWSPRINT_READ_COPY"))
    # operations (issues 6 and 7): bad-file limit, analyst wait, backfill batches, schedule
    max_file_mb: float = field(default_factory=lambda: _env_number("NEWSPRINT_MAX_FILE_MB", "50", float))
    # an inbox file modified more recently may still be arriving: `run` leaves it (flows/runs/files.py)
    settle_s: float = field(default_factory=lambda: _env_number("NEWSPRINT_SETTLE_SECONDS", "30", float))
    query_timeout_s: float = field(
        default_factory=lambda: _env_number("NEWSPRINT_QUERY_TIMEOUT", "10", float)
    )
    batch_size: int = field(default_factory=lambda: _env_number("NEWSPRINT_BATCH_SIZE", "64", int))
    batch_mb: float = field(default_factory=lambda: _env_number("NEWSPRINT_BATCH_MB", "1.5", float))
    workers: int = field(default_factory=lambda: _env_number("NEWSPRINT_WORKERS", default_workers(), int))
    schedule_cron: str = field(default_factory=lambda: os.environ.get("NEWSPRINT_CRON", "0 6 * * *"))
    schedule_timezone: str = field(
        default_factory=lambda: os.environ.get("NEWSPRINT_TIMEZONE", "Asia/Shanghai")
    )
    # a lake's upkeep (flows/storage/lake_maintenance.py): when serve runs it, how far time travel reaches
    maintenance_cron: str = field(
        default_factory=lambda: os.environ.get("NEWSPRINT_MAINTENANCE_CRON", "0 3 * * 0")
    )
    keep_snapshots_days: int = field(
        default_factory=lambda: _env_number("NEWSPRINT_KEEP_SNAPSHOTS_DAYS", "7", int)
    )
    # every log line of a run and the traceback of a failure; the console shows neither (flows/runs/logs.py)
    debug_log: Path = field(default_factory=lambda: debug_log_path())
    # severity per quality check (error rejects the article): check_severities()
    checks: dict[str, str] = field(default_factory=check_severities)

    @property
    def max_file_bytes(self) -> int:
        """The largest file a run reads, in bytes (`NEWSPRINT_MAX_FILE_MB`)."""
        return int(self.max_file_mb * 1_000_000)

    @property
    def batch_bytes(self) -> int:
        """The most text a backfill batch holds, in bytes of its files (`NEWSPRINT_BATCH_MB`)."""
        return int(self.batch_mb * 1_000_000)

    def warehouse_or(self, setting: str | None) -> Warehouse:
        """Parse a warehouse given as an option or a flow's parameter; none given, the configured one."""
        return parse_warehouse(setting) if setting else self.warehouse
