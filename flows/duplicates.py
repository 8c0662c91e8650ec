"""What the issues before an issue hold: the one duplicate check against what is loaded.

An issue's duplicates are judged against the accepted articles of the issues before it in
issue-date order (flows/order.py): bodies by hash, MinHash signatures within its
near-duplicate window. The load (flows/bulk_load.py) and the replay of stored issues
(flows/revalidate.py) read what is stored once, with two statements (load/known_bodies,
load/known_minhashes_between), into a `Seen`, then judge their issues in order, adding each
judged issue's accepted articles to it; validate.mark_duplicates makes the links.

Why in numpy and not in SQL: the issues of a batch are judged against one another before any
of them is inserted, which a query cannot see, and one read per batch then in-memory masks
cost the writer less than a query per issue (a DuckDB statement costs milliseconds whatever
its size).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from flows.order import IssueKey, after, before, issue_key
from flows.settings import sql
from flows.storage.relations import registered_hashes
from flows.text.similarity import (
    NEAR_DUPLICATE_DAYS,
    NEAR_DUPLICATE_JACCARD,
    NUM_PERM,
    SIGNATURE_KIND,
    SIGNATURE_SCHEMA,
    band_keys,
    minhash_matrix,
)
from flows.validate import Validated

_WINDOW = timedelta(days=NEAR_DUPLICATE_DAYS)
_BLOCK = 2048  # known signatures compared at once
_SHA = "<U64"  # an issue's content hash: 64 hexadecimal digits
STORED_BODIES = pl.Schema(  # load/known_bodies rows
    {
        "body_hash": pl.String(),
        "article_id": pl.String(),
        "issue_date": pl.Date(),
        "issue_sha256": pl.String(),
        "accepted": pl.Boolean(),
    }
)
STORED_SIGNATURES = pl.Schema(  # load/known_minhashes_between rows
    {
        "article_id": SIGNATURE_SCHEMA["article_id"],
        "minhash": SIGNATURE_SCHEMA["minhash"],
        "issue_date": pl.Date(),
        "issue_sha256": pl.String(),
        "accepted": pl.Boolean(),
    }
)


class Signatures:
    """Signature rows with their issue's date and content hash, to pick the issues before or after one.

    Rows are appended an issue at a time (a replay of a ten-year warehouse appends thousands of
    issues): the arrays grow by doubling, and `ids`, `matrix`, `dates`, `shas` are views of their
    filled part.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        self._ids = np.array(frame["article_id"].to_list(), dtype=object)
        self._matrix = minhash_matrix(frame)
        self._dates = frame["issue_date"].to_numpy().astype("datetime64[D]")
        self._shas = np.array(frame["issue_sha256"].to_list(), dtype=_SHA)
        self._size = frame.height
        self._bands: set[int] | None = None  # every band of theirs, as a key, once asked for

    @property
    def bands(self) -> set[int]:
        """Key every band of the rows (band_keys), once a comparison needs them."""
        if self._bands is None:
            self._bands = set(band_keys(self.matrix).ravel().tolist())
        return self._bands

    @property
    def ids(self) -> np.ndarray:
        return self._ids[: self._size]

    @property
    def matrix(self) -> np.ndarray:
        return self._matrix[: self._size]

    @property
    def dates(self) -> np.ndarray:
        return self._dates[: self._size]

    @property
    def shas(self) -> np.ndarray:
        return self._shas[: self._size]

    def append(self, ids: list[str], rows: np.ndarray, key: IssueKey) -> None:
        """Add an issue's signatures (`rows`, one per id)."""
        end = self._size + len(ids)
        if end > len(self._ids):
            self._grow(max(end, 2 * len(self._ids), 1024))
        self._ids[self._size : end] = ids
        self._matrix[self._size : end] = rows
        self._dates[self._size : end] = np.datetime64("NaT") if key[0] else np.datetime64(key[1], "D")
        self._shas[self._size : end] = key[2]
        self._size = end
        if self._bands is not None:
            self._bands.update(band_keys(rows).ravel().tolist())

    def _grow(self, capacity: int) -> None:
        """Make room for `capacity` rows, keeping the filled ones."""
        grown = (
            np.empty(capacity, dtype=object),
            np.empty((capacity, NUM_PERM), dtype=np.uint32),
            np.full(capacity, np.datetime64("NaT"), dtype="datetime64[D]"),
            np.empty(capacity, dtype=_SHA),
        )
        for new, old in zip(grown, (self._ids, self._matrix, self._dates, self._shas), strict=True):
            new[: self._size] = old[: self._size]
        self._ids, self._matrix, self._dates, self._shas = grown

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the masked rows."""
        self._ids, self._matrix, self._dates, self._shas = (
            self.ids[mask],
            self.matrix[mask],
            self.dates[mask],
            self.shas[mask],
        )
        self._size = len(self._ids)
        self._bands = None

    def window(self, key: IssueKey, side: str) -> np.ndarray:
        """Mark the rows of the issues before (or after) `key` within its near-duplicate window."""
        mask = before(self.dates, self.shas, key) if side == "before" else after(self.dates, self.shas, key)
        if not key[0]:
            day = np.datetime64(key[1], "D")
            near = (self.dates >= day - NEAR_DUPLICATE_DAYS) & (self.dates <= day + NEAR_DUPLICATE_DAYS)
            mask &= near
        return mask

    def similar(self, rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mark, among the masked rows, those a near-duplicate of any of `rows`.

        Only the `rows` that share a whole band with a known signature are compared in full
        (a near-duplicate always does: see similarity.band_keys), not every pair.
        """
        hits = np.zeros(len(self.ids), dtype=bool)
        candidates = np.flatnonzero(mask)
        if not len(rows) or not len(candidates):  # nothing to compare (a backfill in order: nothing after)
            return hits
        keys, bands = band_keys(rows), self.bands
        shares = np.array([key in bands for key in keys.ravel().tolist()], dtype=bool)
        rows = rows[shares.reshape(keys.shape).any(axis=1)]
        if not len(rows):
            return hits
        for start in range(0, len(candidates), _BLOCK):  # a block bounds memory on a long window
            block = candidates[start : start + _BLOCK]
            equal = np.count_nonzero(rows[:, None, :] == self.matrix[block][None, :, :], axis=2)
            hits[block] = (equal / NUM_PERM >= NEAR_DUPLICATE_JACCARD).any(axis=0)  # the share, as near_links
        return hits


