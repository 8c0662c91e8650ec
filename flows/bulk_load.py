"""Load a backfill's batch of issues in one DuckDB transaction, with one insert per table.

Why: a DuckDB statement costs milliseconds whatever its size, and loading an issue in its own
transaction takes a dozen (checks, nine inserts, commit), which made the backfill's single
writer slower than its workers (README, Performance). A batch takes the same dozen in all.

What stays true: every issue is all or nothing (the batch commits whole or not at all, so no
issue is ever partly loaded); re-running changes nothing (an issue already loaded is skipped,
checked inside the transaction); and each issue's duplicates are checked against the
warehouse and the issues before it in the batch, with the same rules and order as
`load.load_issue` applies when the issues are loaded one by one (tests/test_bulk_load.py).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl

from flows.checkpoint import unbounded
from flows.ingest import describe_files
from flows.load import _insert, article_rows, known_bodies, registered_hashes, sql
from flows.similarity import (
    NEAR_DUPLICATE_DAYS,
    NEAR_DUPLICATE_JACCARD,
    NUM_PERM,
    SIGNATURE_KIND,
    SIGNATURE_SCHEMA,
    minhash_matrix,
)
from flows.transform import IssueBundle, findings_frame, issue_frame
from flows.validate import gate_issues
from flows.warehouse import transaction, writer_lock

log = logging.getLogger(__name__)

TABLES = (
    "issues",
    "articles",
    "rejected_articles",
    "article_reporters",
    "article_minhashes",
    "article_keywords",
    "article_entities",
    "quality_findings",
)
_WINDOW = timedelta(days=NEAR_DUPLICATE_DAYS)
_BLOCK = 2048  # known signatures compared at once
# Two signatures this similar differ in at most this many of their values; cut into one band
# more than that, they have a whole band in common (pigeonhole), so a shared band is a
# necessary condition, checked for every pair at once, before any pair is compared in full.
_MOST_UNEQUAL = NUM_PERM - math.ceil(NEAR_DUPLICATE_JACCARD * NUM_PERM)
_BAND_WIDTH = NUM_PERM // (_MOST_UNEQUAL + 1)
# DuckDB's buffers in the backfill's writer (load/batch_writer_settings). A committed batch holds
# a 256 kB block for every column of every table it appended to until the next checkpoint
# (54-60 MB after any real-size batch, of 1 or 4 MB of text), and its rows beside them.
WRITER_MEMORY_LIMIT = "160MB"
_MEMORY_USED = re.compile(r"\([\d.]+ \w+/[\d.]+ \w+ used\)")  # DuckDB's out-of-memory messages
_DATED_SCHEMA = {
    "article_id": SIGNATURE_SCHEMA["article_id"],
    "minhash": SIGNATURE_SCHEMA["minhash"],
    "issue_date": pl.Date,
    "loaded_at": pl.Datetime("us"),
}


@dataclass
class Loaded:
    """One issue of a batch: as committed (re-validated against the warehouse), or skipped."""

    bundle: IssueBundle
    loaded: bool
    loaded_at: datetime | None = None


@dataclass
class Seen:
    """What the issues before this one hold: the warehouse's, then the batch's so far."""

    bodies: dict[str, str]  # body hash → earliest accepted article id
    signatures: pl.DataFrame  # article_id, minhash, issue_date, loaded_at of accepted articles
    # (article ids, minhash rows, issue date, loaded at) of the batch's issues loaded so far
    added: list[tuple[list[str], np.ndarray, date | None, datetime]] = field(default_factory=list)
    matrix: np.ndarray = field(init=False)  # the signatures as rows, for a quick comparison
    dates: np.ndarray = field(init=False)  # their issue dates (NaT when unknown)
    bands: set[int] = field(init=False)  # every band of theirs, as a key (band_keys), whatever its date

    def __post_init__(self) -> None:
        self.matrix, self.dates = _rows(self.signatures)
        self.bands = set(band_keys(self.matrix).ravel().tolist())

    def bodies_of(self, hashes: Sequence[str]) -> dict[str, str]:
        """Return the known bodies among `hashes`, as load/known_bodies answers."""
        return {h: self.bodies[h] for h in hashes if h in self.bodies}

    def signatures_near(self, issue_date: date | None) -> pl.DataFrame:
        """Return (article_id, minhash) dated near the issue, oldest first, as load/known_minhashes."""
        added = [
            pl.DataFrame(
                {
                    "article_id": ids,
                    "minhash": pl.Series(rows).cast(_DATED_SCHEMA["minhash"]),
                    "issue_date": [day] * len(ids),
                    "loaded_at": [loaded_at] * len(ids),
                },
                schema=_DATED_SCHEMA,
            )
            for ids, rows, day, loaded_at in self.added
        ]
        frame = pl.concat([self.signatures, *added])
        if issue_date is not None:
            frame = frame.filter(pl.col("issue_date").is_between(issue_date - _WINDOW, issue_date + _WINDOW))
        ordered = frame.sort("issue_date", "loaded_at", "article_id", nulls_last=True)
        return ordered.select("article_id", "minhash")

    def resembles(self, incoming: pl.DataFrame, issue_date: date | None) -> bool:
        """Tell whether an incoming signature is a near-duplicate of one dated near the issue.

        Only then can the known signatures change the issue's verdicts (a near-duplicate
        inside the issue is found by its worker already), so only then is it re-validated.
        """
        rows, _ = _rows(incoming)
        keys = band_keys(rows)
        known = self.bands
        shares_a_band = np.array([key in known for key in keys.ravel().tolist()], dtype=bool)
        rows = rows[shares_a_band.reshape(keys.shape).any(axis=1)]  # only these can be near-duplicates
        candidates = self.matrix
        if issue_date is not None and len(rows):
            day = np.datetime64(issue_date, "D")
            near = (self.dates >= day - NEAR_DUPLICATE_DAYS) & (self.dates <= day + NEAR_DUPLICATE_DAYS)
            candidates = candidates[near]
        for start in range(0, len(candidates) if len(rows) else 0, _BLOCK):  # a block bounds memory
            block = candidates[start : start + _BLOCK]
            similarity = (rows[:, None, :] == block[None, :, :]).mean(axis=2)
            if (similarity >= NEAR_DUPLICATE_JACCARD).any():
                return True
        return False

    def add(self, bundle: IssueBundle, loaded_at: datetime) -> None:
        """Count an issue's accepted articles as loaded, for the issues after it.

        Plain Python and numpy: this runs once per issue in the single writer, where a few
        Polars calls per issue cost more than the comparisons themselves.
        """
        accepted = bundle.validated.accepted
        ids = accepted["article_id"].to_list()
        for article, digest in zip(ids, accepted["body_hash"].to_list(), strict=True):
            self.bodies[digest] = min(self.bodies.get(digest, article), article)
        signatures = bundle.validated.signatures
        wanted = set(ids)
        ids_of = signatures["article_id"].to_list()
        keep = [row for row, article in enumerate(ids_of) if article in wanted]
        if not keep:
            return
        rows = minhash_matrix(signatures)[keep]
        self.added.append(([ids_of[row] for row in keep], rows, bundle.issue.issue_date, loaded_at))
        day = np.datetime64(bundle.issue.issue_date, "D") if bundle.issue.issue_date else np.datetime64("NaT")
        self.matrix = np.vstack([self.matrix, rows])
        self.bands.update(band_keys(rows).ravel().tolist())
        self.dates = np.concatenate([self.dates, np.full(len(keep), day, dtype="datetime64[D]")])


def band_keys(matrix: np.ndarray) -> np.ndarray:
    """Key each signature's bands of _BAND_WIDTH values (the last band takes the rest), one column a band.

    Equal bands (at the same place) give equal keys; unequal ones rarely do, and a false match
    only costs a full comparison.
    """
    count = NUM_PERM // _BAND_WIDTH
    values = matrix.astype(np.uint64)
    keys = np.tile(np.arange(count, dtype=np.uint64), (len(matrix), 1))  # the band's place, mixed in
    with np.errstate(over="ignore"):  # the keys wrap modulo 2^64 on purpose
        for band in range(count):
            end = NUM_PERM if band == count - 1 else (band + 1) * _BAND_WIDTH
            for column in range(band * _BAND_WIDTH, end):
                keys[:, band] = keys[:, band] * np.uint64(0x9E3779B97F4A7C15) + values[:, column]
    return keys


def _rows(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return a signature frame's minhashes as a matrix, and its issue dates if it has them."""
    matrix = minhash_matrix(frame)
    if "issue_date" not in frame.columns:
        return matrix, np.empty(0, dtype="datetime64[D]")
    return matrix, frame["issue_date"].to_numpy().astype("datetime64[D]")


