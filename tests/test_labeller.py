"""The learned line labeller: its corpus reader, renderer, features, decoding and confidence.

None of these tests needs the People's Daily dump: articles are cut from the real sample issue
and written in the dump's own format.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from flows.ingest import read_issue
from flows.labeller import roles
from flows.labeller.corpus import DumpArticle, parse_article, read_days
from flows.labeller.features import _signed_ahead, _topic, issue_features, issue_tokens
from flows.labeller.model import (
    ALLOWED,
    MODEL_PATH,
    _allowed,
    _emissions,
    _marginals,
    _viterbi,
    label_issue,
    load_weights,
    model_card,
)
from flows.labeller.render import FAMILIES, Layout, is_composite, random_layout, render_issue
from flows.labeller.train import TrainSettings, render_days, train
from flows.models import Issue
from flows.parse import parse_issue
from flows.split import split_issue, split_lines
from flows.text.layout import Kind, read_lines

SAMPLE_DAY = date(2025, 12, 30)


@pytest.fixture(scope="module")
def sample_articles(sample_issue: Issue) -> list[DumpArticle]:
    """The sample's articles as the dump would hold them: heading slots, then paragraphs."""
    articles, _ = split_issue(sample_issue.text)
    return [
        DumpArticle(
            day=SAMPLE_DAY,
            page=1 + k // 4,
            place=k + 1,
            kicker=a.kicker or "",
            headline=a.headline or "",
            subtitle=a.subtitle or "",
            paragraphs=tuple(a.paragraphs),
        )
        for k, a in enumerate(articles)
    ]


def test_a_dump_file_is_read_as_its_heading_slots_and_paragraphs(tmp_path: Path) -> None:
    text = (
        "\r\n兜住兜准民生底线\r\n\r\n"
        "\u3000\u3000本报北京12月29日电\xa0正文第一段。\r\n\u3000\u3000第二段。\r\n\u3000\u3000\r\n"
    )
    article = parse_article("20251230-02-03.txt", text)
    assert article == DumpArticle(
        day=SAMPLE_DAY,
        page=2,
        place=3,
        kicker="",
        headline="兜住兜准民生底线",
        subtitle="",
        paragraphs=("本报北京12月29日电\xa0正文第一段。", "第二段。"),
    )
    assert parse_article("readme.txt", text) is None
    assert parse_article("20251230-02-04.txt", "\r\n\r\n\r\n") is None  # no headline
    month = tmp_path / "2025年12月" / "20251230"
    month.mkdir(parents=True)
    (month / "20251230-02-03.txt").write_text(text, encoding="utf-8")
    assert read_days(tmp_path, ["2025年12月"]) == {SAMPLE_DAY: [article]}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_layout_family_renders_a_label_for_every_line(
    sample_articles: list[DumpArticle], family: str
) -> None:
    rng = random.Random(family)
    layout = random_layout(rng, [family])
    rendered = render_issue(sample_articles, SAMPLE_DAY, layout, rng)
    text = read_issue("x.txt", rendered.text.encode("utf-8")).text
    assert len(split_lines(text)) == len(rendered.labels)
    assert set(rendered.labels) <= set(roles.LABELS)
    starts = [label for label in rendered.labels if label in roles.BEGINS]
    assert len(starts) == len(rendered.gold) == len(sample_articles)
    assert [g["headline"] for g in rendered.gold] == [a.headline for a in sample_articles]


@pytest.mark.parametrize("family", ["every/flush", "none/indented"])
def test_a_story_s_bracketed_closing_line_is_labelled_closing(
    sample_articles: list[DumpArticle], family: str
) -> None:
    """Whatever it holds, a bracketed line closing a story is `closing`, and only such a line."""
    rng = random.Random(f"closing:{family}")
    ended = [replace(a, paragraphs=(*a.paragraphs, "（本报记者 贺 勇采访整理）")) for a in sample_articles]
    rendered = render_issue(ended, SAMPLE_DAY, random_layout(rng, [family]), rng)
    text = read_issue("x.txt", rendered.text.encode("utf-8")).text
    infos, _ = read_lines(split_lines(text))
    closing = [f.kind == Kind.END_BRACKET for f in infos]
    assert [label == roles.CLOSING for label in rendered.labels] == closing
    assert sum(closing) >= len(sample_articles)


def test_a_column_of_stories_each_closed_by_its_source_is_left_out(
    sample_articles: list[DumpArticle],
) -> None:
    """Stories printed one after the other under one heading, each closed by its own bracketed
    byline, are a composite; one story closed by one is not."""
    first, second = sample_articles[1], sample_articles[2]
    column = replace(
        first,
        paragraphs=(*first.paragraphs, "（本报记者 王锦涛整理）", second.headline, *second.paragraphs),
    )
    assert is_composite(column)
    assert not is_composite(replace(first, paragraphs=(*first.paragraphs, "（本报记者 王锦涛整理）")))