@dataclass
class Seen:
    """What the issues before each one hold: the warehouse's, then the batch's so far.

    Only the accepted articles of issues before an issue in issue-date order count for it.
    """

    bodies: dict[str, tuple[IssueKey, str]]  # body hash → (issue, id) of its earliest accepted article
    signatures: Signatures  # accepted articles' signatures, with their issues' dates and hashes

    @classmethod
    def of(
        cls, stored_bodies: pl.DataFrame, stored_signatures: pl.DataFrame, until: IssueKey | None = None
    ) -> Seen:
        """What the stored issues hold (known_bodies and signatures_between rows): their accepted
        articles, those of the issues before `until` only when given (a replay judges the rest again)."""
        bodies = stored_bodies.filter(pl.col("accepted"))
        signatures = Signatures(stored_signatures.filter(pl.col("accepted")))
        if until is not None:
            keep = [where < until for where in stored_keys(bodies)]
            bodies = bodies.filter(pl.Series(keep, dtype=pl.Boolean))
            signatures.keep(before(signatures.dates, signatures.shas, until))
        return cls(earliest_bodies(bodies), signatures)

    def bodies_before(self, hashes: Sequence[str], key: IssueKey) -> dict[str, str]:
        """Return the earliest accepted article of each known body hash, if its issue precedes `key`."""
        found = {h: self.bodies[h] for h in hashes if h in self.bodies}
        return {h: article for h, (where, article) in found.items() if where < key}

    def signatures_near(self, key: IssueKey) -> pl.DataFrame:
        """Return (article_id, minhash) of the issues before `key` in its window, in issue-date order."""
        rows = self.signatures
        mask = rows.window(key, "before")
        frame = pl.DataFrame(
            {
                "article_id": pl.Series(rows.ids[mask].tolist(), dtype=pl.String),
                "issue_date": pl.Series(rows.dates[mask], dtype=pl.Date),
                "issue_sha256": pl.Series(rows.shas[mask].tolist(), dtype=pl.String),
                "minhash": pl.Series(rows.matrix[mask]).cast(SIGNATURE_SCHEMA["minhash"]),
            }
        )
        ordered = frame.sort("issue_date", "issue_sha256", "article_id", nulls_last=True)
        return ordered.select("article_id", "minhash")

    def resembles(self, incoming: pl.DataFrame, key: IssueKey) -> bool:
        """Tell whether an incoming signature is a near-duplicate of one before the issue, in its window.

        Only then can the known signatures change the issue's verdicts (a near-duplicate
        inside the issue is found by its worker already), so only then is it re-validated.
        """
        return bool(
            self.signatures.similar(minhash_matrix(incoming), self.signatures.window(key, "before")).any()
        )

    def add(self, accepted: pl.DataFrame, signatures: pl.DataFrame, key: IssueKey) -> None:
        """Count an issue's accepted articles (with their signatures) as loaded, for the issues after it."""
        ids = accepted["article_id"].to_list()
        for article, digest in zip(ids, accepted["body_hash"].to_list(), strict=True):
            if digest not in self.bodies or (key, article) < self.bodies[digest]:
                self.bodies[digest] = (key, article)
        wanted = set(ids)
        ids_of = signatures["article_id"].to_list()
        keep = [row for row, article in enumerate(ids_of) if article in wanted]
        if keep:
            self.signatures.append([ids_of[row] for row in keep], minhash_matrix(signatures)[keep], key)


