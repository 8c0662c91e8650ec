"""Near-duplicate bodies: MinHash signatures over character shingles (datasketch's affine32 scheme).

A body is folded (NFKC, whitespace removed, as for the exact body hash), cut into
overlapping 5-character shingles and summarised by a 128-value MinHash; the share of equal
values between two signatures estimates the Jaccard similarity of their shingle sets.
Signatures are stored in `article_minhashes` with their `kind`, so a later issue is compared
with the warehouse without re-reading old bodies, and a change of parameters is detected.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from flows.settings import NEAR_DUPLICATE_DAYS as NEAR_DUPLICATE_DAYS  # re-exported: the search window

log = logging.getLogger(__name__)

SHINGLE_CHARS = 5
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
# Everything that makes two signatures comparable; stored beside each signature.
SIGNATURE_KIND = f"char{SHINGLE_CHARS}-crc32-{SCHEME}-{NUM_PERM}-seed{SEED}"
NEAR_DUPLICATE_JACCARD = 0.7  # estimated Jaccard similarity from which a body is a near-duplicate
# Two signatures this similar differ in at most this many of their values; cut into one band
# more than that, they have a whole band in common (pigeonhole), so a shared band is a
# necessary condition, checked for every pair at once, before any pair is compared in full.
_MOST_UNEQUAL = NUM_PERM - math.ceil(NEAR_DUPLICATE_JACCARD * NUM_PERM)
_BAND_WIDTH = NUM_PERM // (_MOST_UNEQUAL + 1)
_BLOCK = 4096  # shingles permuted at once: 2 MB of uint32
_JOINED_CHARS = 1 << 18  # characters hashed in one pass: ~10 arrays of 1 MB
_TABLE_CODE_POINTS = 0x30000  # up to CJK extension G: _distinct's table (2 MB at most)

_IGNORED = re.compile(r"[\s\u3000\xa0]+")
# The full-width forms, and the no-break space and ellipsis that most bodies hold besides them:
# characters whose NFKC form is ASCII, mapped before NFKC runs (fold_text)
_FULL_WIDTH = re.compile("[\u3000\uff01-\uff5e\xa0\u2026]")
_FULL_WIDTH_TO_ASCII = {
    chr(c): unicodedata.normalize("NFKC", chr(c)) for c in [0x3000, *range(0xFF01, 0xFF5F), 0xA0, 0x2026]
}
SIGNATURE_SCHEMA = pl.Schema(
    {
        "article_id": pl.String(),
        "issue_sha256": pl.String(),
        "kind": pl.String(),
        "minhash": pl.List(pl.UInt32),
    }
)


@dataclass(frozen=True)
class NearDuplicate:
    """The earlier article a body resembles most, and how much."""

    article_id: str
    similarity: float


def fold_text(text: str) -> str:
    """Fold a text so whitespace and punctuation width do not make it a different text.

    The result is `NFKC(text)` without whitespace. CPython's NFKC takes 80 ns a character
    once a text holds a full-width comma, which every Chinese body does: the full-width forms
    (U+FF01–FF5E, and U+3000), the no-break space and the ellipsis (three quarters of the
    bodies still not normalised without these two) are first mapped to their NFKC forms,
    ASCII, and NFKC runs only if the text is then still not normalised. That gives the same text, since NFKC
    decomposes those characters to exactly the ASCII they are mapped to (a following
    combining mark is still composed by the NFKC that then runs): a quarter of the time.
    """
    text = _FULL_WIDTH.sub(_ascii_of, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _IGNORED.sub("", text)


def _ascii_of(match: re.Match[str]) -> str:
    return _FULL_WIDTH_TO_ASCII[match.group()]


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
    return folded_signatures([fold_text(body) for body in bodies])


def folded_signatures(folded: Sequence[str]) -> list[np.ndarray | None]:
    """Return the signatures of already folded texts, hashing many texts' shingles at once.

    The texts are joined and every 5-character window's crc32 computed in one vectorised
    pass (`_window_crc32`); a text keeps the windows that lie inside it. Hashing each distinct
    shingle with `zlib.crc32` in Python cost three times as much; a repeated shingle changes no
    minimum, so the windows need not be made distinct.
    """
    result: list[np.ndarray | None] = []
    buffer = np.empty((_BLOCK, NUM_PERM), dtype=np.uint32)
    for group in _groups_of_chars(folded, _JOINED_CHARS):
        mixed = _fmix32(_window_crc32("".join(group)))
        start = 0
        for text in group:
            if len(text) > SHINGLE_CHARS:
                result.append(_signature(mixed[start : start + len(text) - SHINGLE_CHARS + 1], buffer))
            elif text:  # shorter than a shingle: the text itself is the one shingle
                whole = np.array([zlib.crc32(text.encode("utf-8"))], dtype=np.uint32)
                result.append(_signature(_fmix32(whole), buffer))
            else:
                result.append(None)
            start += len(text)
    return result


def _groups_of_chars(texts: Sequence[str], chars: int) -> Iterator[Sequence[str]]:
    """Cut texts, in order, into runs of about `chars` characters (one long text runs alone)."""
    start, size = 0, 0
    for end, text in enumerate(texts, start=1):
        size += len(text)
        if size >= chars:
            yield texts[start:end]
            start, size = end, 0
    if start < len(texts):
        yield texts[start:]


def _signature(mixed: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """Permute pre-mixed shingle hashes and keep each permutation's minimum, block by block.

    The block is permuted in place in `buffer`: numpy's temporaries for `mixed * a + b` cost
    more than the arithmetic.
    """
    a, b = _permutations()
    signature = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, mixed.size, _BLOCK):  # a block bounds memory on a very long body
        block = mixed[start : start + _BLOCK]
        permuted = buffer[: block.size]
        np.multiply(block[:, None], a, out=permuted)
        np.add(permuted, b, out=permuted)
        np.minimum(signature, permuted.min(axis=0), out=signature)
    return signature


def _window_crc32(text: str) -> np.ndarray:
    """Return zlib.crc32 of the UTF-8 bytes of every SHINGLE_CHARS-character window of a text.

    CRC-32 is affine in its message: a window's crc is the xor of each character's own
    contribution, shifted by the bytes that follow it in the window, and a constant for the
    window's length in bytes. So the contributions of the text's distinct characters are
    computed once for every shift a window can give them (`_shifted`), and every window's crc
    is a few gathers and xors over all windows at once.
    """
    windows = len(text) - SHINGLE_CHARS + 1
    if windows <= 0:
        return np.empty(0, dtype=np.uint32)
    code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    distinct, char = _distinct(code_points)
    lengths, byte_planes = _utf8_planes(distinct)
    shifted = _shifted(lengths, byte_planes)  # [character, bytes after it] → its contribution
    width = lengths[char].astype(np.int64)
    after = np.zeros(windows, dtype=np.int64)  # bytes after the window's character at `place`
    crc = np.zeros(windows, dtype=np.uint32)
    for place in range(SHINGLE_CHARS - 1, -1, -1):
        crc ^= shifted[char[place : place + windows], after]
        after += width[place : place + windows]
    crc ^= _length_constants()[after]  # `after` is now each window's length in bytes
    return crc


def _distinct(code_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct code points, and each code point's index among them (np.unique's inverse).

    By a table indexed by code point, not a sort: sorting a text's code points cost more than
    all the hashing. Code points past the table (rare) are sorted.
    """
    top = int(code_points.max()) + 1
    if top > _TABLE_CODE_POINTS:
        distinct, inverse = np.unique(code_points, return_inverse=True)
        return distinct, inverse
    index = np.zeros(top, dtype=np.int64)
    index[code_points] = 1
    distinct = np.flatnonzero(index)
    index[distinct] = np.arange(len(distinct))
    return distinct.astype(np.uint32), index[code_points]