def test_words_shared_across_a_title_tell_a_new_article_from_a_subhead() -> None:
    """Under a new article's title the text starts afresh; a subhead's text goes on."""
    lines = [
        "曾赞荣、宋迎东分别介绍了青岛市和哈尔滨工程大学发展情况,围绕共建哈工程青岛创新发展基地和深化海洋"
        "科技产业、人才培养等领域合作进行交流,表示将在前期良好合作基础上,持续加强沟通对接。",
        "市领导宋明杰、赵燕参加会见。",
        "全国首个人力资源出海综合服务港在青成立",  # a new article's headline, no byline under it
        "会上,全国首个人力资源出海综合服务港揭牌成立。综合服务港以国家级青岛人力资源服务产业园为依托,"
        "设置跨境人力资源服务专区、国际人才服务专区。",
        "第二届人力资源服务国际交流合作大会日前在青岛举行。大会以“汇聚行业创新力量 共塑企业出海优势”"
        "为主题,推动跨境人力资源服务机构协同创新、融合发展。",
        "跨境人力资源服务协同创新",  # a subhead of the same article
        "会议期间还举行了首届人力资源服务贸易供需对接会,50多家参展机构现场推介、洽谈合作,其中包括东南亚"
        "“人才+”综合服务合作项目等一批项目现场签约。",
    ]
    infos, _ = read_lines(split_lines("\n".join(lines)))
    topic = _topic(infos, _signed_ahead(infos))
    assert set(topic) == {2, 5}
    assert topic[2] == ("cont=0", "hbef=0")
    assert topic[5] == ("cont=hi", "hbef=hi")


def test_rendering_is_seeded(sample_articles: list[DumpArticle]) -> None:
    def once() -> str:
        rng = random.Random(5)
        return render_issue(sample_articles, SAMPLE_DAY, random_layout(rng), rng).text

    assert once() == once()


def test_the_shipped_model_says_what_it_was_trained_on() -> None:
    card = model_card()
    assert "people-daily-crawler-date" in card["source"]
    assert card["settings"]["months"] == ["2019年2月", "2020年2月", "2020年5月"]
    assert card["settings"]["seed"] and card["trained"]["issues"] >= 100
    assert MODEL_PATH.stat().st_size < 3_000_000
    assert set(load_weights().labels) >= set(roles.LABELS) - {roles.KICKER}


def test_the_labeller_adds_neighbour_weights_as_the_spelled_out_features_say(sample_issue: Issue) -> None:
    """Emissions from shared tokens and offsets equal the sum over every spelled-out attribute."""
    infos, layout = read_lines(split_lines(sample_issue.text))
    weights = load_weights()
    document = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    column = {label: k for k, label in enumerate(weights.labels)}
    expected = np.zeros((len(infos), len(weights.labels)))
    for i, row in enumerate(issue_features(infos, layout)):
        for attribute in row:
            for label, weight in document["state"].get(attribute, {}).items():
                expected[i, column[label]] += weight
    assert np.allclose(_emissions(weights, issue_tokens(infos, layout)), expected)


def test_decoding_keeps_to_what_the_rules_allow() -> None:
    lines = [
        "人民日报 2019年2月1日 星期五 第2版",
        "要闻",
        "习近平同卡塔尔埃米尔塔米姆举行会谈",
        "本报记者 杜一菲",
        "\u3000\u3000本报北京1月31日电\u3000国家主席习近平31日在人民大会堂同塔米姆举行会谈。",
        "\u3000\u3000两国元首一致同意，深化中卡战略伙伴关系。",
        "责任编辑：王比学",
        "This line has no Chinese character",
    ]
    infos, layout = read_lines(split_lines("\n".join(lines)))
    labelled = label_issue(infos, layout)
    for f, label in zip(infos, labelled.labels, strict=True):
        assert label in ALLOWED[f.kind]
    assert labelled.labels[:2] == [roles.FURNITURE, roles.FURNITURE]  # a section under a page header
    assert labelled.labels[6] == roles.CREDIT
    assert labelled.labels[7] not in roles.HEADING
    assert infos[4].kind == Kind.DATELINE


