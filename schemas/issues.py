"""Pandera model for the one `issues` row an issue adds to the warehouse."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.api.polars.model_config import BaseConfig

ISSUE_DATE_SOURCES = ["filename", "option", "datelines"]


class IssueSchema(pa.DataFrameModel):
    """A loaded issue: identity, date, counts and the raw text that must never be lost."""

    sha256: str = pa.Field(unique=True, str_length={"min_value": 64, "max_value": 64})
    source_file: str = pa.Field(str_length={"min_value": 1})
    paper: str = pa.Field(nullable=True)
    issue_date: dt.date = pa.Field(nullable=True)
    issue_date_source: str = pa.Field(nullable=True, isin=ISSUE_DATE_SOURCES)
    encoding: str = pa.Field(str_length={"min_value": 1})
    lines: int = pa.Field(ge=1)
    articles_total: int = pa.Field(ge=0)
    articles_accepted: int = pa.Field(ge=0)
    articles_rejected: int = pa.Field(ge=0)
    residue_lines: int = pa.Field(ge=0)
    findings: int = pa.Field(ge=0)
    raw_text: str = pa.Field(str_length={"min_value": 1})

    class Config(BaseConfig):
        strict = False
        coerce = True  # integer widths follow the DDL, as DuckDB casts them on insert

    @pa.dataframe_check
    @classmethod
    def issue_date_known(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """An issue without a date cannot be placed in the archive."""
        return data.lazyframe.select(pl.col("issue_date").is_not_null())

    @pa.dataframe_check
    @classmethod
    def article_counts_add_up(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Every split article is either accepted or rejected, never both or neither."""
        added = pl.col("articles_accepted") + pl.col("articles_rejected")
        return data.lazyframe.select(added == pl.col("articles_total"))
