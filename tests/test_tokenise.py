"""Segmentation with the newspaper user dictionary, keywords and named entities, on the sample."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import jieba
import polars as pl
import pytest
from jieba.analyse.tfidf import IDFLoader
from polars.testing import assert_frame_equal

from flows.settings import USER_DICT
from flows.tokenise import (
    ENTITY_SCHEMA,
    KEYWORD_SCHEMA,
    TOKENS_SCHEMA,
    Segmenter,
    WordMemo,
    analyse_articles,
    analyse_batch,
    count_entities_of,
    cut_words,
    entity_kind,
    entity_kinds,
    entity_stopwords,
    extract_entities,
    extract_keywords,
    jieba_idf_file,
    named_words,
    parse_user_dictionary,
    rank_keywords,
    read_idf_table,
    segment,
    segmenter,
)
from flows.validate import validate_issues

DICTIONARY = parse_user_dictionary(USER_DICT.read_text(encoding="utf-8"))
NO_DICTIONARY = Path("/nonexistent/newspaper_dict.txt")


@pytest.fixture(scope="module")
def sample_articles(sample_parsed) -> pl.DataFrame:
    return validate_issues([sample_parsed])[0].articles


@pytest.fixture(scope="module")
def sample_text(sample_articles):
    return analyse_articles(sample_articles)


@pytest.fixture(scope="module")
def jieba_tokenizer() -> jieba.Tokenizer:
    """jieba itself with the same dictionary: the reference rjieba must agree with."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    tokenizer.load_userdict(str(USER_DICT))
    return tokenizer


def article_id_of(articles: pl.DataFrame, headline_start: str) -> str:
    return articles.filter(pl.col("headline").str.starts_with(headline_start))["article_id"].item()


@pytest.mark.parametrize("term", ["观海新闻", "上合示范区", "新质生产力", "科创大走廊"])
def test_dictionary_terms_are_one_token(term: str) -> None:
    assert term in {e.word for e in DICTIONARY}
    assert term in segment(f"推进{term}建设，加快发展")


def test_every_dictionary_term_is_one_token_in_a_sentence() -> None:
    split = [e.word for e in DICTIONARY if e.word not in segment(f"推进{e.word}建设，加快发展")]
    assert split == []


def test_without_the_dictionary_the_terms_are_split() -> None:
    bare = segmenter(NO_DICTIONARY)
    assert bare is not segmenter()
    for term in ["上合示范区", "新质生产力", "曾赞荣", "哈工程青岛创新发展基地"]:
        assert term not in bare.cut(f"推进{term}建设"), term
        assert term in segmenter().cut(f"推进{term}建设"), term


def test_the_segmenter_is_built_once_per_process() -> None:
    assert segmenter() is segmenter()


def test_dictionary_tags_win_over_the_base_dictionary() -> None:
    assert ("齐鲁", "nr") in segmenter(NO_DICTIONARY).tag("来到齐鲁的乡村")  # jieba's own tag
    assert ("齐鲁", "ns") in segmenter().tag("来到齐鲁的乡村")
    assert ("长木谷", "nt") in segmenter().tag("长木谷项目落户青岛")


def test_punctuation_and_spaces_are_dropped() -> None:
    assert segment("会议强调，要深入 贯彻。") == ["会议", "强调", "要", "深入", "贯彻"]


def test_chinese_text_is_cut_exactly_as_jieba_cuts_it(sample_articles, jieba_tokenizer) -> None:
    for body in sample_articles["body"]:
        chinese = re.sub(r"[\x00-\x7f]+", "，", body)  # runs of ASCII are where the two differ
        expected = [w for w in jieba_tokenizer.cut(chinese) if w.strip() and w != "，"]
        assert segment(chinese) == [w for w in expected if re.search(r"\w", w)]


