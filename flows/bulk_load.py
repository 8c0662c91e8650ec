"""Load a batch of issues in one DuckDB transaction, with one insert per table.

Why: a DuckDB statement costs milliseconds whatever its size, and loading an issue in its own
transaction takes a dozen (checks, nine inserts, commit), which made the backfill's single
writer slower than its workers (docs/benchmarks.md). A batch takes the same dozen in all.
The daily run loads its issues through here too, one per transaction (a batch of one).

What stays true: every issue is all or nothing (the batch commits whole or not at all, so no
issue is ever partly loaded); re-running changes nothing (an issue already loaded, or
replaced by a later revision, is skipped, checked inside the transaction); and each issue's
duplicates are judged against the issues before it in issue-date order (flows/order.py),
wherever they are, so the findings do not depend on the order issues arrive in, batches
finish in, or kills cut them: an issue that arrives before issues it precedes has those
judged again in the same transaction (revalidate.replay_since). A file for a paper and date
already loaded is a revision: it replaces the earlier issue (flows/revisions.py).
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl

from flows import revalidate, revisions
from flows.checkpoint import checkpoint_if_due, unbounded
from flows.ingest import describe_files
from flows.order import IssueKey, after, before, issue_key
from flows.relations import insert, registered_hashes
from flows.revisions import Loaded
from flows.settings import sql
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
_STORED_SCHEMA = pl.Schema(
    {
        "article_id": SIGNATURE_SCHEMA["article_id"],
        "minhash": SIGNATURE_SCHEMA["minhash"],
        "issue_date": pl.Date(),
        "issue_sha256": pl.String(),
        "accepted": pl.Boolean(),
    }
)


class Signatures:
    """Signature rows with their issue's date and content hash, to pick the issues before or after one."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.ids = np.array(frame["article_id"].to_list(), dtype=object)
        self.matrix = minhash_matrix(frame)
        self.dates = frame["issue_date"].to_numpy().astype("datetime64[D]")
        self.shas = np.array(frame["issue_sha256"].to_list(), dtype=str) if frame.height else np.empty(0, str)
        self.bands = set(band_keys(self.matrix).ravel().tolist())  # every band of theirs, as a key

    def append(self, ids: list[str], rows: np.ndarray, key: IssueKey) -> None:
        day = np.datetime64("NaT") if key[0] else np.datetime64(key[1], "D")
        self.ids = np.concatenate([self.ids, np.array(ids, dtype=object)])
        self.matrix = np.vstack([self.matrix, rows])
        self.dates = np.concatenate([self.dates, np.full(len(ids), day, dtype="datetime64[D]")])
        self.shas = np.concatenate([self.shas, np.full(len(ids), key[2])])
        self.bands.update(band_keys(rows).ravel().tolist())

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
        (a near-duplicate always does: see _BAND_WIDTH), not every pair.
        """
        hits = np.zeros(len(self.ids), dtype=bool)
        if len(rows):
            keys = band_keys(rows)
            shares = np.array([key in self.bands for key in keys.ravel().tolist()], dtype=bool)
            rows = rows[shares.reshape(keys.shape).any(axis=1)]
        candidates = np.flatnonzero(mask)
        if not len(rows) or not len(candidates):
            return hits
        for start in range(0, len(candidates), _BLOCK):  # a block bounds memory on a long window
            block = candidates[start : start + _BLOCK]
            similarity = (rows[:, None, :] == self.matrix[block][None, :, :]).mean(axis=2)
            hits[block] = (similarity >= NEAR_DUPLICATE_JACCARD).any(axis=0)
        return hits


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


@dataclass
class Seen:
    """What the issues before each one hold: the warehouse's, then the batch's so far.

    Only the accepted articles of issues before an issue in issue-date order count for it.
    """

    bodies: dict[str, tuple[IssueKey, str]]  # body hash → (issue, id) of its earliest accepted article
    signatures: Signatures  # accepted articles' signatures, with their issues' dates and hashes

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

    def add(self, bundle: IssueBundle, key: IssueKey) -> None:
        """Count an issue's accepted articles as loaded, for the issues after it."""
        accepted = bundle.validated.accepted
        ids = accepted["article_id"].to_list()
        for article, digest in zip(ids, accepted["body_hash"].to_list(), strict=True):
            if digest not in self.bodies or (key, article) < self.bodies[digest]:
                self.bodies[digest] = (key, article)
        signatures = bundle.validated.signatures
        wanted = set(ids)
        ids_of = signatures["article_id"].to_list()
        keep = [row for row, article in enumerate(ids_of) if article in wanted]
        if keep:
            self.signatures.append([ids_of[row] for row in keep], minhash_matrix(signatures)[keep], key)


