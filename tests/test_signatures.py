"""MinHash signatures are datasketch's affine32 MinHash exactly, computed without importing it."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
import zlib

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.synthetic import sample_parts
from flows.models import ParsedIssue
from flows.text import similarity
from flows.text.similarity import NUM_PERM, SCHEME, SEED, shingles, signatures


def datasketch_signatures(bodies: list[str]) -> list[np.ndarray | None]:
    """The reference: one datasketch MinHash per body over its shingles, crc32 as the input hash."""
    sets = [shingles(body) for body in bodies]
    minhashes = MinHash.bulk(sets, num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=zlib.crc32)
    return [m.hashvalues if s else None for m, s in zip(minhashes, sets, strict=True)]


HARD_BODIES = [
    "",
    " \u3000\n",  # folds to nothing: no signature
    "短文",  # shorter than a shingle: the text itself
    "１２３４５６ABC，Ｆｕｌｌ　width（全角）and ASCII, mixed:   spaces\xa0NBSP",
    "同一句话。" * 2000,  # repeats: few distinct shingles
    "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(20000)),  # many: more than one block
    "𠀀𠀁𠀂𠀃𠀄𠀅 astral characters, 4 UTF-8 bytes each",
]


def test_signatures_equal_datasketch_on_the_sample(sample_parsed: ParsedIssue) -> None:
    bodies = [article.body for article in sample_parsed.articles]
    for ours, reference in zip(signatures(bodies), datasketch_signatures(bodies), strict=True):
        assert ours is not None and reference is not None
        assert ours.dtype == np.uint32 and ours.tolist() == reference.tolist()


@pytest.mark.parametrize("body", HARD_BODIES, ids=range(len(HARD_BODIES)))
def test_signatures_equal_datasketch_on_hard_bodies(body: str) -> None:
    [ours], [reference] = signatures([body]), datasketch_signatures([body])
    if reference is None:
        assert ours is None
    else:
        assert ours is not None and ours.tolist() == reference.tolist()


@pytest.mark.parametrize("joined_chars", [1 << 18, 7, 1])
def test_bodies_hashed_together_keep_their_own_signatures(
    joined_chars: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows are hashed over the bodies joined, in runs of `joined_chars`: a window across
    # two bodies, or a run cut anywhere, must not leak into a signature.
    monkeypatch.setattr(similarity, "_JOINED_CHARS", joined_chars)
    bodies = [*HARD_BODIES, "短文", "", "abcdef", "ab", *HARD_BODIES[::-1]]
    ours, reference = signatures(bodies), datasketch_signatures(bodies)
    assert [None if s is None else s.tolist() for s in ours] == [
        None if r is None else r.tolist() for r in reference
    ]


@pytest.mark.parametrize("text", ["ab１２𠀀汉字、é" * 3, "汉\U000f0000字ab、\x00é\U0010ffff" * 2])
def test_window_hashes_are_zlib_crc32_of_each_window(text: str) -> None:
    """1- to 4-byte characters, beyond the table of code points too (U+F0000, U+10FFFF)."""
    expected = [zlib.crc32(text[i : i + 5].encode("utf-8")) for i in range(len(text) - 4)]
    assert similarity._window_crc32(text).tolist() == expected
    assert similarity._window_crc32("四个字儿").size == 0


def test_signatures_equal_datasketch_on_the_sample_sentences() -> None:
    sentences = sample_parts().sentences
    bodies = ["".join(sentences[i : i + k]) for k in (1, 3, 8) for i in range(0, len(sentences), 5)]
    ours, reference = signatures(bodies), datasketch_signatures(bodies)
    assert [s.tolist() for s in ours] == [r.tolist() for r in reference]  # type: ignore[union-attr]


def test_a_worker_does_not_import_datasketch() -> None:
    code = "import sys, flows.transform; print('datasketch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def nfkc_without_whitespace(text: str) -> str:
    """fold_text's definition, the slow way: NFKC of the whole text, then whitespace removed."""
    return re.sub(r"[\s\u3000\xa0]+", "", unicodedata.normalize("NFKC", text))


FOLD_CASES = [
    *HARD_BODIES,
    "Ａ\u0301",  # a full-width letter then a combining accent: NFKC composes them into Á
    "ｅ\u0308\u0323，ｆｉ ﬁ ① ㍿ ｶﾞ",  # reordered marks, ligatures, circled digits, half-width kana
    "\u3000全角空格\u3000，句号。",
]


@pytest.mark.parametrize("text", FOLD_CASES, ids=range(len(FOLD_CASES)))
def test_fold_text_is_nfkc_without_whitespace(text: str) -> None:
    assert similarity.fold_text(text) == nfkc_without_whitespace(text)


def test_fold_text_is_nfkc_without_whitespace_on_the_sample(sample_parsed: ParsedIssue) -> None:
    for article in sample_parsed.articles:
        assert similarity.fold_text(article.body) == nfkc_without_whitespace(article.body)


FULL_WIDTH_AND_MARKS = st.sampled_from(
    [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000", "\u0301", "\u0308", "\u0323", "\u3099"]
)


@given(st.lists(st.one_of(st.characters(), FULL_WIDTH_AND_MARKS), max_size=40).map("".join))
@settings(max_examples=300, deadline=None)
def test_fold_text_is_nfkc_without_whitespace_on_any_text(text: str) -> None:
    assert similarity.fold_text(text) == nfkc_without_whitespace(text)
