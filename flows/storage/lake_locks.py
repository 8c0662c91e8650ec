"""What two writers of one PostgreSQL-catalog lake may not do at once, as PostgreSQL advisory locks.

DuckLake lets two transactions that only append both commit, so without locks two writers
could each load the same issue, or each accept the same article body. A load therefore
holds, from before its transaction begins until after it commits, a lock on each thing its
checks read that a concurrent load could be writing:

- the issue's identity (its content hash): an issue is loaded exactly once;
- each incoming article's body hash: an exact duplicate is rejected whichever writer wins;
- its date, alone, and the days of its near-duplicate window (30 days either side), shared:
  an issue within the window of another holds, shared, the day the other holds alone, so
  near-duplicates across them are seen too, and issues more than 30 days apart never meet.

Loads of different issues, with different bodies and dates apart, so run at once on any
number of machines. An undated issue (its near-duplicate window is the whole lake), the
schema, a revalidation and the lake's upkeep take the whole lake alone; every load takes it
shared. Every writer takes its locks in the order of their keys, so two never deadlock.

A backfill also *claims* the files it is about to transform, with session locks it only
tries (`Claims`): a second backfill of the same archive passes over the files the first
holds, and comes back to them at its end (`flows/storage/lake_claims.py`).

The locks live in PostgreSQL sessions of their own (psycopg), on the catalog's database: a
load's in a transaction that ends after its commit, a backfill's claims in a session that
lasts the run; one that dies releases them. A backfill's batch (1.5 MB of text) holds about a
lock per article, some 600 to 1,000; PostgreSQL's lock table has room for
`max_locks_per_transaction` × `max_connections` (6,400 by default), and `.ci/postgres.sh`
sets 256 × 100 for several writers at once. A DuckDB file or file catalog needs none: only one process can
open it for writing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from flows.settings import NEAR_DUPLICATE_DAYS, sql

if TYPE_CHECKING:
    from flows.transform import IssueBundle

log = logging.getLogger(__name__)


class LakeBusy(RuntimeError):
    """Another writer held what a load needs for longer than the wait allows."""


@dataclass(frozen=True)
class LoadKeys:
    """The advisory locks one load holds, in the order taken: (key, shared) sorted by key."""

    locks: tuple[tuple[int, bool], ...]

    @property
    def keys(self) -> set[int]:
        return {key for key, _ in self.locks}


def lock_key(namespace: str, kind: str, value: str) -> int:
    """Return a signed 64-bit advisory-lock key for one thing of a lake (namespace: its schema)."""
    digest = hashlib.sha256(f"newsprint {namespace} {kind} {value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def whole_lake(namespace: str) -> LoadKeys:
    """Return the lock of work that must be alone in the lake."""
    return LoadKeys(((lock_key(namespace, "lake", ""), False),))


def window(day: date) -> list[date]:
    """Return the days whose issues a load of `day` compares with for near-duplicates."""
    return [day + timedelta(days=offset) for offset in range(-NEAR_DUPLICATE_DAYS, NEAR_DUPLICATE_DAYS + 1)]


def load_keys(namespace: str, bundles: Sequence[IssueBundle]) -> LoadKeys:
    """Return the locks a load of these issues holds (see the module); an undated one takes the lake."""
    days = [bundle.issue.issue_date for bundle in bundles]
    if any(day is None for day in days):
        return whole_lake(namespace)
    alone = {("issue", bundle.issue.sha256) for bundle in bundles}
    alone |= {("body", digest) for bundle in bundles for digest in bundle.incoming_body_hashes()}
    alone |= {("day", day.isoformat()) for day in days if day}
    shared = {("day", near.isoformat()) for day in days if day for near in window(day)}
    shared.add(("lake", ""))
    exclusive = {lock_key(namespace, kind, value) for kind, value in alone}
    locks = {lock_key(namespace, kind, value): True for kind, value in shared - alone}
    locks |= dict.fromkeys(exclusive, False)  # a key wanted both ways is taken alone
    return LoadKeys(tuple(sorted(locks.items())))


def conninfo_of(catalog: str) -> str:
    """Return the libpq conninfo of a `postgres:<conninfo>` catalog."""
    return catalog.removeprefix("postgres:")


class LakeLocks:
    """Take a load's locks in a PostgreSQL transaction of their own; its end releases them."""

    def __init__(self, conninfo: str, namespace: str) -> None:
        self.conninfo = conninfo
        self.namespace = namespace

    @contextmanager
    def hold(self, keys: LoadKeys, timeout_s: float) -> Iterator[None]:
        """Hold the locks while the block runs, waiting at most `timeout_s` for them."""
        import psycopg  # only a PostgreSQL catalog's writers need it: 90 ms to import

        started = time.monotonic()
        with psycopg.connect(self.conninfo) as session:  # a transaction until the rollback
            try:
                session.execute(sql("postgres/lock_timeout"), {"ms": f"{int(timeout_s * 1000)}ms"})
                keys_in_order = {"keys": [key for key, _ in keys.locks], "shared": [s for _, s in keys.locks]}
                session.execute(sql("postgres/lock_keys"), keys_in_order)
            except psycopg.errors.LockNotAvailable as error:
                raise LakeBusy(
                    f"another writer of the lake held what this load needs for {timeout_s:.0f} s; "
                    "try again later"
                ) from error
            waited = time.monotonic() - started
            if waited > 1:
                log.info("waited %.1f s for another writer of the lake", waited)
            try:
                yield
            finally:
                session.rollback()  # ends the transaction, which releases every lock


class Claims:
    """Claim files for transforming with session locks that are only tried, never waited for."""

    def __init__(self, conninfo: str, namespace: str) -> None:
        import psycopg  # only a PostgreSQL catalog's writers need it: 90 ms to import

        self.namespace = namespace
        self._session = psycopg.connect(conninfo, autocommit=True)
        self._held: dict[str, int] = {}

    def take(self, digests: Iterable[str]) -> set[str]:
        """Claim the files (raw-byte hashes) no other writer holds; return those now held."""
        wanted = {d: lock_key(self.namespace, "claim", d) for d in digests if d not in self._held}
        if wanted:
            params = {"keys": list(wanted.values())}
            rows = self._session.execute(sql("postgres/try_claims"), params).fetchall()
            won = {key for key, taken in rows if taken}
            self._held |= {d: key for d, key in wanted.items() if key in won}
        return {d for d in digests if d in self._held}

    def release(self, digests: Iterable[str]) -> None:
        """Let the other writers have these files again (they are loaded, or failed)."""
        keys = [self._held.pop(d) for d in digests if d in self._held]
        if keys:
            self._session.execute(sql("postgres/release_claims"), {"keys": keys})

    def close(self) -> None:
        """Release every claim, then end the session."""
        import psycopg

        self._held.clear()
        with suppress(psycopg.Error):  # a lost session has released them already
            self._session.execute(sql("postgres/release_all_claims"))
        self._session.close()
