"""Simplified and traditional characters: let a rule written in one script read the other.

Papers from Hong Kong, Taiwan and Macau, and Big5 archives, print the same conventions in
traditional characters: `本報…訊` for `本报…讯`, `記者` for `记者`, `責任編輯` for `责任编辑`.
A rule is written once, in simplified characters; `either_script` turns each character that
has a traditional form into a choice of both, so the rule reads either script (and a text
mixing them). The table holds the characters the rules use (flows/text/patterns.py,
flows/text/bylines.py, schemas/rules.py); a rule with a new one adds it here.
"""

from __future__ import annotations

from collections.abc import Iterable

# simplified → its traditional form(s), for the characters of the text rules
TRADITIONAL: dict[str, str] = {
    "专": "專", "两": "兩", "为": "為爲", "习": "習", "会": "會", "体": "體", "关": "關",
    "内": "內", "写": "寫", "区": "區", "华": "華", "单": "單", "县": "縣", "发": "發",
    "台": "臺", "员": "員", "国": "國", "图": "圖", "实": "實", "对": "對", "广": "廣",
    "户": "戶", "报": "報", "据": "據", "摄": "攝", "数": "數", "时": "時", "术": "術",
    "来": "來", "济": "濟", "点": "點", "电": "電", "画": "畫", "约": "約", "经": "經",
    "综": "綜", "编": "編", "网": "網", "见": "見", "观": "觀", "视": "視", "觉": "覺",
    "计": "計", "讯": "訊", "记": "記", "论": "論", "设": "設", "访": "訪", "评": "評",
    "读": "讀", "财": "財", "责": "責", "资": "資", "转": "轉", "辑": "輯", "采": "採",
    "链": "鏈", "闻": "聞", "阅": "閱", "际": "際", "题": "題", "驻": "駐", "周": "週",
    "制": "製",
}  # fmt: skip


_SIMPLIFIED = {form: simplified for simplified, forms in TRADITIONAL.items() for form in forms}


def to_simplified(word: str) -> str:
    """Write a word's traditional characters (those of the table) in simplified ones."""
    return "".join(_SIMPLIFIED.get(ch, ch) for ch in word)


def to_traditional(word: str) -> str:
    """Write a word in traditional characters (the first form where a character has several)."""
    return "".join(TRADITIONAL.get(ch, ch)[0] for ch in word)


def traditional_forms(words: Iterable[str]) -> list[str]:
    """Return the traditional spelling of each word that has one (words without one are left out)."""
    given = list(words)
    return [t for t in map(to_traditional, given) if t not in given]


def either_script(pattern: str) -> str:
    """Let a regex written in simplified characters match their traditional forms too.

    Outside a character class `报` becomes `[报報]`; inside one the forms join the class, so a
    negated class (`[^报]`) excludes both.
    """
    out: list[str] = []
    in_class = escaped = False
    for ch in pattern:
        forms = TRADITIONAL.get(ch, "")
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif in_class:
            in_class = ch != "]"
            out.append(ch + forms)
        else:
            in_class = ch == "["
            out.append(f"[{ch}{forms}]" if forms else ch)
    return "".join(out)
