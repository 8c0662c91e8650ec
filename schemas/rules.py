"""The thresholds and text rules behind the article checks, as plain functions and regexes.

The Pandera checks in `schemas/articles.py` use the regexes as Polars expressions; the
functions explain a failure in words for its quality finding.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from flows.text.scripts import either_script

# Thresholds a careful editor would sign; change them here, severities live in the config.
HEADLINE_CHARS = (4, 60)  # shortest and longest plausible headline
MIN_BODY_CHARS = 50  # shorter bodies are captions, stubs or split errors
DATELINE_MAX_DAYS = 7  # a dateline is at most a week before the issue date, never after
MIN_REPEAT_CHARS = 10  # shorter paragraphs (stock phrases, subheads) may repeat legitimately
MAX_TRADITIONAL_SHARE = 0.1  # of the Han characters in headline and body

# Han characters (CJK unified ideographs, extension A, compatibility, extensions B–F), as one
# class both Python's `re` and Polars' regex engine read the same way.
HAN = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]"
# A person's name: 2–4 Han characters, a transliterated name with middle dots, or a Latin name.
PLAUSIBLE_NAME = rf"^(?:{HAN}{{2,4}}|{HAN}{{1,8}}(?:[·•・]{HAN}{{1,12}})+|[A-Za-z][A-Za-z .'\-]{{1,40}})$"
# Words that mean the byline parser took a role or an organisation for a name.
NOT_A_NAME = either_script(r"记者|通讯员|实习生|本报|报道|编辑|评论员|日报|新闻|摄影|通讯社|新华社|整理")

# Mojibake: U+FFFD, the GBK reading of UTF-8's replacement character, or a run of Latin-1
# letters that decodes to Chinese when read back as the bytes it came from.
REPLACEMENT = "\ufffd"
GBK_REPLACEMENT = "锟斤拷"
# Characters a Latin-1 or Windows-1252 decode makes of the bytes 0x80–0xFF.
_WIN1252 = "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122"
_LATIN1_RUN = re.compile(rf"[\u0080-\u00ff{_WIN1252}]{{3,}}")
# Where garbled_fragments can find anything: a text without a match of this is not garbled
# (the Pandera check asks rules.is_garbled only about the texts with one).
GARBLED_SIGN = f"{REPLACEMENT}|{GBK_REPLACEMENT}|{_LATIN1_RUN.pattern}"
_MISREADINGS = (("cp1252", "utf-8"), ("latin-1", "utf-8"), ("latin-1", "gb18030"), ("cp1252", "gb18030"))
_HAN = re.compile(HAN)


@cache
def traditional_only() -> str:
    """Return the characters CC-CEDICT knows only in traditional forms (e.g. 國 這 們)."""
    from zhon import cedict

    return "".join(sorted(set(cedict.traditional) - set(cedict.simplified)))


@cache
def traditional_pattern() -> str:
    """Return a regex character class matching any traditional-only character."""
    return f"[{traditional_only()}]"


def traditional_share(text: str) -> tuple[int, int]:
    """Return (traditional-only characters, Han characters) in a text."""
    traditional = set(traditional_only())
    han = _HAN.findall(text)
    return sum(c in traditional for c in han), len(han)


def garbled_fragments(text: str) -> list[str]:
    """Return the fragments of a text that look like a wrong decode, with what they were."""
    found = []
    if REPLACEMENT in text:
        found.append(f"{text.count(REPLACEMENT)}×U+FFFD")
    if GBK_REPLACEMENT in text:
        found.append(GBK_REPLACEMENT)
    for match in _LATIN1_RUN.finditer(text):
        run = match.group(0)
        if sum(c.isalpha() for c in run) < 2:
            continue  # punctuation runs like “”…— are ordinary Chinese typography
        decoded = _redecode(run)
        if decoded:
            found.append(f"{run} (= {decoded})")
    return found


def _redecode(run: str) -> str | None:
    """Read a Latin-1 run back as the GBK or UTF-8 bytes it probably was; None if it is not."""
    for read_as, written_in in _MISREADINGS:
        try:
            text = run.encode(read_as).decode(written_in)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _HAN.search(text):
            return text
    return None


def is_garbled(text: str | None) -> bool:
    """Tell whether a text holds replacement characters or Latin-1 mojibake of Chinese."""
    return bool(text) and bool(garbled_fragments(text or ""))


_PLAUSIBLE = re.compile(PLAUSIBLE_NAME)
_NOT_A_NAME = re.compile(NOT_A_NAME)


def repeated_paragraphs(paragraphs: list[str]) -> list[str]:
    """Return each paragraph (long enough to matter) that occurs more than once."""
    counts = Counter(p for p in paragraphs if len(p) >= MIN_REPEAT_CHARS)
    return [p for p, n in counts.items() if n > 1]


def implausible_names(names: list[str]) -> list[str]:
    """Return the names that do not look like a person's name."""
    return [n for n in names if not _PLAUSIBLE.match(n) or _NOT_A_NAME.search(n)]
