"""Pandera model for the `article_reporters` rows: one per person and role in a byline."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
from pandera.api.polars.model_config import BaseConfig

ROLES = ["reporter", "correspondent", "intern", "photographer", "editor", "author", "commentator"]


class ReporterSchema(pa.DataFrameModel):
    """A person named in an article's byline, in byline order."""

    article_id: str = pa.Field(str_length={"min_value": 1})
    issue_sha256: str = pa.Field(str_length={"min_value": 64, "max_value": 64})
    position: int = pa.Field(ge=1)
    name: str = pa.Field(str_length={"min_value": 1, "max_value": 40})
    role: str = pa.Field(isin=ROLES)

    class Config(BaseConfig):
        strict = False
        coerce = True  # integer widths follow the DDL, as DuckDB casts them on insert
        # pandera reads its options from the class but declares them on BaseConfig without ClassVar
        unique: ClassVar[list[str]] = ["article_id", "position"]  # type: ignore[misc]
