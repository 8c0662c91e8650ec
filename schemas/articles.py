"""Pandera models for the articles frame: column types and the editor's article checks."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.api.polars.model_config import BaseConfig


class ArticleSchema(pa.DataFrameModel):
    """One row per split article of an issue, before it is accepted or rejected.

    Each dataframe check is named for the rule it enforces; its name is the `check`
    of the quality finding and the key of its severity in the configuration.
    """

    article_id: str = pa.Field(unique=True)
    issue_sha256: str = pa.Field(str_length={"min_value": 64, "max_value": 64})
    seq: int = pa.Field(ge=1)
    kicker: str = pa.Field(nullable=True)
    headline: str = pa.Field(nullable=True)
    subtitle: str = pa.Field(nullable=True)
    byline: str = pa.Field(nullable=True)
    dateline: str = pa.Field(nullable=True)
    dateline_date: dt.date = pa.Field(nullable=True)
    body: str
    body_chars: int = pa.Field(ge=0)
    body_hash: str
    duplicate_of: str = pa.Field(nullable=True)

    class Config(BaseConfig):
        strict = False
        coerce = False

    @pa.dataframe_check
    def byline_present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A story without a byline cannot be attributed."""
        return data.lazyframe.select(pl.col("byline").str.strip_chars().str.len_chars().fill_null(0) > 0)

    @pa.dataframe_check
    def dateline_present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """News copy states where and when it was filed."""
        return data.lazyframe.select(pl.col("dateline").str.strip_chars().str.len_chars().fill_null(0) > 0)

    @pa.dataframe_check
    def body_not_duplicate(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The same body must not be loaded twice (in the issue or the warehouse)."""
        return data.lazyframe.select(pl.col("duplicate_of").is_null())