def _shifted(lengths: np.ndarray, byte_planes: list[np.ndarray]) -> np.ndarray:
    """Each character's CRC-32 contribution (from a zero register), and after 1 … 16 zero bytes more."""
    table = _crc32_table()
    register = np.zeros(len(lengths), dtype=np.uint32)
    for j, plane in enumerate(byte_planes):  # the character's own bytes, where it has them
        stepped = table[(register ^ plane) & 0xFF] ^ (register >> 8)
        register = np.where(lengths > j, stepped, register)
    shifts = 4 * (SHINGLE_CHARS - 1) + 1
    out = np.empty((len(lengths), shifts), dtype=np.uint32)
    out[:, 0] = register
    for shift in range(1, shifts):  # one zero byte more each time
        register = table[register & 0xFF] ^ (register >> 8)
        out[:, shift] = register
    return out


@cache
def _length_constants() -> np.ndarray:
    """For each message length in bytes, what zlib's initial register and final xor add to its crc."""
    table = _crc32_table()
    out = np.empty(4 * SHINGLE_CHARS + 1, dtype=np.uint32)
    register = np.uint32(0xFFFFFFFF)
    for length in range(len(out)):
        out[length] = register ^ np.uint32(0xFFFFFFFF)
        register = table[register & 0xFF] ^ (register >> np.uint32(8))
    return out


