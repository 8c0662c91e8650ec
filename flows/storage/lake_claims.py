"""Split an archive between backfills of one lake: each file transformed by one writer, where it can be.

Two backfills of the same archive on two machines would each decode, split, validate and
segment every file, and the load would keep one of each. So on a PostgreSQL-catalog lake a
backfill claims the files of a batch once it has read them, before transforming them: a
session advisory lock on each file's raw-byte hash, tried and never waited for
(`lake_locks.Claims`). Then, for each file:

- held by another writer: passed over, and tried again at the end of the run (`deferred`);
- claimed, but committed by another writer meanwhile (the lake is asked after the claim, on a
  connection that sees every commit): settled as already loaded, untransformed;
- claimed: transformed and loaded here; the claim is given back once its batch is committed.

A writer that dies ends its session, which gives its claims back. A DuckDB file or file
catalog has one writer: nothing to split (`NoClaims`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence

import duckdb

from flows.runs.backfill import BatchItem, FileJob
from flows.settings import sql
from flows.storage.connection import connect
from flows.storage.lake_locks import Claims, conninfo_of
from flows.storage.relations import registered_hashes
from flows.storage.warehouse import Warehouse

CLAIM_RETRY_S = 2.0  # how often a backfill looks again at the files another writer holds


class NoClaims:
    """The claims of the only writer: every file is its own."""

    def settle(self, items: list[FileJob | BatchItem]) -> list[FileJob | BatchItem]:
        return items

    def release(self, items: Sequence[BatchItem]) -> None:
        return None

    def close(self) -> None:
        return None


class FileClaims(NoClaims):
    """Claims of one backfill on a lake that other writers share (see the module)."""

    def __init__(self, warehouse: Warehouse, timeout_s: float) -> None:
        self._claims = Claims(conninfo_of(warehouse.location), warehouse.metadata_schema or "main")
        self._lake = connect(warehouse, read_only=True, timeout_s=timeout_s)
        self._lock = threading.Lock()  # the batches' tasks run in threads

    def settle(self, items: list[FileJob | BatchItem]) -> list[FileJob | BatchItem]:
        """Claim a read batch's files: pass over those others hold, skip those others loaded."""
        digests = {
            id(item): hashlib.sha256(item.data).hexdigest() for item in items if isinstance(item, FileJob)
        }
        if not digests:
            return items
        with self._lock:
            mine = self._claims.take(digests.values())
            loaded = _loaded_files(self._lake, sorted(mine))
            self._claims.release(loaded)
        settled: list[FileJob | BatchItem] = []
        for item in items:
            digest = digests.get(id(item))
            if not isinstance(item, FileJob) or digest is None or (digest in mine and digest not in loaded):
                settled.append(item)
            else:
                held = digest not in mine  # by another writer, which has not committed it yet
                settled.append(
                    BatchItem(
                        item.source_file, digest, len(item.data), already_loaded=not held, deferred=held
                    )
                )
        return settled

    def release(self, items: Sequence[BatchItem]) -> None:
        """Give back the claims of a committed batch's files."""
        with self._lock:
            self._claims.release(item.file_sha256 for item in items if item.file_sha256)

    def close(self) -> None:
        with self._lock:
            self._claims.close()
            self._lake.close()


def claims_for(warehouse: Warehouse, timeout_s: float) -> NoClaims:
    """Return the claims a backfill of this warehouse takes: real ones on a PostgreSQL-catalog lake."""
    return FileClaims(warehouse, timeout_s) if warehouse.postgres else NoClaims()


def _loaded_files(con: duckdb.DuckDBPyConnection, digests: list[str]) -> set[str]:
    """Return which of these files (raw-byte hashes) the lake holds now."""
    if not digests:
        return set()
    with registered_hashes(con, digests):
        return {row[0] for row in con.execute(sql("lake/loaded_files_among")).fetchall()}
