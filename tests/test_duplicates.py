"""What the issues before an issue hold: earliest bodies, signatures in the window, in issue-date order."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from flows.duplicates import STORED_BODIES, STORED_SIGNATURES, Seen, Signatures
from flows.order import issue_key
from flows.text.similarity import (
    NEAR_DUPLICATE_JACCARD,
    NUM_PERM,
    SIGNATURE_SCHEMA,
    NearDuplicate,
    near_links,
)

DAY = date(2016, 3, 1)


def stored(rows: list[tuple[str, date | None, str, bool]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stored articles (id, issue date, issue hash, accepted) as load/known_bodies and
    load/known_minhashes_between rows: every body is "same", every signature equal."""
    ids, dates, shas, accepted = (list(column) for column in zip(*rows, strict=True))
    bodies = pl.DataFrame(
        {"body_hash": ["same"] * len(ids), "article_id": ids, "issue_date": dates,
         "issue_sha256": shas, "accepted": accepted},
        schema=STORED_BODIES,
    )  # fmt: skip
    minhash = pl.Series([list(range(NUM_PERM))] * len(ids)).cast(SIGNATURE_SCHEMA["minhash"])
    signatures = bodies.drop("body_hash").with_columns(minhash=minhash).select(*STORED_SIGNATURES.names())
    return bodies, signatures.cast(STORED_SIGNATURES)


ARCHIVE = [
    ("b-001", DAY - timedelta(days=40), "b", True),  # out of the window of DAY
    ("c-001", DAY - timedelta(days=2), "c", True),
    ("d-001", DAY - timedelta(days=2), "d", False),  # rejected: never an earlier copy
    ("a-001", DAY - timedelta(days=1), "a", True),
    ("e-001", DAY, "e", True),  # the same day, after "d" by hash
    ("f-001", DAY + timedelta(days=3), "f", True),
    ("u-001", None, "u", True),  # undated: after every dated issue
]


def test_only_accepted_articles_of_issues_before_count_in_issue_date_order() -> None:
    seen = Seen.of(*stored(ARCHIVE))
    key = issue_key(DAY, "d")
    assert seen.bodies_before(["same"], key) == {"same": "b-001"}  # the earliest, wherever it is
    assert seen.signatures_near(key)["article_id"].to_list() == ["c-001", "a-001"]
    assert seen.signatures_near(issue_key(DAY, "z"))["article_id"].to_list() == ["c-001", "a-001", "e-001"]
    undated = seen.signatures_near(issue_key(None, "z"))["article_id"].to_list()
    assert undated == ["b-001", "c-001", "a-001", "e-001", "f-001", "u-001"]  # no window for an undated issue
    assert seen.bodies_before(["same"], issue_key(DAY - timedelta(days=41), "x")) == {}


def test_a_replay_counts_only_the_issues_before_it() -> None:
    since = issue_key(DAY - timedelta(days=1), "a")
    seen = Seen.of(*stored(ARCHIVE), until=since)
    assert seen.signatures.ids.tolist() == ["b-001", "c-001"]
    assert seen.signatures_near(issue_key(DAY, "z"))["article_id"].to_list() == ["c-001"]
    judged = pl.DataFrame({"article_id": ["e-001"], "body_hash": ["same"]})
    minhash = pl.Series([list(range(NUM_PERM))]).cast(SIGNATURE_SCHEMA["minhash"])
    seen.add(judged, pl.DataFrame({"article_id": ["e-001"], "minhash": minhash}), issue_key(DAY, "e"))
    assert seen.signatures_near(issue_key(DAY, "z"))["article_id"].to_list() == ["c-001", "e-001"]