def _utf8_planes(code_points: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return each code point's UTF-8 length and its 1st, 2nd, 3rd and 4th byte (as uint32)."""
    one, two, three = code_points < 0x80, code_points < 0x800, code_points < 0x10000
    lengths = np.select([one, two, three], [1, 2, 3], 4)
    low = 0x80 | (code_points & 0x3F)
    middle = 0x80 | ((code_points >> 6) & 0x3F)
    high = 0x80 | ((code_points >> 12) & 0x3F)
    first = np.select(
        [one, two, three],
        [code_points, 0xC0 | (code_points >> 6), 0xE0 | (code_points >> 12)],
        0xF0 | (code_points >> 18),
    )
    second = np.select([two, three], [low, middle], high)
    third = np.where(three, low, middle)
    return lengths, [plane.astype(np.uint32) for plane in (first, second, third, low)]


@cache
def _crc32_table() -> np.ndarray:
    """Return the byte table of CRC-32 (reflected polynomial 0xEDB88320), as zlib uses."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1).astype(np.uint32)
    return table


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


def signature_frame(articles: pl.DataFrame, folded: Sequence[str] | None = None) -> pl.DataFrame:
    """Return (article_id, issue_sha256, kind, minhash) for every article with a body.

    `folded`: the bodies already folded (`fold_text`), when the caller has them.
    """
    computed = folded_signatures(folded if folded is not None else list(map(fold_text, articles["body"])))
    signed = [(row, signature) for row, signature in enumerate(computed) if signature is not None]
    if not signed:
        return pl.DataFrame(schema=SIGNATURE_SCHEMA)
    keep = [row for row, _ in signed]
    matrix = np.vstack([signature for _, signature in signed])
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


def near_links(
    ids: Sequence[str],
    matrix: np.ndarray,
    known_ids: Sequence[str],
    known_matrix: np.ndarray,
    skip: set[str] | frozenset[str] = frozenset(),
    threshold: float = NEAR_DUPLICATE_JACCARD,
) -> dict[str, NearDuplicate]:
    """Link each article to the most similar earlier one (known first, then issue order), if similar enough.

    `ids` and `matrix` (one uint32 signature row per id) are in issue order, so an article is
    compared with the known ones and with those before it. Articles in `skip` (exact
    duplicates, already linked) are neither linked nor linked to.
    """
    candidates_ids = list(known_ids)
    # the known rows, then each article's as it joins them: filled in place, not stacked anew
    candidates = np.empty((len(candidates_ids) + len(ids), NUM_PERM), dtype=np.uint32)
    candidates[: len(candidates_ids)] = known_matrix
    # at the threshold or above, only earlier articles sharing a whole band with an article can
    # reach it (band_keys): the first of the most similar among them is the first of them all
    banded = threshold >= NEAR_DUPLICATE_JACCARD
    keys = np.empty((len(candidates), NUM_PERM // _BAND_WIDTH), dtype=np.uint64)
    if banded:
        keys[: len(candidates_ids)] = band_keys(known_matrix)
        keys_of = band_keys(matrix)
    links: dict[str, NearDuplicate] = {}
    for at, (article_id, row) in enumerate(zip(ids, matrix, strict=True)):
        if article_id in skip:
            continue
        filled = len(candidates_ids)
        if banded:
            compared = np.flatnonzero((keys[:filled] == keys_of[at]).any(axis=1))
            keys[filled] = keys_of[at]
        else:
            compared = np.arange(filled)
        if len(compared):
            # equal values counted, then the share: the same floats as the mean of the equalities
            similarity = np.count_nonzero(candidates[compared] == row, axis=1) / NUM_PERM
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                link = candidates_ids[compared[best]]
                links[article_id] = NearDuplicate(link, round(float(similarity[best]), 3))
        candidates_ids.append(article_id)
        candidates[filled] = row
    log.debug("%d near-duplicate(s) among %d articles", len(links), len(ids))
    return links
