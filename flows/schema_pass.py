"""Run a Pandera model's data checks as one Polars query, and leave failures of column rules to Pandera.

Pandera's polars backend collects a query per column rule and per check, and builds a
failure-case report per failed check (for a dataframe check, every failing row JSON-encoded
whole): a run over a batch's articles costs about 50 ms however few rows it has. Here the
model's own check functions (`Check._check_fn`, as Pandera calls them) are evaluated in one
query, with the column rules Pandera applies (type, nullable, unique). When every column rule
holds, the failures are the rows each dataframe check rejects, which is all Pandera's report
would say; when a column rule fails, a model has a feature this runner does not read, or a
check raises, Pandera runs and reports (`tests/test_schema_pass.py` compares the two).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandera.backends.polars.builtin_checks  # noqa: F401 - registers the built-in checks for polars
import pandera.polars as pa
import polars as pl
from pandera.api.polars.container import DataFrameSchema
from pandera.backends.polars.checks import PolarsCheckBackend
from pandera.config import ValidationDepth, get_config_context

SchemaFailure = tuple[int | None, str, str | None, str]  # row, check, column, failure case
_FRAME_CHECK = "frame_check_{}"  # the result columns of the dataframe checks, by position
_COLUMN_RULE = "column_rule_{}"  # of the column rules


class _PanderaMustRun(Exception):
    """A check gives what this runner does not read."""


def failures_in_one_pass(model: type[pa.DataFrameModel], frame: pl.DataFrame) -> list[SchemaFailure] | None:
    """Return the model's failures on the frame as Pandera reports them, or None when Pandera must run.

    A dataframe check's failure is (row, check, None, "False"): Pandera's failure case for it
    is the whole row, which no caller reads.
    """
    schema = _supported(model)
    lazy = _coerced(schema, frame) if schema is not None else None
    if schema is None or lazy is None:
        return None
    try:
        rules = _column_rules(schema, lazy)
        checks = [_result(check, lazy, None) for check in schema.checks]
    except _PanderaMustRun:
        return None
    outputs = [out.select(pl.first().alias(_COLUMN_RULE.format(i))) for i, out in enumerate(rules)]
    outputs += [out.select(pl.first().alias(_FRAME_CHECK.format(i))) for i, out in enumerate(checks)]
    if not outputs:
        return []
    try:  # a check that raises is reported by Pandera, as a failure of that check
        results = pl.concat(outputs, how="horizontal").collect()
    except Exception:  # whatever a check raises, Pandera runs and says what
        return None
    if not all(results[_COLUMN_RULE.format(i)].all() for i in range(len(rules))):
        return None
    failures: list[SchemaFailure] = []
    for i, check in enumerate(schema.checks):
        failed = (~results[_FRAME_CHECK.format(i)]).arg_true().to_list()
        failures += [(row, _identifier(check), None, "False") for row in failed]
    return failures


@cache
def _supported(model: type[pa.DataFrameModel]) -> DataFrameSchema | None:
    """Return the model's schema if this runner reads every feature it uses, else None."""
    schema = model.to_schema()
    frame_options = (
        schema.strict,
        schema.ordered,
        schema.add_missing_columns,
        schema.drop_invalid_rows,
        schema.unique_column_names,
    )
    columns_plain = all(
        not column.regex and column.required and column.default is None and not column.drop_invalid_rows
        for column in schema.columns.values()
    )
    checks = [*schema.checks, *(check for column in schema.columns.values() for check in column.checks)]
    checks_plain = all(
        not check.element_wise
        and not check.raise_warning
        and check.n_failure_cases is None
        and check.groupby is None
        for check in checks
    )
    return schema if not any(frame_options) and columns_plain and checks_plain else None


def _coerced(schema: DataFrameSchema, frame: pl.DataFrame) -> pl.LazyFrame | None:
    """Return the frame with coerced columns cast as Pandera casts them, or None if a column's type fails.

    A cast that fails raises when the pass is collected, and Pandera runs.
    """
    config = get_config_context(validation_depth_default=ValidationDepth.SCHEMA_AND_DATA)
    if (
        not config.validation_enabled
        or config.validation_depth != ValidationDepth.SCHEMA_AND_DATA
        or config.use_narwhals_backend
    ):
        return None
    lazy = frame.lazy()
    types = frame.schema
    for name, column in schema.columns.items():
        if name not in types:
            return None
        if column.dtype is None:
            continue
        if (schema.coerce or column.coerce) and types[name] != column.dtype.type:
            lazy = column.dtype.coerce(pa.PolarsData(lazy, name))
        elif not column.dtype.check(types[name], pa.PolarsData(lazy.select(name), name)):
            return None
    return lazy


def _column_rules(schema: DataFrameSchema, lazy: pl.LazyFrame) -> list[pl.LazyFrame]:
    """Return a boolean column per column rule: not null, unique, each of the column's checks."""
    rules: list[pl.LazyFrame] = []
    types = lazy.collect_schema()
    for name, column in schema.columns.items():
        if not column.nullable:
            present = pl.col(name).is_not_null()
            if types[name].is_float():
                present = present & pl.col(name).is_not_nan()
            rules.append(lazy.select(present))
        if column.unique:
            rules.append(lazy.select(~pl.col(name).is_duplicated()))
        rules += [_result(check, lazy, name) for check in column.checks]
    if schema.unique:  # the model's columns unique together
        rules.append(lazy.select(~pl.struct(schema.unique).is_duplicated()))
    return rules


def _result(check: pa.Check, lazy: pl.LazyFrame, key: str | None) -> pl.LazyFrame:
    """Evaluate a check as Pandera's polars backend does: one boolean column, nulls as `ignore_na` says."""
    builtin = getattr(check._check_fn, "__name__", None)
    if builtin is not None and check.is_builtin_check(builtin):  # as Check.__call__: the polars function
        check._check_fn = check.get_builtin_check_fn(builtin)
    out: Any = PolarsCheckBackend(check).apply(pa.PolarsData(lazy, key or "*"))
    if not isinstance(out, pl.LazyFrame):  # a check of the whole frame (a bool): Pandera reports it
        raise _PanderaMustRun
    passed = pl.first()
    return out.select(passed | passed.is_null() if check.ignore_na else passed.fill_null(False))


def _identifier(check: pa.Check) -> str:
    """Name a check as Pandera's failure cases do."""
    return check.error if check.error is not None else check.name if check.name is not None else str(check)