def test_signatures_appended_an_issue_at_a_time_keep_every_row() -> None:
    rng = np.random.default_rng(1)
    signatures = Signatures(stored(ARCHIVE[:2])[1])
    added = []
    for n in range(300):  # 1500 rows: the arrays grow twice
        rows = rng.integers(0, 2**32, size=(5, NUM_PERM), dtype=np.uint32)
        signatures.append(
            [f"{n}-{i}" for i in range(5)], rows, issue_key(DAY + timedelta(days=n), f"{n:03d}")
        )
        added.append(rows)
    assert len(signatures.ids) == len(signatures.matrix) == len(signatures.dates) == 2 + 1500
    assert (signatures.matrix[2:] == np.vstack(added)).all()
    assert signatures.ids[-1] == "299-4" and signatures.shas[-1] == "299"
    assert signatures.dates[-1] == np.datetime64(DAY + timedelta(days=299), "D")


@pytest.mark.parametrize("equal", [0, 60, 88, 89, 90, 91, 100, 128])
def test_a_signature_resembles_exactly_when_enough_values_are_equal(equal: int) -> None:
    """The band filter never hides a near-duplicate: 90 equal values of 128 (≥ 0.7) resemble, 89 do not.

    The unequal values are scattered at random, so that they spoil as many bands as they can.
    """
    rng = np.random.default_rng(equal)
    for _ in range(20):
        known = rng.integers(0, 2**32, size=(50, 128), dtype=np.uint32)
        row = known[rng.integers(50)].copy()
        unequal = rng.choice(128, size=128 - equal, replace=False)
        row[unequal] = row[unequal] ^ np.uint32(1)  # differs there, nowhere else
        frame = pl.DataFrame(
            {"article_id": [f"a{i}" for i in range(50)], "minhash": pl.Series(known).cast(pl.List(pl.UInt32))}
        ).with_columns(issue_date=pl.lit(date(2016, 1, 1)), issue_sha256=pl.lit("known"))
        seen = Seen({}, Signatures(frame))
        incoming = pl.DataFrame(
            {"article_id": ["new"], "minhash": pl.Series(row[None, :]).cast(SIGNATURE_SCHEMA["minhash"])}
        )
        assert seen.resembles(incoming, issue_key(date(2016, 1, 3), "new")) == (equal >= 90)


def test_near_links_compare_only_banded_candidates_and_link_as_a_full_comparison() -> None:
    """Each article's link is the first of the most similar earlier ones, as comparing every pair gives.

    Known signatures and the issue's own are copies of eight signatures with 60 to 128 of their
    values kept (the changed ones scattered, spoiling as many bands as they can).
    """
    rng = np.random.default_rng(7)
    base = rng.integers(0, 2**32, size=(8, NUM_PERM), dtype=np.uint32)

    def copy(row: np.ndarray, equal: int) -> np.ndarray:
        changed = row.copy()
        unequal = rng.choice(NUM_PERM, size=NUM_PERM - equal, replace=False)
        changed[unequal] ^= np.uint32(1 + rng.integers(1000))
        return changed

    known = np.vstack([copy(base[i % 8], int(e)) for i, e in enumerate(rng.integers(60, 129, 120))])
    issue = np.vstack([copy(base[i % 8], int(e)) for i, e in enumerate(rng.integers(60, 129, 40))])
    known_ids, ids = [f"k{i}" for i in range(len(known))], [f"a{i}" for i in range(len(issue))]
    skip = {"a3", "a17"}

    expected: dict[str, NearDuplicate] = {}
    earlier_ids, earlier = list(known_ids), list(known)
    for article_id, row in zip(ids, issue, strict=True):
        if article_id in skip:
            continue
        shares = [float(np.mean(other == row)) for other in earlier]
        best = int(np.argmax(shares))
        if shares[best] >= NEAR_DUPLICATE_JACCARD:
            expected[article_id] = NearDuplicate(earlier_ids[best], round(shares[best], 3))
        earlier_ids.append(article_id)
        earlier.append(row)
    assert near_links(ids, issue, known_ids, known, skip) == expected
    assert len(expected) >= 15 and len({link.article_id for link in expected.values()}) > 8