def test_keywords_match_jieba_tfidf(sample_articles, jieba_tokenizer) -> None:
    import jieba.analyse

    tfidf = jieba.analyse.TFIDF()
    tfidf.tokenizer = jieba_tokenizer
    body = re.sub(r"[\x00-\x7f]+", "，", sample_articles["body"][4])  # numbers are skipped on purpose
    expected = tfidf.extract_tags(body, topK=10, withWeight=True)
    got = extract_keywords(segment(body))
    assert [w for w, _ in got] == [w for w, _ in expected]
    assert [round(x, 9) for _, x in got] == [round(x, 9) for _, x in expected]


def test_keywords_of_the_changmugu_article(sample_articles, sample_text) -> None:
    article = article_id_of(sample_articles, "填补骨科智能手术装备领域空白")
    rows = sample_text.keywords.filter(pl.col("article_id") == article).sort("rank")
    assert rows["rank"].to_list() == list(range(1, 11))
    assert rows["keyword"].to_list()[:3] == ["手术机器人", "长木谷", "人工智能"]
    weights = rows["weight"].to_list()
    assert weights == sorted(weights, reverse=True) and weights[-1] > 0


def test_no_keyword_is_a_bare_number(sample_text) -> None:
    assert sample_text.keywords.height == 10 * sample_text.tokens.height
    assert not sample_text.keywords.filter(pl.col("keyword").str.contains(r"^[\d.%]+$")).height


def test_entities_say_who_and_where(sample_articles, sample_text) -> None:
    meeting = article_id_of(sample_articles, "曾赞荣任刚会见")
    rows = sample_text.entities.filter(pl.col("article_id") == meeting)
    found = {(e, k): n for _, e, k, n in rows.iter_rows()}
    assert {e for e, k in found if k == "person"} == {"曾赞荣", "任刚", "宋迎东", "殷敬伟", "宋明杰", "赵燕"}
    assert found[("宋迎东", "person")] == 3
    assert found[("哈尔滨工程大学", "organisation")] == 2
    assert ("府新大厦", "place") in found
    changmugu = article_id_of(sample_articles, "填补骨科智能手术装备领域空白")
    rows = sample_text.entities.filter(pl.col("article_id") == changmugu)
    found = {(e, k): n for _, e, k, n in rows.iter_rows()}
    assert found[("长木谷", "organisation")] == 6
    assert found[("青岛高新区", "place")] == 2


def test_common_words_jieba_tags_as_names_are_not_entities(sample_text) -> None:
    entities = set(sample_text.entities["entity"])
    assert entities.isdisjoint(entity_stopwords())
    assert all(len(e) >= 2 for e in entities)
    assert set(sample_text.entities["kind"]) == {"person", "place", "organisation"}


@pytest.mark.parametrize(
    ("word", "flag", "kind"),
    [
        ("宋迎东", "nr", "person"),
        ("欧阳明远", "nr", "person"),
        ("严于律己", "nr", None),
        ("弘扬", "nr", None),
        ("城阳区", "ns", "place"),
        ("青", "ns", None),
        ("哈尔滨工程大学", "nt", "organisation"),
        ("12388", "nt", None),
        ("会见", "v", None),
    ],
)
def test_entity_kind(word: str, flag: str, kind: str | None) -> None:
    assert entity_kind(word, flag, entity_stopwords()) == kind
    frame = pl.DataFrame({"word": [word], "flag": [flag]})
    assert frame.select(entity_kinds(entity_stopwords()))[0, 0] == kind  # the same, for a frame


def test_every_dictionary_name_is_judged_alike_one_by_one_and_at_once() -> None:
    words = pl.read_csv(
        jieba_idf_file().parent.parent / "dict.txt",
        separator=" ",
        has_header=False,
        new_columns=["word", "freq", "flag"],
        schema_overrides={"word": pl.String, "freq": pl.String, "flag": pl.String},
        quote_char=None,
    ).filter(pl.col("flag").str.starts_with("n"))
    stopwords = entity_stopwords()
    expected = [entity_kind(w, f, stopwords) for w, f in words.select("word", "flag").iter_rows()]
    assert words.select(entity_kinds(stopwords))[:, 0].to_list() == expected


