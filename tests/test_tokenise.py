"""jieba segmentation with the newspaper user dictionary."""

from __future__ import annotations

import pytest

from flows.settings import USER_DICT
from flows.tokenise import segment


@pytest.mark.parametrize("term", ["观海新闻", "上合示范区", "新质生产力", "科创大走廊"])
def test_dictionary_terms_are_one_token(term: str) -> None:
    assert term in USER_DICT.read_text(encoding="utf-8")
    assert term in segment(f"推进{term}建设，加快发展")


def test_punctuation_and_spaces_are_dropped() -> None:
    assert segment("会议强调，要深入 贯彻。") == ["会议", "强调", "要", "深入", "贯彻"]
