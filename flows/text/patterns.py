"""Regular expressions for the conventions of Chinese newspaper text (see shared FORMATS.md).

Kept in one place so the splitter and the normaliser agree on what a byline or dateline is.
"""

from __future__ import annotations

import re

from flows.text.scripts import either_script, to_traditional

CJK = r"\u3400-\u9fff\uf900-\ufaff"
DIGIT = r"0-9０-９"
CN_NUM = r"〇零一二三四五六七八九十廿卅两"
SPACE = r" \t\xa0\u3000"
CJK_CHAR = re.compile(rf"[{CJK}]")

# Characters a paragraph cut by a page break will not end with.
TERMINAL = "。！？!?…”’」』"
# A heading never ends with these: a line that does is text.
UNFINISHED = "。；;：:，,、"
# Punctuation inside a sentence: an in-body subhead carries none.
CLAUSE_MARKS = "。，,；;：:！!？?"
# Marks that end a sentence inside a line: a long title carries none.
SENTENCE_MARKS = "。！？!?；;"

# Roles in bylines, longest first so `特约记者` wins over `记者`.
ROLE_WORDS = {
    "特约评论员": "commentator",
    "本报评论员": "commentator",
    "评论员": "commentator",
    "特约撰稿人": "author",
    "特约记者": "reporter",
    "见习记者": "reporter",
    "首席记者": "reporter",
    "记者": "reporter",
    "通讯员": "correspondent",
    "实习生": "intern",
    "摄影记者": "photographer",
    "摄影": "photographer",
    "责任编辑": "editor",
    "编辑": "editor",
    "撰稿": "author",
    "作者": "author",
}
ROLE_RE = "|".join(sorted(map(re.escape, ROLE_WORDS), key=len, reverse=True))

_DATE = (
    rf"(?:(?P<year>[{DIGIT}〇零一二三四五六七八九]{{4}})年)?"
    rf"(?:(?P<month>[{DIGIT}{CN_NUM}]{{1,3}})月)?"
    rf"(?:(?P<day>[{DIGIT}{CN_NUM}]{{1,3}})日)?"
)
_SOURCE = (
    rf"(?P<source>本报|新华社|中新社|人民日报|[{CJK}]{{2,8}}?(?:日报|晚报|时报|报|社)"
    rf"|[{CJK}]{{1,8}}?(?:网|新闻|客户端))"
)
_PLACE = rf"(?P<place>[{CJK}]{{0,8}}?)"

# A dateline opening the first paragraph: 本报12月29日讯, 据新华社金边1月30日电, 【新华社重庆十四日电】.
# An undated one must be set apart from its text (`本报讯 …`, `本报电（记者…）`), so that a
# sentence such as `本报电子版…` or `合作社电商…` is not read as one.
DATELINE_START = re.compile(
    rf"^(?P<open>【)?(?P<via>据)?{_SOURCE}{_PLACE}{_DATE}(?P<kind>讯|电)(?P<close>】)?"
    rf"(?(day)|(?(close)|(?=[{SPACE}（(【]|$)))"
)
# A byline in brackets right after a dateline: 新华社北京2月3日电（记者 张三 李四）.
BRACKET_BYLINE = re.compile(rf"^[{SPACE}]*[（(](?P<byline>[^（）()]*(?:{ROLE_RE})[^（）()]*)[）)]")
# A whole line in brackets: a dateline, byline or note standing at the end of an article.
END_BRACKET = re.compile(r"^[（(](?P<inner>[^（）()]+)[）)]$")
# A column tag closing a title: …（今日谈）, …（评论员观察）, …（短评）.
COLUMN_TAG = re.compile(rf"[^（(][（(][{CJK}]{{2,8}}[）)]$")

# A byline line: □青岛日报/观海新闻记者 薛华飞, 本报记者 钱一彬, 何鼎鼎 本报评论员, 通讯员 李青健.
BYLINE_MARK = re.compile(r"^[□◎■●★▲◆]")
# A bare name padded to width, standing as a byline above an op-ed: 向\xa0勇, 刘　平.
PADDED_NAME = re.compile(rf"^[{CJK}](?:[{SPACE}]+[{CJK}]){{1,2}}$")

