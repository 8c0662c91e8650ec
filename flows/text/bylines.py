"""Parse bylines and credits into people and roles: `□记者姚克勤通讯员李鸿光` → two contributors.

A line is a byline only if it reads entirely as [press prefix] role names [role names…],
as names role, or as one bare name padded to width (`向\xa0勇`); anything else (a headline that
happens to contain 记者) is not. Photo and editor credits name people too.
"""

from __future__ import annotations

import re

from flows.models import Contributor, Credit
from flows.text.patterns import (
    BYLINE_MARK,
    CJK,
    EDITOR_CREDIT,
    PADDED_NAME,
    PHOTO_CREDIT,
    ROLE_RE,
    ROLE_WORDS,
)
from flows.text.scripts import either_script, traditional_forms

_SEPARATORS = re.compile(r"[\s\xa0\u3000、，,；;:：/|｜]+")
_NAME = re.compile(rf"^[{CJK}·•]{{2,4}}$|^[{CJK}]{{1,6}}[·•][{CJK}·•]{{1,12}}$")
_PRESS_PREFIX = re.compile(rf"^[{CJK}/／]{{0,16}}$")
_PRESS_WORD = re.compile(r"(本报|报|社|台|网|新闻|驻|/|／|客户端|媒体|中心)")
# Suffixes that say what the person did, not who they are; order matters (longest first).
_SUFFIXES: tuple[str, ...] = ("采访整理", "整理", "报道", "采写", "摄影", "文/图", "图/文", "摄", "文", "图")
_SUFFIX_TOKENS = set(_SUFFIXES) | {"综合", "发"}
# The same in traditional characters (本報, 新聞, 攝, 採寫: flows/text/scripts.py).
_PRESS_WORD = re.compile(either_script(_PRESS_WORD.pattern))
_SUFFIXES = (*_SUFFIXES, *traditional_forms(_SUFFIXES))
_SUFFIX_TOKENS |= set(traditional_forms(_SUFFIX_TOKENS))
_PHOTO_SUFFIXES = ("摄", "摄影", *traditional_forms(("摄", "摄影")))


def _strip_suffix(token: str) -> tuple[str, str | None]:
    """Remove a glued activity suffix (`贺勇摄` → `贺勇`, 'photographer')."""
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix):
            rest = token[: -len(suffix)]
            # `文`/`图` glued to a three-character name are usually part of the name (仪博文).
            if suffix in ("文", "图") and len(rest) < 3:
                continue
            return rest, ("photographer" if suffix in _PHOTO_SUFFIXES else None)
    return token, None


def _names(chunk: str) -> list[tuple[str, str | None]] | None:
    """Split a run of names; merge padded single characters (`贺 勇` → `贺勇`)."""
    tokens = [t for t in _SEPARATORS.split(chunk.strip()) if t]
    tokens = [t for t in tokens if t not in _SUFFIX_TOKENS]
    cleaned: list[tuple[str, str | None]] = []
    pending = ""
    for token in tokens:
        name, role = _strip_suffix(token)
        if len(name) == 1:
            pending += name
            if len(pending) >= 2:
                cleaned.append((pending, role))
                pending = ""
            continue
        if pending:
            return None
        cleaned.append((name, role))
    if pending:
        return None
    if not all(_NAME.match(name) for name, _ in cleaned):
        return None
    return cleaned


def parse_byline(text: str, *, bracketed: bool = False) -> list[Contributor] | None:
    """Return the contributors of a byline, or None when the text is not a byline."""
    line = text.strip().strip("\u3000\xa0")
    marked = bool(BYLINE_MARK.match(line))
    line = BYLINE_MARK.sub("", line).strip()
    if not line or len(line) > 80:
        return None
    parts = re.split(f"({ROLE_RE})", line)
    if len(parts) < 3:
        return None
    prefix, rest = parts[0], parts[1:]
    contributors: list[Contributor] = []
    # Name before role: `何鼎鼎 本报评论员` — names in the prefix, nothing after the last role.
    if len(rest) == 2 and not rest[1].strip() and prefix.strip() and not _PRESS_WORD.search(prefix):
        names = _names(prefix)
        if not names:
            return None
        role = ROLE_WORDS[rest[0]]
        return [Contributor(name, r or role) for name, r in names]
    if prefix.strip() and not _PRESS_PREFIX.match(prefix.strip().replace(" ", "")):
        return None
    if prefix.strip() and not _PRESS_WORD.search(prefix):
        return None
    for i in range(0, len(rest), 2):
        role_word, chunk = rest[i], rest[i + 1] if i + 1 < len(rest) else ""
        role = ROLE_WORDS[role_word]
        # Without a □ mark or brackets, a name must be set apart from its role by a space.
        if chunk and not (marked or bracketed or prefix.strip() or chunk[0] in " \xa0\u3000:：|｜"):
            return None
        if not chunk.strip():
            # A role with no name (`本报评论员`) is still a byline; the press prefix of the
            # next role (`本报记者…本报通讯员`) glues onto the chunk, so allow it empty.
            continue
        names = _names(_trim_press_prefix(chunk))
        if names is None:
            return None
        contributors.extend(Contributor(name, r or role) for name, r in names)
    return contributors


def _trim_press_prefix(chunk: str) -> str:
    """Drop `本报` that belongs to the next role word (`记者 张三 本报通讯员 李四`)."""
    return re.sub(either_script(r"(本报|新华社)$"), "", chunk.strip())


def parse_bare_name(text: str) -> list[Contributor] | None:
    """Read a byline that is only a name padded to width (`向\xa0勇`): the piece's author."""
    line = text.strip(" \t\xa0\u3000")
    if not PADDED_NAME.match(line):
        return None
    return [Contributor(_SEPARATORS.sub("", line), "author")]


def read_byline(text: str, *, bracketed: bool = False) -> list[Contributor] | None:
    """Return the contributors of a byline line of any form, or None when it is not one."""
    people = parse_byline(text, bracketed=bracketed)
    return people if people is not None else parse_bare_name(text)


def is_byline(text: str, *, bracketed: bool = False) -> bool:
    """Tell whether a whole line reads as a byline."""
    return read_byline(text, bracketed=bracketed) is not None


def credit_people(credit: Credit) -> list[Contributor]:
    """Return the people a photo or editor credit names (`本报记者 贺 勇摄` → 贺勇, photographer)."""
    if credit.role == "photo":
        match, role = PHOTO_CREDIT.match(credit.text), "photographer"
    elif credit.role == "editor":
        match, role = EDITOR_CREDIT.match(credit.text), "editor"
    else:
        return []
    if match is None:
        return []
    people = match.group("people")
    named = parse_byline(people, bracketed=True)
    if named is not None:
        return [Contributor(person.name, role) for person in named]
    return [Contributor(name, role) for name, _ in _names(people) or []]
