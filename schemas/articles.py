"""Pandera models for the articles frame: column types and the editor's article checks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pandera.polars as pa
import polars as pl
from pandera.api.polars.model_config import BaseConfig

from schemas import rules

# Parser findings a schema check re-states (and so replaces): the normaliser sees a page
# break or a repeated paragraph first, the schema decides what it costs the article.
PARSER_EVIDENCE = ("text_lost_at_break", "repeated_paragraph")


def _has_text(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().str.len_chars().fill_null(0) > 0


def _flagged(check: str) -> pl.Expr:
    """Tell whether the parser flagged the article with a finding of this name."""
    return pl.col("parse_findings").list.eval(pl.element().struct.field("check") == check).list.any()


def _long_paragraphs() -> pl.Expr:
    return pl.col("paragraphs").list.eval(
        pl.element().filter(pl.element().str.len_chars() >= rules.MIN_REPEAT_CHARS)
    )


class ArticleSchema(pa.DataFrameModel):
    """One row per split article of an issue, before it is accepted or rejected.

    Each dataframe check is named for the rule it enforces; its name is the `check`
    of the quality finding and the key of its severity in the configuration.
    """

    article_id: str = pa.Field(unique=True)
    issue_sha256: str = pa.Field(str_length={"min_value": 64, "max_value": 64})
    issue_date: dt.date = pa.Field(nullable=True)
    paper: str = pa.Field(nullable=True)
    seq: int = pa.Field(ge=1)
    kicker: str = pa.Field(nullable=True)
    headline: str = pa.Field(nullable=True)
    subtitle: str = pa.Field(nullable=True)
    byline: str = pa.Field(nullable=True)
    dateline: str = pa.Field(nullable=True)
    dateline_date: dt.date = pa.Field(nullable=True)
    body: str
    paragraphs: Annotated[pl.List, pl.String()]
    body_chars: int = pa.Field(ge=0)
    body_hash: str = pa.Field(str_length={"min_value": 32, "max_value": 32})
    duplicate_of: str = pa.Field(nullable=True)
    near_duplicate_of: str = pa.Field(nullable=True)
    near_duplicate_similarity: float = pa.Field(nullable=True, ge=0, le=1)
    split_confidence: float = pa.Field(nullable=True, ge=0, le=1)
    reporters: Annotated[pl.List, pl.String()]
    parse_findings: Annotated[pl.List, pl.Struct({"check": pl.String, "detail": pl.String})]

    class Config(BaseConfig):
        strict = False
        coerce = False

    @pa.dataframe_check
    @classmethod
    def byline_present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A story without a byline cannot be attributed."""
        return data.lazyframe.select(_has_text("byline"))

    @pa.dataframe_check
    @classmethod
    def dateline_present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """News copy states where and when it was filed."""
        return data.lazyframe.select(_has_text("dateline"))

    @pa.dataframe_check
    @classmethod
    def body_not_duplicate(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """The same body must not be loaded twice (in the issue or the warehouse)."""
        return data.lazyframe.select(pl.col("duplicate_of").is_null())

    @pa.dataframe_check
    @classmethod
    def body_not_near_duplicate(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A lightly edited reprint of an earlier article deserves a second look."""
        return data.lazyframe.select(pl.col("near_duplicate_of").is_null())

    @pa.dataframe_check
    @classmethod
    def headline_present(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """An article is found and cited by its headline."""
        return data.lazyframe.select(_has_text("headline"))

    @pa.dataframe_check
    @classmethod
    def headline_length_sane(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A very short or very long headline is usually a split error."""
        low, high = rules.HEADLINE_CHARS
        length = pl.col("headline").str.len_chars()
        return data.lazyframe.select(pl.col("headline").is_null() | length.is_between(low, high))

    @pa.dataframe_check
    @classmethod
    def reporter_names_plausible(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Byline parsing must yield people, not roles or organisations."""
        name_ok = pl.element().str.contains(rules.PLAUSIBLE_NAME) & ~pl.element().str.contains(
            rules.NOT_A_NAME
        )
        return data.lazyframe.select(pl.col("reporters").list.eval(name_ok).list.all())

    @pa.dataframe_check
    @classmethod
    def dateline_date_recent(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Copy is filed at most a week before the issue, never after it."""
        age = (pl.col("issue_date") - pl.col("dateline_date")).dt.total_days()
        unknown = pl.col("issue_date").is_null() | pl.col("dateline_date").is_null()
        return data.lazyframe.select(unknown | age.is_between(0, rules.DATELINE_MAX_DAYS))

    @pa.dataframe_check
    @classmethod
    def body_long_enough(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A few characters of body are a caption or a stub, not an article."""
        return data.lazyframe.select(pl.col("body_chars") >= rules.MIN_BODY_CHARS)

    @pa.dataframe_check
    @classmethod
    def repeated_paragraph(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A paragraph printed twice in one article is a layout error."""
        long = _long_paragraphs()
        unique = long.list.n_unique() == long.list.len()
        return data.lazyframe.select(unique & ~_flagged("repeated_paragraph"))

    @pa.dataframe_check
    @classmethod
    def text_lost_at_break(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Text missing where a page break was joined needs the print edition."""
        return data.lazyframe.select(~_flagged("text_lost_at_break"))

    @pa.dataframe_check
    @classmethod
    def text_not_garbled(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Replacement characters or mojibake mean the file was decoded wrongly somewhere."""
        text = pl.concat_str(pl.col("headline").fill_null(""), pl.col("body"), separator="\n")
        # rules.is_garbled reads only the texts Polars finds a sign of a wrong decode in; the rest are not
        suspect = text.str.contains(rules.GARBLED_SIGN)
        garbled = pl.when(suspect).then(text).map_elements(rules.is_garbled, return_dtype=pl.Boolean)
        return data.lazyframe.select(~pl.when(suspect).then(garbled).otherwise(suspect))

    @pa.dataframe_check
    @classmethod
    def traditional_share_low(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A simplified-script paper printing mostly traditional characters is a wrong source."""
        text = pl.concat_str(pl.col("headline").fill_null(""), pl.col("body"), separator="\n")
        traditional = text.str.count_matches(rules.traditional_pattern())
        # a text without a traditional-only character passes: its Han characters are not counted
        han = pl.when(traditional > 0).then(text).str.count_matches(rules.HAN)
        share_low = (han == 0) | (traditional <= rules.MAX_TRADITIONAL_SHARE * han)
        return data.lazyframe.select((traditional == 0) | share_low)


# The article checks in the order they run; each name is a finding `check` and a config key.
ARTICLE_CHECKS: tuple[str, ...] = tuple(check.name for check in ArticleSchema.to_schema().checks)