def test_frames_line_up_with_the_tokens(sample_articles, sample_text) -> None:
    assert sample_text.keywords.schema == pl.Schema(KEYWORD_SCHEMA)
    assert sample_text.entities.schema == pl.Schema(ENTITY_SCHEMA)
    assert sample_text.tokens.schema == pl.Schema(TOKENS_SCHEMA)
    assert sample_text.tokens["article_id"].to_list() == sample_articles["article_id"].to_list()
    for row, (headline, body) in enumerate(sample_articles.select("headline", "body").iter_rows()):
        assert sample_text.tokens["tokens"][row] == " ".join(segment(f"{headline or ''}\n{body}"))


def test_search_words_are_jieba_search_mode(sample_articles) -> None:
    seg = segmenter()
    for body in sample_articles["body"]:
        body = re.sub(r"[\x00-\x7f]+", "，", body)  # rjieba's search mode also splits ASCII runs
        expected = [w for w in seg.jieba.cut_for_search(body) if w.strip() and re.search(r"\w", w)]
        assert seg.search_words(seg.cut(body)) == expected
    assert seg.search_words(["手术机器人"]) == ["手术", "机器", "机器人", "手术机器人"]


def test_search_tokens_hold_every_token(sample_text) -> None:
    for tokens, search_tokens in sample_text.tokens.select("tokens", "search_tokens").iter_rows():
        assert set(tokens.split(" ")) <= set(search_tokens.split(" "))
        assert len(search_tokens) > len(tokens)


@pytest.fixture(scope="module")
def batch_of_issues(sample_parsed) -> list[pl.DataFrame]:
    """The sample, a synthetic issue drawn from it, and the sample again (two files, one content)."""
    import random
    from datetime import date

    from bench.synthetic import synthetic_issue
    from flows.ingest import read_issue
    from flows.parse import parse_issue

    text = synthetic_issue(date(2024, 3, 1), random.Random(7))
    other = parse_issue(read_issue("qingdao-daily-2024-03-01.txt", text.encode("utf-8")), date(2026, 1, 1))
    return [validate_issues([p])[0].articles for p in (sample_parsed, other, sample_parsed)]


def test_a_batch_is_analysed_as_each_issue_alone(batch_of_issues) -> None:
    batch = analyse_batch(batch_of_issues)
    assert len(batch) == 3
    for articles, together in zip(batch_of_issues, batch, strict=True):
        alone = analyse_articles(articles)
        for table in ("tokens", "keywords", "entities"):
            assert_frame_equal(getattr(together, table), getattr(alone, table))
    assert batch[0].entities.height > 20 and batch[1].keywords.height == 10 * batch_of_issues[1].height


def test_batch_keywords_and_entities_are_those_of_each_article_alone(batch_of_issues) -> None:
    """The vectorised ranking and naming against the plain per-article functions."""
    from collections import Counter

    text = analyse_batch(batch_of_issues[:2])
    for articles, result in zip(batch_of_issues[:2], text, strict=True):
        for article_id, headline, body in articles.select("article_id", "headline", "body").iter_rows():
            tagged = segmenter().tag(f"{headline or ''}\n{body}")
            keywords = result.keywords.filter(pl.col("article_id") == article_id).sort("rank")
            expected = rank_keywords(Counter(w for w, _ in tagged))
            assert list(zip(keywords["keyword"], keywords["weight"], strict=True)) == expected
            entities = result.entities.filter(pl.col("article_id") == article_id)
            assert [tuple(r[1:]) for r in entities.iter_rows()] == extract_entities(tagged)
            tokens = result.tokens.filter(pl.col("article_id") == article_id)["tokens"].item()
            assert tokens.split(" ") == [w for w, _ in tagged]