# Page furniture: (pattern, credit role). The first pattern that matches names the role.
CREDIT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(责任编辑|本版责编|本版编辑|责编|编辑|校对|美术编辑)[:：\s\xa0]"), "editor"),
    (re.compile(r"^(版式设计|版面设计|版式)[:：]"), "layout"),
    (re.compile(r"^(制图|图表|漫画)[:：]"), "chart"),
    (re.compile(r"^(数据来源|图片来源|资料来源|来源)[:：]"), "source"),
    (re.compile(r"^[（(](作者|作者单位|作者系|作者为)"), "author_note"),
    (re.compile(r"^[（(](下转|上接|转第|接第)[^）)]{0,12}[）)]$"), "jump"),
    (re.compile(r"^编者按|^【编者按】"), "editor_note"),
    (re.compile(r"^(相关链接|链接|延伸阅读)[:：]?"), "link"),
    (re.compile(r"^[（(](完|全文完|待续|未完待续)[）)]$"), "end_mark"),
    (re.compile(r"^■"), "bullet"),
    (re.compile(r"^图为"), "caption"),
    (re.compile(r"^.{0,30}摄(?:影)?(?:报道)?(?:[（(][^）)]{1,10}[）)])?$"), "photo"),
]
# A jump line sending the reader on (`（下转第二版）`) or bringing them back (`（上接第一版）`).
JUMP_OUT = re.compile(r"^[（(](下转|转第)")
JUMP_IN = re.compile(r"^[（(](上接|接第)")
# A photo credit: the people before `摄`, with an optional source: `（新华社发）`, `（影像中国）`.
PHOTO_CREDIT = re.compile(r"^(?P<people>.*?)[\s\xa0\u3000]*摄(?:影)?(?:报道)?(?:[（(][^）)]{1,10}[）)])?$")
# An editor credit: the people after the label.
EDITOR_CREDIT = re.compile(rf"^(?:责任编辑|本版责编|本版编辑|责编|编辑|美术编辑)[:：{SPACE}]*(?P<people>.+)$")

# Page headers and mastheads, never article text: `青岛日报 2025年12月30日 星期二 第1版`,
# `第01版：要闻`, `第A02版：要闻`, `【第3版】`, `烟台日报 2025年12月29日 星期一 A01版`, `版次：A02`.
PAGE_FURNITURE = re.compile(
    rf"[{DIGIT}]{{4}}年[{DIGIT}]{{1,2}}月[{DIGIT}]{{1,2}}日[{SPACE}]*(?:星期|周)[一二三四五六日天]"
    rf"|(?:^|[{SPACE}【\[])(?:第[{SPACE}]*[A-Z]?[{DIGIT}{CN_NUM}]{{1,3}}[{SPACE}]*|[A-Z]?[{DIGIT}]{{1,3}})版"
    rf"(?:[{SPACE}:：】\]]|$)"
    r"|^版[次面名][:：]"
)
# A page's section name on a line of its own under the page header.
SECTION_NAME = re.compile(
    r"^(?:要闻|综合|经济|财经|国际|国内|时政|政经|社会|民生|城市|本地|区市|县域|评论|观点|理论|文化|"
    r"文体|体育|科技|教育|健康|法治|副刊|专版|专题|视觉|图片|广告|公告|新闻|特刊|周刊)(?:新闻)?$"
)

# --- traditional characters ----------------------------------------------------------------------
# The same conventions printed in traditional characters (本報…訊, 新華社…電, 記者, 責任編輯,
# 要聞): every rule above also reads the traditional forms of its words (flows/text/scripts.py).
ROLE_WORDS.update({to_traditional(word): role for word, role in list(ROLE_WORDS.items())})
ROLE_RE = "|".join(sorted(map(re.escape, ROLE_WORDS), key=len, reverse=True))
DATELINE_START = re.compile(either_script(DATELINE_START.pattern))
BRACKET_BYLINE = re.compile(rf"^[{SPACE}]*[（(](?P<byline>[^（）()]*(?:{ROLE_RE})[^（）()]*)[）)]")
CREDIT_PATTERNS = [(re.compile(either_script(p.pattern)), role) for p, role in CREDIT_PATTERNS]
JUMP_OUT = re.compile(either_script(JUMP_OUT.pattern))
JUMP_IN = re.compile(either_script(JUMP_IN.pattern))
PHOTO_CREDIT = re.compile(either_script(PHOTO_CREDIT.pattern))
EDITOR_CREDIT = re.compile(either_script(EDITOR_CREDIT.pattern))
PAGE_FURNITURE = re.compile(either_script(PAGE_FURNITURE.pattern))
SECTION_NAME = re.compile(either_script(SECTION_NAME.pattern))
