"""What two writers of one PostgreSQL-catalog lake may not do at once, as PostgreSQL advisory locks.

DuckLake lets two transactions that only append both commit, so without locks two writers
could each load the same issue, or each accept the same article body. A load therefore
holds, from before its transaction begins until after it commits, a lock on each thing its
checks read that a concurrent load could be writing:

- the issue's identity (its content hash): an issue is loaded exactly once;
- each incoming article's body hash: an exact duplicate is rejected whichever writer wins;
- the 30-day spans of the near-duplicate window around its date: two issues whose windows
  reach each other's dates share a span, so near-duplicates across them are seen too.

Loads of different issues, with different bodies and dates apart, so run at once on any
number of machines. An undated issue (its near-duplicate window is the whole lake), the
schema, a revalidation and the lake's upkeep take the whole lake: every other load waits.
Locks are taken in one sorted order, so two writers never deadlock.

A backfill also *claims* the files it is about to transform, with session locks it only
tries: a second backfill of the same archive passes over the files the first holds, and
comes back to them at its end (`flows/pipeline.py`).

The locks live in a PostgreSQL session of their own (psycopg), on the catalog's database;
one that dies releases them. A DuckDB file or file catalog needs none: only one process can
open it for writing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import psycopg

from flows.settings import sql
from flows.similarity import NEAR_DUPLICATE_DAYS

if TYPE_CHECKING:
    from flows.transform import IssueBundle

log = logging.getLogger(__name__)

SPAN_DAYS = NEAR_DUPLICATE_DAYS  # one lock per span of this many days (see `date_spans`)


class LakeBusy(RuntimeError):
    """Another writer held what a load needs for longer than the wait allows."""


@dataclass(frozen=True)
class LoadKeys:
    """The advisory locks one load holds: its own keys, and the whole lake shared or alone."""

    keys: tuple[int, ...] = ()  # sorted, taken exclusively
    whole_lake: bool = False  # True: alone in the lake; False: alongside other loads


WHOLE_LAKE = LoadKeys(whole_lake=True)


def lock_key(namespace: str, kind: str, value: str) -> int:
    """Return a signed 64-bit advisory-lock key for one thing of a lake (namespace: its schema)."""
    digest = hashlib.sha256(f"newsprint {namespace} {kind} {value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def date_spans(day: date) -> range:
    """Return the spans of SPAN_DAYS days that the near-duplicate window around `day` touches.

    An issue of day b within NEAR_DUPLICATE_DAYS of day a lies in a's window, so a's spans
    include b's own span, which b's spans include too: the two loads share a lock.
    """
    first, last = day.toordinal() - NEAR_DUPLICATE_DAYS, day.toordinal() + NEAR_DUPLICATE_DAYS
    return range(first // SPAN_DAYS, last // SPAN_DAYS + 1)


def load_keys(namespace: str, bundles: Sequence[IssueBundle]) -> LoadKeys:
    """Return the locks a load of these issues holds (see the module); an undated one takes the lake."""
    if any(bundle.issue.issue_date is None for bundle in bundles):
        return WHOLE_LAKE
    things = {("issue", bundle.issue.sha256) for bundle in bundles}
    things |= {("body", digest) for bundle in bundles for digest in bundle.incoming_body_hashes()}
    things |= {
        ("span", str(span))
        for bundle in bundles
        for span in date_spans(bundle.issue.issue_date)  # type: ignore[arg-type]
    }
    return LoadKeys(tuple(sorted({lock_key(namespace, kind, value) for kind, value in things})))


def lake_key(namespace: str) -> int:
    """Return the key every load holds shared, and the whole-lake work holds alone."""
    return lock_key(namespace, "lake", "")


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
        started = time.monotonic()
        with psycopg.connect(self.conninfo) as session:  # a transaction until the rollback
            try:
                session.execute(sql("postgres/lock_timeout"), {"ms": f"{int(timeout_s * 1000)}ms"})
                lake = {"key": lake_key(self.namespace)}
                session.execute(sql("postgres/lock_lake" if keys.whole_lake else "postgres/share_lake"), lake)
                if keys.keys:
                    session.execute(sql("postgres/lock_keys"), {"keys": list(keys.keys)})
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
        """Release every claim by ending the session."""
        self._held.clear()
        self._session.close()