def stored_keys(frame: pl.DataFrame) -> list[IssueKey]:
    """Return where each stored row's issue stands in issue-date order."""
    return [issue_key(d, s) for d, s in zip(frame["issue_date"], frame["issue_sha256"], strict=True)]


def earliest_bodies(known: pl.DataFrame) -> dict[str, tuple[IssueKey, str]]:
    """Return body hash → (issue, id) of the earliest article, from load/known_bodies rows (accepted ones)."""
    earliest: dict[str, tuple[IssueKey, str]] = {}
    for digest, where, article in zip(
        known["body_hash"], stored_keys(known), known["article_id"], strict=True
    ):
        if digest not in earliest or (where, article) < earliest[digest]:
            earliest[digest] = (where, article)
    return earliest


def known_bodies(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> pl.DataFrame:
    """Return the stored articles (accepted or rejected) with any of these body hashes, and their issues."""
    if not hashes:
        return pl.DataFrame(schema=STORED_BODIES)
    with registered_hashes(con, hashes):
        frame = con.execute(sql("load/known_bodies")).pl()
    return frame.cast(STORED_BODIES) if frame.height else pl.DataFrame(schema=STORED_BODIES)


def signatures_between(con: duckdb.DuckDBPyConnection, dates: Sequence[date | None]) -> pl.DataFrame:
    """Return the stored signatures (accepted or rejected) that any of these issues' windows reach."""
    known = [d for d in dates if d is not None]
    first: date | None = None
    last: date | None = None
    if known and len(known) == len(dates):
        first, last = min(known) - _WINDOW, max(known) + _WINDOW
    params = {"kind": SIGNATURE_KIND, "first": first, "last": last}
    frame = con.execute(sql("load/known_minhashes_between"), params).pl()
    return frame.cast(STORED_SIGNATURES) if frame.height else pl.DataFrame(schema=STORED_SIGNATURES)


def later_issues(
    stored_bodies: pl.DataFrame, stored_signatures: pl.DataFrame, judged: Sequence[tuple[IssueKey, Validated]]
) -> list[IssueKey]:
    """Return the stored issues after a new one that it may change: they hold a copy of one of its
    accepted articles (the same body, or a near-duplicate within its window), so it is their
    earlier copy now. Only an issue that arrives after issues it precedes has any."""
    occurrences: dict[str, list[IssueKey]] = defaultdict(list)
    for digest, where in zip(stored_bodies["body_hash"], stored_keys(stored_bodies), strict=True):
        occurrences[digest].append(where)
    stored = Signatures(stored_signatures)
    later: list[IssueKey] = []
    for key, validated in judged:
        accepted = validated.accepted.filter(pl.col("body") != "")
        later += [w for digest in accepted["body_hash"] for w in occurrences.get(digest, []) if w > key]
        signatures = validated.signatures
        rows = minhash_matrix(signatures.filter(pl.col("article_id").is_in(accepted["article_id"].to_list())))
        hits = stored.similar(rows, stored.window(key, "after"))
        later += [
            issue_key(_date(d), str(s)) for d, s in zip(stored.dates[hits], stored.shas[hits], strict=True)
        ]
    return later


def _date(day: np.datetime64) -> date | None:
    return None if np.isnat(day) else day.astype("datetime64[D]").item()
