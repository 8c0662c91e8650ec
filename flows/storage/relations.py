"""Polars frames as DuckDB relations, through Arrow: registered for the next statements, or inserted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import duckdb
import polars as pl

from flows.settings import sql


def registered_hashes(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> AbstractContextManager[None]:
    """Make hashes the relation `wanted` (hash) that load/known_bodies and load/loaded_issues read."""
    return registered(con, "wanted", pl.DataFrame({"hash": hashes}, schema={"hash": pl.String}))


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> Iterator[None]:
    """Make a Polars frame a relation the next statements can read, through Arrow.

    Why not a list parameter: DuckDB's Python client converts a list value by value, and
    tries to import pandas twice per value when pandas is absent (about 0.5 ms per hash);
    an Arrow table goes in whole. In one piece: a frame concatenated from a batch's issues
    holds a chunk per issue, and DuckDB reads an Arrow chunk at a time (a batch's 960 term
    rows in 64 chunks took 11 ms to insert, rechunked 1.8 ms; `python -m bench.floor`).
    """
    con.register(name, frame.rechunk().to_arrow())
    try:
        yield
    finally:
        con.unregister(name)


def insert(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Insert a Polars frame through Arrow with one set-based statement."""
    if frame.height == 0:
        return
    with registered(con, "incoming", frame):
        con.execute(sql(f"load/insert_{name}"))