def _plain_marginals(scores: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Forward-backward one line at a time, in log space: the reference the labeller must match."""
    n, size = scores.shape
    alpha, beta = np.empty((n, size)), np.zeros((n, size))
    alpha[0] = scores[0]
    for t in range(1, n):
        alpha[t] = np.logaddexp.reduce(alpha[t - 1][:, None] + transitions, axis=0) + scores[t]
    for t in range(n - 2, -1, -1):
        beta[t] = np.logaddexp.reduce(transitions + scores[t + 1] + beta[t + 1], axis=1)
    joint = alpha + beta
    joint = np.exp(joint - joint.max(axis=1, keepdims=True))
    return joint / joint.sum(axis=1, keepdims=True)


def _plain_viterbi(scores: np.ndarray, transitions: np.ndarray) -> list[int]:
    """Viterbi over every line: the reference the labeller's anchored Viterbi must match."""
    back = np.zeros(scores.shape, dtype=int)
    best = scores[0]
    for t in range(1, len(scores)):
        candidates = best[:, None] + transitions
        back[t], best = candidates.argmax(axis=0), candidates.max(axis=0) + scores[t]
    path = [int(best.argmax())]
    for t in range(len(scores) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


@pytest.mark.parametrize("copies", [1, 9])
def test_chunked_decoding_matches_line_by_line_decoding(sample_issue: Issue, copies: int) -> None:
    """Forward-backward by chunks and Viterbi between sure lines give the plain algorithms' answers."""
    fixtures = sorted((Path(__file__).parent / "fixtures" / "layouts").glob("*.txt"))
    texts = [sample_issue.text] + [read_issue(p.name, p.read_bytes()).text for p in fixtures[:copies]]
    infos, layout = read_lines(split_lines("\n".join(texts)))
    weights = load_weights()
    scores = _emissions(weights, issue_tokens(infos, layout))
    scores[~_allowed(weights, infos)] = -np.inf
    marginals = _marginals(scores, weights.transitions)
    assert np.allclose(marginals, _plain_marginals(scores, weights.transitions), atol=1e-9)
    assert np.allclose(marginals.sum(axis=1), 1.0)
    assert _viterbi(scores, weights.transitions, marginals) == _plain_viterbi(scores, weights.transitions)


def test_the_sample_splits_as_its_expected_parse_says(sample_issue: Issue) -> None:
    expected = json.loads((Path(__file__).parent / "fixtures" / "sample.expected.json").read_text("utf-8"))
    parsed = parse_issue(sample_issue, date(2026, 1, 15)).to_json()
    keys = ("kicker", "headline", "subtitle", "byline", "reporters", "correspondents", "dateline")
    keys += ("dateline_date", "paragraphs", "subheads", "credits")
    assert [{k: a[k] for k in keys} for a in parsed["articles"]] == [
        {k: a[k] for k in keys} for a in expected["articles"]
    ]
    assert parsed["residue"] == expected["residue"]


def test_doubted_lines_are_named_in_a_split_uncertain_finding(sample_issue: Issue) -> None:
    sure, _ = split_issue(sample_issue.text, doubt_below=0.0)
    assert all(not a.doubts and not a.findings for a in sure)
    doubtful, _ = split_issue(sample_issue.text, doubt_below=1.0)  # every line is in doubt
    for article in doubtful:
        (finding,) = [f for f in article.findings if f.check == "split_uncertain"]
        assert finding.severity == "warning" and finding.seq == article.seq
        first_line, role, _ = article.doubts[0]
        assert f"line {first_line} {role}" in finding.detail
        assert 0.0 <= article.confidence <= 1.0


def test_confidence_and_doubts_reach_the_parse_contract(
    sample_issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("flows.split.DOUBT_BELOW", 1.0)
    doc = parse_issue(sample_issue, date(2026, 1, 15)).to_json()
    article = doc["articles"][0]
    assert 0.0 <= article["split_confidence"] <= 1.0
    assert article["uncertain_lines"] and {"n", "role", "confidence"} == set(article["uncertain_lines"][0])
    assert any(f["check"] == "split_uncertain" for f in article["findings"])


def test_a_model_trains_from_rendered_issues_and_labels_with_it(
    sample_articles: list[DumpArticle], tmp_path: Path
) -> None:
    """The training path end to end, small and twice: render, train, export the weights, label."""
    settings = TrainSettings(months=("2025年12月",), renderings=3, iterations=30)
    days = {SAMPLE_DAY: sample_articles}
    model, again = tmp_path / "model.json", tmp_path / "again.json"
    facts = train(render_days(days, settings), model, settings)
    assert facts["issues"] == 3 and facts["lines"] > 100
    train(render_days(days, settings), again, settings)
    first, second = (json.loads(p.read_text("utf-8")) for p in (model, again))
    assert first["state"] == second["state"] and first["transitions"] == second["transitions"]
    rendered = next(render_days(days, settings, salt="test"))
    text = read_issue("x.txt", rendered.text.encode("utf-8")).text
    infos, layout = read_lines(split_lines(text))
    labels = label_issue(infos, layout, model).labels
    agree = sum(a == b for a, b in zip(labels, rendered.labels, strict=True)) / len(labels)
    assert agree > 0.8


def test_a_layout_names_its_family() -> None:
    assert Layout(spacing="every", indent="").family == "every/flush"
    assert Layout(spacing="none", indent="\u3000\u3000").family == "none/indented"
