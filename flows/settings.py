"""Typed settings with working defaults, overridable by NEWSPRINT_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SQL_DIR = PROJECT_ROOT / "sql"
USER_DICT = DATA_DIR / "newspaper_dict.txt"
SAMPLE_ISSUE = DATA_DIR / "samples" / "qingdao-daily-2025-12-30.txt"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes; read once at the entry point and passed down."""

    inbox: Path = field(default_factory=lambda: _env_path("NEWSPRINT_INBOX", DATA_DIR / "inbox"))
    warehouse: str = field(
        default_factory=lambda: os.environ.get("NEWSPRINT_WAREHOUSE", str(DATA_DIR / "warehouse.duckdb"))
    )
    paper: str | None = field(default_factory=lambda: os.environ.get("NEWSPRINT_PAPER"))
    lock_timeout_s: float = field(
        default_factory=lambda: float(os.environ.get("NEWSPRINT_LOCK_TIMEOUT", "60"))
    )