def loaded_issues(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> set[str]:
    """Return which of the issues (content hashes) the warehouse holds."""
    if not hashes:
        return set()
    with registered_hashes(con, hashes):
        return {row[0] for row in con.execute(sql("load/loaded_issues")).fetchall()}


def signatures_between(con: duckdb.DuckDBPyConnection, dates: Sequence[date | None]) -> pl.DataFrame:
    """Return the accepted articles' signatures any of these issues is compared with."""
    first = last = None
    if dates and all(d is not None for d in dates):
        first, last = min(dates) - _WINDOW, max(dates) + _WINDOW  # type: ignore[type-var, operator]
    params = {"kind": SIGNATURE_KIND, "first": first, "last": last}
    frame = con.execute(sql("load/known_minhashes_between"), params).pl()
    return frame.cast(_DATED_SCHEMA) if frame.height else pl.DataFrame(schema=_DATED_SCHEMA)


def load_issues(
    con: duckdb.DuckDBPyConnection,
    bundles: Sequence[IssueBundle],
    run_id: str | None,
    clock: Callable[[], datetime] = datetime.now,
) -> list[Loaded]:
    """Load a batch of issues in one transaction; each issue is loaded whole, or skipped if there."""
    if not bundles:
        return []
    con.execute(sql("load/batch_writer_settings"), {"memory_limit": WRITER_MEMORY_LIMIT})
    try:
        with writer_lock(con, bundles), transaction(con):
            results = _load_in_transaction(con, bundles, run_id, clock)
    except duckdb.Error as error:
        if isinstance(error, duckdb.FatalException) or not out_of_memory(error):
            raise
        # nothing was committed: the same batch again, DuckDB's bound lifted (it still spills)
        log.warning(
            "the batch needed more than DuckDB's bound of %s: loading it unbounded", WRITER_MEMORY_LIMIT
        )
        con.execute(sql("settings/set_memory_limit"), {"limit": unbounded()})
        with writer_lock(con, bundles), transaction(con):
            results = _load_in_transaction(con, bundles, run_id, clock)
    loaded = [r.bundle.validated for r in results if r.loaded]
    log.info(  # one line per batch: a log record per issue costs the flow an API call each
        "loaded %d of %d issues, %s: %d articles accepted, %d rejected",
        len(loaded),
        len(results),
        describe_files([r.bundle.issue.source_file for r in results]),
        sum(v.accepted.height for v in loaded),
        sum(v.rejected.height for v in loaded),
    )
    return results


def out_of_memory(error: duckdb.Error) -> bool:
    """Tell an error of DuckDB's memory bound (a query's, or its commit's) from any other.

    Its buffer manager's errors end "(152.5 MiB/152.5 MiB used)", whatever it was doing (a
    commit's come as TransactionException: "failed to pin block", "could not allocate block").
    """
    return isinstance(error, duckdb.OutOfMemoryException) or _MEMORY_USED.search(str(error)) is not None


def _load_in_transaction(
    con: duckdb.DuckDBPyConnection,
    bundles: Sequence[IssueBundle],
    run_id: str | None,
    clock: Callable[[], datetime],
) -> list[Loaded]:
    """Check each issue against what is before it, then insert the batch table by table."""
    done = loaded_issues(con, [b.issue.sha256 for b in bundles])
    hashes = [h for b in bundles for h in b.incoming_body_hashes()]
    seen = Seen(known_bodies(con, hashes), signatures_between(con, [b.issue.issue_date for b in bundles]))
    results: list[Loaded] = []
    for bundle in bundles:
        if bundle.issue.sha256 in done:  # loaded before, or earlier in this batch
            results.append(Loaded(bundle, loaded=False))
            continue
        done.add(bundle.issue.sha256)
        now = clock()
        known = seen.bodies_of(bundle.incoming_body_hashes())
        if any(h not in bundle.known_bodies for h in known) or seen.resembles(
            bundle.validated.signatures, bundle.issue.issue_date
        ):
            bundle = bundle.revalidate(
                {**bundle.known_bodies, **known}, seen.signatures_near(bundle.issue.issue_date)
            )
        seen.add(bundle, now)
        results.append(Loaded(bundle, loaded=True, loaded_at=now))
    _insert_batch(con, [r for r in results if r.loaded], run_id)
    return results


def _insert_batch(con: duckdb.DuckDBPyConnection, loaded: list[Loaded], run_id: str | None) -> None:
    """Gate the issues' frames, then insert each table's rows of the whole batch at once."""
    parts = [
        (
            issue_frame(r.bundle, r.loaded_at, run_id),  # type: ignore[arg-type]
            r.bundle.reporters,
            findings_frame(r.bundle, r.loaded_at),  # type: ignore[arg-type]
            r.bundle.severities,
        )
        for r in loaded
    ]
    rows: dict[str, list[pl.DataFrame]] = {table: [] for table in TABLES}
    for result, frames in zip(loaded, gate_issues(parts), strict=True):
        bundle, validated = result.bundle, result.bundle.validated
        rows["issues"].append(frames.issue)
        rows["article_reporters"].append(frames.reporters)
        rows["article_minhashes"].append(validated.signatures)
        rows["article_keywords"].append(bundle.keywords)
        rows["article_entities"].append(bundle.entities)
        rows["quality_findings"].append(frames.findings)
    for table, frames_of_table in rows.items():
        nonempty = [frame for frame in frames_of_table if frame.height]
        if nonempty:
            _insert(con, table, pl.concat(nonempty, how="vertical_relaxed"))
    segmented = [r.bundle.segmented for r in loaded]
    for table, kept in (("articles", "accepted"), ("rejected_articles", "rejected")):
        frames = [getattr(r.bundle.validated, kept) for r in loaded]
        _insert(con, table, article_rows(frames, segmented, [r.loaded_at for r in loaded]))  # type: ignore[misc]
