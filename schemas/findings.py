"""Pandera model for the `quality_findings` rows."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
from pandera.api.polars.model_config import BaseConfig

SEVERITIES = ["error", "warning", "info"]


class FindingSchema(pa.DataFrameModel):
    """One thing a careful editor should look at, on an issue or one of its articles."""

    issue_sha256: str = pa.Field(str_length={"min_value": 64, "max_value": 64})
    article_id: str = pa.Field(nullable=True)
    seq: int = pa.Field(nullable=True, ge=1)
    check: str = pa.Field(str_length={"min_value": 1})
    severity: str = pa.Field(isin=SEVERITIES)
    detail: str = pa.Field(nullable=True)
    found_at: dt.datetime

    class Config(BaseConfig):
        strict = False
        coerce = True  # integer widths follow the DDL, as DuckDB casts them on insert