def _stored_keys(frame: pl.DataFrame) -> list[IssueKey]:
    return [issue_key(d, s) for d, s in zip(frame["issue_date"], frame["issue_sha256"], strict=True)]


def earliest_bodies(known: pl.DataFrame) -> dict[str, tuple[IssueKey, str]]:
    """Return body hash → (issue, id) of the earliest accepted article, from load/known_bodies rows."""
    earliest: dict[str, tuple[IssueKey, str]] = {}
    accepted = known.filter(pl.col("accepted"))
    for digest, where, article in zip(
        accepted["body_hash"], _stored_keys(accepted), accepted["article_id"], strict=True
    ):
        if digest not in earliest or (where, article) < earliest[digest]:
            earliest[digest] = (where, article)
    return earliest


def loaded_issues(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> set[str]:
    """Return which of the issues (content hashes) the warehouse holds, live or replaced."""
    if not hashes:
        return set()
    with registered_hashes(con, hashes):
        return {row[0] for row in con.execute(sql("load/loaded_issues")).fetchall()}


def known_bodies(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> pl.DataFrame:
    """Return the stored articles (accepted or rejected) with any of these body hashes, and their issues."""
    schema = pl.Schema({"body_hash": pl.String, "article_id": pl.String, "issue_date": pl.Date,
                        "issue_sha256": pl.String, "accepted": pl.Boolean})  # fmt: skip
    if not hashes:
        return pl.DataFrame(schema=schema)
    with registered_hashes(con, hashes):
        frame = con.execute(sql("load/known_bodies")).pl()
    return frame.cast(schema) if frame.height else pl.DataFrame(schema=schema)


def signatures_between(con: duckdb.DuckDBPyConnection, dates: Sequence[date | None]) -> pl.DataFrame:
    """Return the stored signatures (accepted or rejected) that any of these issues' windows reach."""
    known = [d for d in dates if d is not None]
    first: date | None = None
    last: date | None = None
    if known and len(known) == len(dates):
        first, last = min(known) - _WINDOW, max(known) + _WINDOW
    params = {"kind": SIGNATURE_KIND, "first": first, "last": last}
    frame = con.execute(sql("load/known_minhashes_between"), params).pl()
    return frame.cast(_STORED_SCHEMA) if frame.height else pl.DataFrame(schema=_STORED_SCHEMA)


def load_issues(
    con: duckdb.DuckDBPyConnection,
    bundles: Sequence[IssueBundle],
    run_id: str | None,
    clock: Callable[[], datetime] = datetime.now,
    batch_writer: bool = False,
) -> list[Loaded]:
    """Load issues (a batch, or one) in one transaction; each issue is loaded whole, or skipped if there.

    `batch_writer`: bound the connection as a backfill's writer (one thread, WRITER_MEMORY_LIMIT);
    its BatchWriter checkpoints after the batch (flows/load.py); otherwise (the daily run's
    writer) the WAL is checkpointed here when due. A batch that runs out of the bound is
    loaded again unbounded: the bound never costs the data.
    """
    if not bundles:
        return []
    if batch_writer:
        con.execute(sql("load/batch_writer_settings"), {"memory_limit": WRITER_MEMORY_LIMIT})
    try:
        with writer_lock(con, bundles), transaction(con):
            results = _load_in_transaction(con, bundles, run_id, clock)
    except duckdb.Error as error:
        if not batch_writer or isinstance(error, duckdb.FatalException) or not out_of_memory(error):
            raise
        # nothing was committed: the same batch again, DuckDB's bound lifted (it still spills)
        log.warning(
            "the batch needed more than DuckDB's bound of %s: loading it unbounded", WRITER_MEMORY_LIMIT
        )
        con.execute(sql("settings/set_memory_limit"), {"limit": unbounded()})
        with writer_lock(con, bundles), transaction(con):
            results = _load_in_transaction(con, bundles, run_id, clock)
    if not batch_writer:
        checkpoint_if_due(con)
    loaded = [r for r in results if r.loaded]
    counts = [r.counts or _verdict_counts(r.bundle) for r in loaded]
    log.info(  # one line per batch: a log record per issue costs the flow an API call each
        "loaded %d of %d issues, %s: %d articles accepted, %d rejected",
        len(loaded),
        len(results),
        describe_files([r.bundle.issue.source_file for r in results]),
        sum(a for a, _ in counts),
        sum(r for _, r in counts),
    )
    return results


def out_of_memory(error: duckdb.Error) -> bool:
    """Tell an error of DuckDB's memory bound (a query's, or its commit's) from any other.

    Its buffer manager's errors end "(152.5 MiB/152.5 MiB used)", whatever it was doing (a
    commit's come as TransactionException: "failed to pin block", "could not allocate block").
    """
    return isinstance(error, duckdb.OutOfMemoryException) or _MEMORY_USED.search(str(error)) is not None


def _verdict_counts(bundle: IssueBundle) -> tuple[int, int]:
    return bundle.validated.accepted.height, bundle.validated.rejected.height


def _load_in_transaction(
    con: duckdb.DuckDBPyConnection,
    bundles: Sequence[IssueBundle],
    run_id: str | None,
    clock: Callable[[], datetime],
) -> list[Loaded]:
    """Skip what is there, apply revisions, judge the issues in issue-date order, insert, replay after."""
    results = [Loaded(bundle, loaded=False) for bundle in bundles]
    done = loaded_issues(con, [b.issue.sha256 for b in bundles])
    new: list[Loaded] = []
    for result in results:
        sha = result.bundle.issue.sha256
        if sha in done:  # loaded before, replaced by a revision, or earlier in this batch
            result.reason = "already loaded"
            continue
        done.add(sha)
        new.append(result)
    now = clock()
    revised = revisions.apply(con, new, run_id, now)
    hashes = [h for r in revised.live for h in r.bundle.incoming_body_hashes()]
    stored_bodies = known_bodies(con, hashes)
    stored_signatures = signatures_between(con, [r.bundle.issue.issue_date for r in revised.live])
    accepted = stored_signatures.filter(pl.col("accepted"))
    seen = Seen(earliest_bodies(stored_bodies), Signatures(accepted))
    judged: list[tuple[IssueKey, Loaded]] = []
    for result in sorted(revised.live, key=lambda r: _key(r.bundle)):
        key, bundle = _key(result.bundle), result.bundle
        known = seen.bodies_before(bundle.incoming_body_hashes(), key)
        if known or seen.resembles(bundle.validated.signatures, key):
            bundle = bundle.revalidate(known, seen.signatures_near(key))
        seen.add(bundle, key)
        result.bundle, result.loaded = bundle, True
        result.loaded_at = clock()
        judged.append((key, result))
    _insert_batch(con, [(r.bundle, r.loaded_at) for r in results if r.loaded_at is not None], run_id)
    later = [*revised.referencing, *_later_issues(stored_bodies, stored_signatures, judged)]
    if later:
        _replay_after(con, min(later), judged)
    return results


def _key(bundle: IssueBundle) -> IssueKey:
    return issue_key(bundle.issue.issue_date, bundle.issue.sha256)


def _later_issues(
    stored_bodies: pl.DataFrame, stored_signatures: pl.DataFrame, judged: list[tuple[IssueKey, Loaded]]
) -> list[IssueKey]:
    """Return the stored issues after a new one that it may change: they hold a copy of one of its
    accepted articles (the same body, or a near-duplicate within its window), so it is their
    earlier copy now. Only an issue that arrives after issues it precedes has any."""
    occurrences: dict[str, list[IssueKey]] = defaultdict(list)
    for digest, where in zip(stored_bodies["body_hash"], _stored_keys(stored_bodies), strict=True):
        occurrences[digest].append(where)
    stored = Signatures(stored_signatures)
    later: list[IssueKey] = []
    for key, result in judged:
        accepted = result.bundle.validated.accepted.filter(pl.col("body") != "")
        later += [w for digest in accepted["body_hash"] for w in occurrences.get(digest, []) if w > key]
        signatures = result.bundle.validated.signatures
        rows = minhash_matrix(signatures.filter(pl.col("article_id").is_in(accepted["article_id"].to_list())))
        hits = stored.similar(rows, stored.window(key, "after"))
        later += [
            issue_key(_date(d), str(s)) for d, s in zip(stored.dates[hits], stored.shas[hits], strict=True)
        ]
    return later


def _date(day: np.datetime64) -> date | None:
    return None if np.isnat(day) else day.astype("datetime64[D]").item()


def _replay_after(
    con: duckdb.DuckDBPyConnection, since: IssueKey, judged: list[tuple[IssueKey, Loaded]]
) -> None:
    """Judge again the stored issues from `since` on, and count what the batch's issues hold after it."""
    severities = judged[0][1].bundle.severities if judged else None
    outcome = revalidate.replay_since(con, since, severities, datetime.now())
    log.info(
        "an issue arrived before issues it precedes: %d later article(s) judged again, %d moved",
        outcome.articles, len(outcome.to_rejected) + len(outcome.to_accepted),
    )  # fmt: skip
    for key, result in judged:
        if key >= since:
            row = con.execute(sql("quality/issue_counts"), {"sha256": result.bundle.issue.sha256}).fetchone()
            result.counts = (int(row[0]), int(row[1])) if row else None


def _insert_batch(
    con: duckdb.DuckDBPyConnection, loaded: list[tuple[IssueBundle, datetime]], run_id: str | None
) -> None:
    """Gate the issues' (bundle, load time) frames, then insert each table's rows of the batch at once."""
    parts = [
        (
            issue_frame(bundle, loaded_at, run_id),
            bundle.reporters,
            findings_frame(bundle, loaded_at),
            bundle.severities,
        )
        for bundle, loaded_at in loaded
    ]
    rows: dict[str, list[pl.DataFrame]] = {table: [] for table in TABLES}
    for (bundle, _), frames in zip(loaded, gate_issues(parts), strict=True):
        validated = bundle.validated
        rows["issues"].append(frames.issue)
        rows["article_reporters"].append(frames.reporters)
        rows["article_minhashes"].append(validated.signatures)
        rows["article_keywords"].append(bundle.keywords)
        rows["article_entities"].append(bundle.entities)
        rows["quality_findings"].append(frames.findings)
    for table, frames_of_table in rows.items():
        nonempty = [frame for frame in frames_of_table if frame.height]
        if nonempty:
            insert(con, table, pl.concat(nonempty, how="vertical_relaxed"))
    segmented = [bundle.segmented for bundle, _ in loaded]
    times = [loaded_at for _, loaded_at in loaded]
    accepted = [bundle.validated.accepted for bundle, _ in loaded]
    rejected = [bundle.validated.rejected for bundle, _ in loaded]
    insert(con, "articles", article_rows(accepted, segmented, times))
    insert(con, "rejected_articles", article_rows(rejected, segmented, times))


def article_rows(
    frames: list[pl.DataFrame], segmented: list[pl.DataFrame], loaded_at: list[datetime]
) -> pl.DataFrame:
    """Issues' article rows (accepted or rejected) with their tokens and each issue's load time.

    One join for a backfill's whole batch, not one per issue: a Polars call costs about as
    much as the join itself.
    """
    nonempty = [i for i, frame in enumerate(frames) if frame.height]
    if not nonempty:
        return pl.DataFrame()
    stamps = pl.Series("loaded_at", [loaded_at[i] for i in nonempty for _ in range(frames[i].height)])
    articles = pl.concat([frames[i] for i in nonempty], how="vertical_relaxed")
    tokens = pl.concat([segmented[i] for i in nonempty], how="vertical_relaxed")
    return articles.join(tokens, on="article_id", how="left", maintain_order="left").with_columns(stamps)
