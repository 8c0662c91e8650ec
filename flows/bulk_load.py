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
import re
from collections.abc import Callable, Sequence
from datetime import datetime

import duckdb
import polars as pl

from flows import revalidate, revisions
from flows.duplicates import Seen, known_bodies, later_issues, signatures_between
from flows.ingest import describe_files
from flows.order import IssueKey, issue_key
from flows.revisions import Loaded
from flows.settings import sql
from flows.storage.checkpoint import bound_memory, checkpoint_if_due, memory_bytes, unbounded
from flows.storage.database import transaction, writer_lock
from flows.storage.relations import insert, registered_hashes
from flows.storage.warehouse import Warehouse
from flows.transform import IssueBundle, findings_frame, issue_frame
from flows.validate import gate_issues

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
# DuckDB's buffers in the backfill's writer, bounded before each batch (checkpoint.bound_memory): a
# checkpoint of a ten-year warehouse took the writer from 400 to 900 MB unbounded, 470 MB at 64 MB,
# in the same time (python -m bench.writer_memory); beyond the bound DuckDB evicts blocks it can read
# again and spills the rest to the warehouse's .tmp. A committed batch holds a 256 kB block for every
# column of every table it appended to until the next checkpoint (54-60 MB after any real-size
# batch, of 1 or 4 MB of text), and its rows beside them.
WRITER_MEMORY_LIMIT = "160MB"
_MEMORY_USED = re.compile(r"\([\d.]+ \w+/[\d.]+ \w+ used\)")  # DuckDB's out-of-memory messages


def loaded_issues(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> set[str]:
    """Return which of the issues (content hashes) the warehouse holds, live or replaced."""
    if not hashes:
        return set()
    with registered_hashes(con, hashes):
        return {row[0] for row in con.execute(sql("load/loaded_issues")).fetchall()}


def load_issues(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    bundles: Sequence[IssueBundle],
    run_id: str | None,
    clock: Callable[[], datetime] = datetime.now,
    batch_writer: bool = False,
) -> list[Loaded]:
    """Load issues (a batch, or one) in one transaction; each issue is loaded whole, or skipped if there.

    `warehouse`: what `con` is connected to (a shared lake's writers hold locks, flows/storage/lake_locks.py).
    `batch_writer`: bound the connection as a backfill's writer (one thread, WRITER_MEMORY_LIMIT);
    its BatchWriter checkpoints after the batch (flows/load.py); otherwise (the daily run's
    writer) the WAL is checkpointed here when due. A batch that runs out of the bound is
    loaded again unbounded: the bound never costs the data.
    """
    if not bundles:
        return []
    if batch_writer:
        con.execute(sql("load/batch_writer_settings"))
        bound_memory(con, WRITER_MEMORY_LIMIT)
    try:
        with writer_lock(warehouse, bundles), transaction(con):
            results = _load_in_transaction(con, bundles, run_id, clock)
    except duckdb.Error as error:
        if not batch_writer or not _memory_bound_hit(error):
            raise
        results = _load_with_more_memory(con, warehouse, bundles, run_id, clock)
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


def _memory_bound_hit(error: duckdb.Error) -> bool:
    """Tell a batch that ran out of DuckDB's bound (and committed nothing) from any other failure."""
    return not isinstance(error, duckdb.FatalException) and out_of_memory(error)


def _load_with_more_memory(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    bundles: Sequence[IssueBundle],
    run_id: str | None,
    clock: Callable[[], datetime],
) -> list[Loaded]:
    """Load a batch that committed nothing under the bound again: at twice the bound, then unbounded.

    Why twice first: unbounded, DuckDB keeps what it caches up to 80% of the machine, and the
    writer's memory stayed gigabytes high after such a batch (a ten-year backfill peaked at
    2.2 GB after batches of its third year were loaded unbounded). Either way it still spills.
    """
    doubled = f"{2 * memory_bytes(WRITER_MEMORY_LIMIT)}B"
    for limit, said in ((doubled, f"twice the bound, {doubled}"), (unbounded(), "unbounded")):
        log.warning(
            "the batch needed more than DuckDB's bound of %s: loading it %s", WRITER_MEMORY_LIMIT, said
        )
        con.execute(sql("settings/set_memory_limit"), {"limit": limit})
        try:
            with writer_lock(warehouse, bundles), transaction(con):
                return _load_in_transaction(con, bundles, run_id, clock)
        except duckdb.Error as error:
            if limit != doubled or not _memory_bound_hit(error):
                raise
    raise AssertionError("unreachable: the unbounded load returns or raises")


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
    seen = Seen.of(stored_bodies, stored_signatures)
    judged: list[tuple[IssueKey, Loaded]] = []
    for result in sorted(revised.live, key=lambda r: _key(r.bundle)):
        key, bundle = _key(result.bundle), result.bundle
        known = seen.bodies_before(bundle.incoming_body_hashes(), key)
        if known or seen.resembles(bundle.validated.signatures, key):
            bundle = bundle.revalidate(known, seen.signatures_near(key))
        seen.add(bundle.validated.accepted, bundle.validated.signatures, key)
        result.bundle, result.loaded = bundle, True
        result.loaded_at = clock()
        judged.append((key, result))
    _insert_batch(con, [(r.bundle, r.loaded_at) for r in results if r.loaded_at is not None], run_id)
    changed = later_issues(stored_bodies, stored_signatures, [(k, r.bundle.validated) for k, r in judged])
    later = [*revised.referencing, *changed]
    if later:
        _replay_after(con, min(later), judged)
    return results


def _key(bundle: IssueBundle) -> IssueKey:
    return issue_key(bundle.issue.issue_date, bundle.issue.sha256)


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
