"""Near-duplicate bodies: MinHash signatures over character shingles (datasketch's affine32 scheme).

A body is folded (NFKC, whitespace removed, as for the exact body hash), cut into
overlapping 5-character shingles and summarised by a 128-value MinHash; the share of equal
values between two signatures estimates the Jaccard similarity of their shingle sets.
Signatures are stored in `article_minhashes` with their `kind`, so a later issue is compared
with the warehouse without re-reading old bodies, and a change of parameters is detected.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

log = logging.getLogger(__name__)

SHINGLE_CHARS = 5
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
# Everything that makes two signatures comparable; stored beside each signature.
SIGNATURE_KIND = f"char{SHINGLE_CHARS}-crc32-{SCHEME}-{NUM_PERM}-seed{SEED}"
NEAR_DUPLICATE_JACCARD = 0.7  # estimated Jaccard similarity from which a body is a near-duplicate
NEAR_DUPLICATE_DAYS = 30  # how far from an issue's date the warehouse is searched
_BLOCK = 4096  # shingles permuted at once: 2 MB of uint32

_IGNORED = re.compile(r"[\s\u3000\xa0]+")
SIGNATURE_SCHEMA = {
    "article_id": pl.String,
    "issue_sha256": pl.String,
    "kind": pl.String,
    "minhash": pl.List(pl.UInt32),
}


@dataclass(frozen=True)
class NearDuplicate:
    """The earlier article a body resembles most, and how much."""

    article_id: str
    similarity: float


def fold_text(text: str) -> str:
    """Fold a text so whitespace and punctuation width do not make it a different text."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text))


def shingles(text: str) -> set[bytes]:
    """Return the overlapping character shingles of a folded text (the text itself if short)."""
    folded = fold_text(text)
    if len(folded) <= SHINGLE_CHARS:
        return {folded.encode("utf-8")} if folded else set()
    return {folded[i : i + SHINGLE_CHARS].encode("utf-8") for i in range(len(folded) - SHINGLE_CHARS + 1)}


def signatures(bodies: Sequence[str]) -> list[np.ndarray | None]:
    """Return one MinHash signature per body (None for an empty body), sharing permutations.

    crc32 is enough as the input hash: datasketch's affine32 scheme pre-mixes it with the
    MurmurHash3 finalizer before permuting, and it is several times faster than SHA-1.
    The values are datasketch's (`MinHash.bulk(..., scheme="affine32", hashfunc=zlib.crc32)`,
    tests/test_signatures.py), computed here with numpy so that a worker process does not
    import datasketch (and scipy with it: 55 MB a process).
    """
    return [_signature(hashes) if hashes.size else None for hashes in map(_shingle_hashes, bodies)]


def _signature(hashes: np.ndarray) -> np.ndarray:
    """Pre-mix and permute the shingle hashes and keep each permutation's minimum (in blocks)."""
    a, b = _permutations()
    mixed = _fmix32(hashes)
    signature = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, mixed.size, _BLOCK):  # a block bounds memory on a very long body
        np.minimum(signature, (mixed[start : start + _BLOCK, None] * a + b).min(axis=0), out=signature)
    return signature


def _shingle_hashes(text: str) -> np.ndarray:
    """Return the crc32 of each distinct shingle's UTF-8 bytes (the hashes of `shingles`)."""
    folded = fold_text(text)
    if len(folded) <= SHINGLE_CHARS:
        distinct = {folded} if folded else set()
    else:
        distinct = {folded[i : i + SHINGLE_CHARS] for i in range(len(folded) - SHINGLE_CHARS + 1)}
    return np.fromiter(map(zlib.crc32, map(str.encode, distinct)), dtype=np.uint32, count=len(distinct))


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """Return datasketch's affine32 permutations for NUM_PERM and SEED: odd multipliers, offsets.

    Drawn as datasketch draws them (MinHash._init_permutations), without importing datasketch,
    which brings scipy and 55 MB into every worker process.
    """
    generator = np.random.RandomState(SEED)
    a = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(values: np.ndarray) -> np.ndarray:
    """Apply the MurmurHash3 32-bit finalizer, as datasketch's affine32 scheme pre-mixes inputs."""
    with np.errstate(over="ignore"):  # the multiplications wrap modulo 2^32 on purpose
        values = values ^ (values >> np.uint32(16))
        values = values * np.uint32(0x85EBCA6B)
        values = values ^ (values >> np.uint32(13))
        values = values * np.uint32(0xC2B2AE35)
        return values ^ (values >> np.uint32(16))


def signature_frame(articles: pl.DataFrame) -> pl.DataFrame:
    """Return (article_id, issue_sha256, kind, minhash) for every article with a body."""
    computed = signatures(articles["body"].to_list())
    keep = [row for row, signature in enumerate(computed) if signature is not None]
    if not keep:
        return pl.DataFrame(schema=SIGNATURE_SCHEMA)
    matrix = np.vstack([computed[row] for row in keep])  # type: ignore[misc]
    return pl.DataFrame(
        {
            "article_id": articles["article_id"].gather(keep),
            "issue_sha256": articles["issue_sha256"].gather(keep),
            "kind": [SIGNATURE_KIND] * len(keep),
            "minhash": pl.Series(matrix).cast(SIGNATURE_SCHEMA["minhash"]),
        },
        schema=SIGNATURE_SCHEMA,
    )


def minhash_matrix(frame: pl.DataFrame) -> np.ndarray:
    """Return a frame's minhash lists as one uint32 row per signature, without Python lists."""
    if frame.height == 0:
        return np.empty((0, NUM_PERM), dtype=np.uint32)
    return frame["minhash"].cast(pl.List(pl.UInt32)).list.to_array(NUM_PERM).to_numpy()


def find_near_duplicates(
    incoming: pl.DataFrame,
    known: pl.DataFrame,
    skip: set[str] | frozenset[str] = frozenset(),
    threshold: float = NEAR_DUPLICATE_JACCARD,
) -> dict[str, NearDuplicate]:
    """Link each incoming article to the most similar earlier one (warehouse, then issue order).

    `incoming` and `known` hold (article_id, minhash); incoming rows are in issue order, so
    an article is compared with the known ones and with those before it. Articles in `skip`
    (exact duplicates, already linked) are neither linked nor linked to.
    """
    candidates_ids = list(known["article_id"]) if known.height else []
    candidates = minhash_matrix(known)
    links: dict[str, NearDuplicate] = {}
    for article_id, row in zip(incoming["article_id"], minhash_matrix(incoming), strict=True):
        if article_id not in skip and len(candidates_ids):
            similarity = (candidates == row).mean(axis=1)
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                links[article_id] = NearDuplicate(candidates_ids[best], round(float(similarity[best]), 3))
        if article_id not in skip:
            candidates_ids.append(article_id)
            candidates = np.vstack([candidates, row])
    log.debug("%d near-duplicate(s) among %d articles", len(links), incoming.height)
    return links