def test_an_empty_batch_and_an_issue_without_articles(sample_articles) -> None:
    assert analyse_batch([]) == []
    empty, full = analyse_batch([sample_articles.clear(), sample_articles])
    heights = (empty.tokens.height, empty.keywords.height, empty.entities.height)
    assert heights == (0, 0, 0)
    assert empty.keywords.schema == KEYWORD_SCHEMA and empty.tokens.schema == TOKENS_SCHEMA
    assert full.tokens.height == sample_articles.height


@pytest.mark.parametrize("source", ["jieba", "repeated"])
def test_the_idf_table_is_read_as_jieba_reads_it(tmp_path: Path, source: str) -> None:
    """Same words, weights and median as jieba's IDFLoader; a repeated word keeps its last weight."""
    path = jieba_idf_file()
    if source == "repeated":
        path = tmp_path / "idf.txt"
        path.write_text("新闻 5.5\n青岛 9.25\n新闻 7.0\n港口 8.0\n青岛 1.5\n", encoding="utf-8")
    table, median = read_idf_table(path)
    loader = IDFLoader(str(path))
    assert dict(zip(table["word"], table["idf"], strict=True)) == loader.idf_freq
    assert table.height == len(loader.idf_freq)
    assert median == loader.median_idf


def test_the_dictionary_names_people_places_and_organisations() -> None:
    """What rjieba's tags say of a dictionary word, the user dictionary's tag winning."""
    kinds = dict(named_words().filter(pl.col("word").is_in(["齐鲁", "长木谷", "会见", "弘扬"])).iter_rows())
    assert kinds == {"齐鲁": "place", "长木谷": "organisation"}  # 会见 is a verb, 弘扬 a stop word


def test_names_the_dictionary_lacks_are_found_by_their_tag() -> None:
    """瞿建芳 is no dictionary word: rjieba's HMM finds it and tags it nr."""
    seg = segmenter()
    assert not seg.jieba.has_word("瞿建芳")
    text = analyse_batch(
        [pl.DataFrame({"article_id": ["a"], "headline": ["会见"], "body": ["瞿建芳出席。"]})]
    )
    assert text[0].entities.select("entity", "kind", "count").rows() == [("瞿建芳", "person", 1)]


def test_a_word_cut_otherwise_alone_is_named_from_its_text(sample_articles) -> None:
    """Tagging a guessed word in its article gives what tagging it alone gives."""
    seg = segmenter()
    in_text_only = Segmenter(jieba=seg.jieba, user_tags=seg.user_tags)
    object.__setattr__(in_text_only, "guessed_flag", lambda word: None)  # as if every guess re-cut alone
    texts = [f"{h or ''}\n{b}" for h, b in sample_articles.select("headline", "body").iter_rows()]
    words = cut_words(seg, texts)
    counts = words.group_by("article", "word", maintain_order=True).agg(pl.len().cast(pl.UInt32).alias("n"))
    alone = count_entities_of(counts, seg, texts.__getitem__)
    assert_frame_equal(count_entities_of(counts, in_text_only, texts.__getitem__), alone)
    assert alone.height > 20


def test_a_word_memo_asks_only_about_words_it_has_not_seen() -> None:
    asked: list[str] = []

    def guess(word: str) -> str | None:
        asked.append(word)
        return None if word == "瞿建芳" else word[::-1]

    memo = WordMemo(guess, limit=3)
    first = memo.of(pl.Series(["机器人", "瞿建芳", "青岛"]))
    assert first.rows() == [("机器人", "人器机"), ("瞿建芳", None), ("青岛", "岛青")]
    again = memo.of(pl.Series(["青岛", "会见", "机器人"]))
    assert again.rows() == [("青岛", "岛青"), ("会见", "见会"), ("机器人", "人器机")]
    assert asked == ["机器人", "瞿建芳", "青岛", "会见"]  # each once
    assert memo.known.height == 3  # the earliest learnt (机器人) forgotten
    assert memo.of(pl.Series(["机器人"])).rows() == [("机器人", "人器机")] and asked[-1] == "机器人"
