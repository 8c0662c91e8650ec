"""Measure segmenters that keep jieba's segmentation, on the sample issue repeated.

    .venv/bin/python -m bench.segmenters [--repeat 100] [--rounds 3]

Compares jieba (cut, and posseg for part-of-speech tags) with rjieba (jieba-rs: cut, and tag),
all with the newspaper user dictionary, and the whole tokenise stage (segmentation, terms,
keywords, entities) as the pipeline runs it. Prints throughput in MB/s of UTF-8 text, token
agreement with jieba on the sample, whether every dictionary term comes out as one token,
and part-of-speech agreement on the tokens both cut alike.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import date

import jieba
import jieba.posseg
import rjieba

from flows.ingest import read_issue
from flows.parse import parse_issue
from flows.settings import SAMPLE_ISSUE, USER_DICT
from flows.tokenise import analyse_articles, parse_user_dictionary, segmenter
from flows.validate import validate_issues


def jieba_with_dictionary() -> jieba.Tokenizer:
    """Build a jieba tokenizer with the newspaper dictionary, as the pipeline once did."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    tokenizer.load_userdict(str(USER_DICT))
    return tokenizer


def words(tokens: Sequence[str]) -> list[str]:
    """Drop whitespace tokens, which the segmenters emit differently."""
    return [t for t in tokens if t.strip()]


def throughput(cut: Callable[[str], object], text: str, rounds: int) -> float:
    """Return MB/s of UTF-8 text over `text`, the best of `rounds` passes (after a warm-up)."""
    cut(text[:2000])
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        cut(text)
        best = min(best, time.perf_counter() - started)
    return len(text.encode("utf-8")) / best / 1e6


def agreement(reference: list[str], other: list[str]) -> tuple[float, list[tuple[str, str]]]:
    """Return the share of reference tokens cut identically, and the differing stretches."""
    matcher = difflib.SequenceMatcher(a=reference, b=other, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    diffs = [
        ("/".join(reference[i1:i2]), "/".join(other[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
        if op != "equal"
    ]
    return same / len(reference), diffs


def tag_agreement(reference: list[tuple[str, str]], other: list[tuple[str, str]]) -> float:
    """Return the share of tokens cut alike by both that also get the same tag."""
    matcher = difflib.SequenceMatcher(a=[w for w, _ in reference], b=[w for w, _ in other], autojunk=False)
    same = total = 0
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            total += 1
            same += reference[block.a + k][1] == other[block.b + k][1]
    return same / total if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=100, help="copies of the sample to time")
    parser.add_argument("--rounds", type=int, default=3, help="passes per segmenter; the best counts")
    args = parser.parse_args()

    sample = SAMPLE_ISSUE.read_text(encoding="utf-8")
    text = sample * args.repeat
    jb = jieba_with_dictionary()
    pos = jieba.posseg.POSTokenizer(jb)
    seg = segmenter()
    plain_rjieba = rjieba.Jieba()

    rows = [
        ("jieba cut", lambda s: list(jb.cut(s))),
        ("jieba posseg (tags)", lambda s: list(pos.cut(s))),
        ("rjieba cut", seg.jieba.cut),
        ("rjieba tag (tags)", seg.jieba.tag),
    ]
    print(f"sample × {args.repeat}: {len(text.encode('utf-8')) / 1e6:.2f} MB\n")
    print("| segmenter | MB/s | × jieba cut |")
    print("|---|---:|---:|")
    base = None
    for name, cut in rows:
        rate = throughput(cut, text, args.rounds)
        base = base or rate
        print(f"| {name} | {rate:.2f} | {rate / base:.1f} |")

    parsed = parse_issue(read_issue(SAMPLE_ISSUE.name, SAMPLE_ISSUE.read_bytes()), date(2026, 1, 15))
    articles = validate_issues([parsed])[0].articles
    big = articles.sample(n=articles.height * max(1, args.repeat), with_replacement=True, seed=1)
    stage_bytes = sum(len(f"{h or ''}\n{b}".encode()) for h, b in big.select("headline", "body").iter_rows())
    analyse_articles(articles)  # warm-up: the IDF table and the stop list load once per process
    best = float("inf")
    for _ in range(args.rounds):
        started = time.perf_counter()
        analyse_articles(big)
        best = min(best, time.perf_counter() - started)
    stage_rate = stage_bytes / best / 1e6
    print(
        f"| tokenise stage (rjieba tag + search words + terms + keywords + entities) | {stage_rate:.2f} | "
        f"{stage_rate / base:.1f} |"
    )

    reference = words(jb.cut(sample))
    share, diffs = agreement(reference, words(seg.jieba.cut(sample)))
    print(f"\nrjieba vs jieba, user dictionary in both: {share:.2%} of {len(reference)} tokens identical")
    for a, b in diffs:
        print(f"  jieba {a!r}  rjieba {b!r}")
    plain = jieba.Tokenizer()
    plain.initialize()
    share_plain, _ = agreement(words(plain.cut(sample)), words(plain_rjieba.cut(sample)))
    print(f"rjieba vs jieba, default dictionaries only: {share_plain:.2%} identical")

    terms = [e.word for e in parse_user_dictionary(USER_DICT.read_text(encoding="utf-8"))]
    in_sample = [t for t in terms if t in sample]
    for name, tokens in [("jieba", set(reference)), ("rjieba", set(seg.cut(sample)))]:
        split = [t for t in in_sample if t not in tokens]
        print(
            f"{name}: {len(in_sample) - len(split)}/{len(in_sample)} dictionary terms found in the sample "
            f"are one token (the others only occur inside a longer term: {'、'.join(split)})"
        )

    tags_jieba = [(p.word, p.flag) for p in pos.cut(sample) if p.word.strip()]
    tags_rjieba = [(w, seg.user_tags.get(w, f)) for w, f in seg.jieba.tag(sample) if w.strip()]
    print(f"part-of-speech tags equal on tokens cut alike: {tag_agreement(tags_jieba, tags_rjieba):.2%}")


if __name__ == "__main__":
    main()
