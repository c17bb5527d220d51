"""rag.answer.compose with a stand-in reader (the reader itself is tested in test_reader.py): how the
parts of a question share the units read for them. Real fugashi, glossary and answer-line rendering."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from rag.answer import compose, line_company
from rag.answer.question_parts import split_parts
from rag.answer.reader import ReadUnit
from rag.schema import Hit

SENTENCE = "ウォルマートは、2026年までに65%のストアをオートメーション化し、50%のEコマース フルフィルメント業務を自動化する目標を設定しています。"
ROW = "指標: Eコマース自動化 / 目標: 50%"


def _hit(path: str) -> Hit:
    return Hit(
        doc_id="W",
        title="Walmart",
        heading_path=(path,),
        text=SENTENCE,
        start_line=1,
        end_line=2,
        score=1.0,
        source="t",
    )


def _unit(text: str, span: str, p: float, section: int) -> ReadUnit:
    return ReadUnit(
        doc_id="W",
        heading_path=(f"s{section}",),
        start_line=section + 1,
        end_line=section + 1,
        text=text,
        span=span,
        answer_type="percent",
        span_kind="percent",
        probability=p,
        top_probability=0.8,
        section=section,
    )


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> None:
    def read(part: str, hits: Any, lang: str, **_: Any) -> list[ReadUnit]:
        if "stores" in part and "fulfillment" in part:  # the whole question
            return [_unit(SENTENCE, "65%", 0.40, 0), _unit(ROW, "50%", 0.30, 1)]
        if "stores" in part:
            return [_unit(SENTENCE, "65%", 0.35, 0)]
        return [_unit(ROW, "50%", 0.34, 1), _unit(SENTENCE, "65%", 0.32, 0)]

    monkeypatch.setattr(compose, "read", read)


def test_a_later_part_is_not_answered_with_the_figure_an_earlier_part_gave(reader: None) -> None:
    """The unit scorer chose only the sentence's section: the later part still finds the unit of its own
    figure among the units read for it (it was answered "65%" twice)."""
    q = "By 2026, what share of its stores and what share of e-commerce fulfillment does Walmart want automated?"
    parts = split_parts(q, "en")
    assert len(parts) == 2
    hits = [_hit("s0"), _hit("s1")]
    extra = [_unit(SENTENCE, "65%", 0.5, 0)]  # the unit scorer's choice: the sentence only
    out = compose.compose(q, parts, hits, "en", None, extra=extra, scored={("W", ("s0",)), ("W", ("s1",))})
    lines = [ln for ln in out.lines if ln and not ln.startswith(">")]
    assert "65%" in lines[0] and "50%" in lines[1], lines


@pytest.mark.parametrize(
    "q,parts",
    [
        (
            "When did KDDI start offering KDDI AI-Chat, and to how many employees?",
            [
                "When did KDDI start offering KDDI AI-Chat?",
                "to how many employees did KDDI start offering KDDI AI-Chat?",
            ],
        ),
        (
            "When was Hugging Face founded, and by whom?",
            ["When was Hugging Face founded?", "by whom was Hugging Face founded?"],
        ),
        (
            "What valuation did Mistral AI reach, and who led the round?",
            ["What valuation did Mistral AI reach?", "who led the round?"],
        ),
        ("What was the ratio of spend to revenue in 2024?", ["What was the ratio of spend to revenue in 2024?"]),
    ],
)
def test_a_second_question_may_start_with_a_preposition(q: str, parts: list[str]) -> None:
    """… and is then completed with the first one's clause (alone it names nothing to count)."""
    assert split_parts(q, "en") == parts


@pytest.mark.parametrize(
    ("q", "parts"),
    [
        (
            "What were Acme's Army contract of August 2024 and its additional contract of September 2024 worth?",
            [
                "What were Acme's Army contract of August 2024 worth?",
                "What were Acme's additional contract of September 2024 worth?",
            ],
        ),
        (
            "What are Mistral AI's valuation and its lead investor?",
            ["What are Mistral AI's valuation?", "What are Mistral AI's lead investor?"],
        ),
        ("What is the company and its parent?", ["What is the company and its parent?"]),  # no owner named
        ("What was the ratio of spend to revenue in 2024?", ["What was the ratio of spend to revenue in 2024?"]),
    ],
)
def test_two_things_of_one_owner_are_two_parts(q: str, parts: list[str]) -> None:
    """ "X's A and its B": the second thing is X's too (Scale AI's second contract was left unanswered)."""
    assert split_parts(q, "en") == parts


@pytest.mark.parametrize(
    ("q", "parts"),
    [
        (
            "What was Runway's revenue in 2023 and in 2024?",
            ["What was Runway's revenue in 2023?", "What was Runway's revenue in 2024?"],
        ),
        ("What was revenue in 2023 and 2024?", ["What was revenue in 2023?", "What was revenue in 2024?"]),
        (
            "What does the model score on GPQA and on MATH?",
            ["What does the model score on GPQA?", "What does the model score on MATH?"],
        ),
        # one figure in two units is read together; "A and B" without the preposition again is one thing
        (
            "How much time does it save, in minutes and in percent?",
            ["How much time does it save, in minutes and in percent?"],
        ),
        ("What is the role of AI in sales and marketing?", ["What is the role of AI in sales and marketing?"]),
    ],
)
def test_one_question_asked_of_two_things_is_two_parts(q: str, parts: list[str]) -> None:
    """ "… in 2023 and in 2024?": the same question of each (Runway's 2023 revenue went unanswered)."""
    assert split_parts(q, "en") == parts


def test_a_later_part_takes_another_value_of_its_kind_from_the_same_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    """「制作時間4.0日→1.2日」 answered "after" with 1.2日; "before" is the unit's other value of that kind,
    not a neighbouring unit's."""
    text = "項目: 制作時間 / 従来: 4.0日 / AI導入後: 1.2日"

    def read(part: str, hits: Any, lang: str, **_: Any) -> list[ReadUnit]:
        u = _unit(text, "1.2日", 0.6, 0)
        other = _unit("項目: 修正回数 / 従来: 3回 / AI導入後: 1回", "3回", 0.4, 1)
        return [replace(u, answer_type="duration", span_kind="duration"), other]

    monkeypatch.setattr(compose, "read", read)
    parts = ["How many days did a project take after AI?", "How many days did a project take before AI?"]
    out = compose.compose(parts[0], parts, [_hit("s0"), _hit("s1")], "en", None)
    lines = [ln for ln in out.lines if ln and not ln.startswith(">")]
    assert "1.2 days" in lines[0] and "4.0 days" in lines[1], lines


def test_a_further_quote_from_another_section_must_hold_an_asked_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer line cites s0; the unit scorer's unit of s1 holds a share (answers "what share"), the one
    of s2 only prose: s2 is not quoted or cited (it lowered citation precision), s1 is. A question asking no
    typed value keeps every further quote."""

    def read(part: str, hits: Any, lang: str, **_: Any) -> list[ReadUnit]:
        return [_unit(SENTENCE, "65%", 0.6, 0)]

    monkeypatch.setattr(compose, "read", read)
    prose = replace(
        _unit("ウォルマートは店舗業務の自動化を進めている。", "", 0.5, 2), answer_type="other", span_kind=""
    )
    extra = [_unit(ROW, "50%", 0.5, 1), prose]
    hits = [_hit("s0"), _hit("s1"), _hit("s2")]
    q = "What share of its stores does Walmart want automated by 2026?"
    out = compose.compose(q, [q], hits, "en", None, extra=extra)
    cited = {c.heading_path for c in out.citations}
    assert cited == {("s0",), ("s1",)}, out.text
    assert "店舗業務" not in out.text
    who = "Who runs the automation at Walmart?"
    out = compose.compose(who, [who], hits, "en", None, extra=extra)
    assert ("s2",) in {c.heading_path for c in out.citations}, out.text


@pytest.mark.parametrize(
    "q,parts",
    [
        (
            "How many people were on the SC-AI Hub team when it started, compared with today?",
            [
                "How many people were on the SC-AI Hub team when it started?",
                "How many people were on the SC-AI Hub team today?",
            ],
        ),
        (
            "What multiple did Inflection AI's Series A investors get back, compared with Series B investors?",
            [
                "What multiple did Inflection AI's Series A investors get back?",
                "What multiple did Inflection AI's Series B investors get back?",
            ],
        ),
        # nothing in the question to put the compared thing in the place of: one question
        (
            "By how much did AI-written job descriptions lift applications compared with human-written ones?",
            ["By how much did AI-written job descriptions lift applications compared with human-written ones?"],
        ),
    ],
)
def test_a_question_compared_with_something_else_is_asked_of_both(q: str, parts: list[str]) -> None:
    assert split_parts(q, "en") == parts


@pytest.mark.parametrize(
    "lang,q,want",
    [
        (
            "en",
            "How much did Sumitomo Corporation and Best Buy each spend up front?",
            "Not in the library for Sumitomo Corporation: How much did",
        ),
        (
            "ja",
            "住友商事とベストバイはそれぞれ初期投資にいくら使った？",
            "ライブラリにない情報（住友商事）：住友商事と",
        ),
    ],
)
def test_a_company_read_on_its_own_is_named_where_its_document_lacks_the_answer(
    monkeypatch: pytest.MonkeyPatch, lang: str, q: str, want: str
) -> None:
    """A question asked of two companies is read per company; the one whose document gives no answer is
    named on its "not in the library" line (it read as if the whole question went unanswered, beside
    the other company's answer)."""
    names = {"S": {"en": "Sumitomo Corporation", "ja": "住友商事"}, "B": {"en": "Best Buy", "ja": "ベストバイ"}}
    for module in (compose, line_company):  # the "not in the library" line and the answer lines
        monkeypatch.setattr(module, "company_name", lambda _snap, doc, lg: names[doc][lg])

    def read(part: str, hits: Any, lang: str, **_: Any) -> list[ReadUnit]:
        if hits[0].doc_id == "S":
            return []
        return [replace(_unit("総初期投資: $7-11.5M", "$7-11.5M", 0.9, 0), doc_id="B", answer_type="amount")]

    monkeypatch.setattr(compose, "read", read)
    per_doc = {d: [replace(_hit("s0"), doc_id=d)] for d in ("S", "B")}
    out = compose.compose(q, [q], [], lang, None, per_doc)
    lines = [ln for ln in out.lines if ln and not ln.startswith(">")]
    assert lines[0].startswith(want), lines
    assert "7" in lines[1] and not lines[1].startswith(want[:8]), lines


def test_an_elliptic_part_is_answered_from_the_unit_the_part_before_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """ "…, and over what period?" asks about what the first part asked about: the period in the first
    part's own sentence answers it, not the reader's likelier unit elsewhere."""
    leaks = "「情報漏洩ゼロ、著作権問題ゼロ、外部トラブルゼロで16ヶ月を達成」"
    other = "ChatGPT導入から約1ヶ月でConnectAIを全社展開"

    def read(part: str, hits: Any, lang: str, **_: Any) -> list[ReadUnit]:
        if part.startswith("over what period"):
            return [replace(_unit(other, "約1ヶ月", 0.8, 1), answer_type="duration", span_kind="duration")]
        return [replace(_unit(leaks, "ゼロ", 0.8, 0), answer_type="count", span_kind="count")]

    monkeypatch.setattr(compose, "read", read)
    q = "How many information leaks has Panasonic Connect's ConnectAI had, and over what period?"
    parts = split_parts(q, "en")
    out = compose.compose(q, parts, [_hit("s0"), _hit("s1")], "en", None)
    lines = [ln for ln in out.lines if ln and not ln.startswith(">")]
    assert "zero" in lines[0] and "16 months" in lines[1], lines


def test_an_elliptic_part_the_reader_cannot_place_is_read_in_the_section_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "…, and over how many years is it spread?": the part alone reads nothing close enough (it would be
    "not in the library"); the first part's section holds the years in another unit."""
    cost = "合計初期投資 — 推定規模: 14-34億円"
    years = "根拠: 3年間分散投資の場合"

    def read(part: str, hits: Any, lang: str, **_: Any) -> list[ReadUnit]:
        if part.startswith("over how many years"):
            return [
                replace(
                    _unit(years, "3年間", 0.3, 0), answer_type="duration", span_kind="duration", top_probability=0.3
                )
            ]
        return [replace(_unit(cost, "14-34億円", 0.8, 0), answer_type="amount", span_kind="amount")]

    monkeypatch.setattr(compose, "read", read)
    q = "How big is Nomura Securities' up-front AI investment estimated to be, and over how many years is it spread?"
    parts = split_parts(q, "en")
    out = compose.compose(q, parts, [_hit("s0")], "en", None)
    lines = [ln for ln in out.lines if ln and not ln.startswith(">")]
    assert "3 years" in lines[1] and not lines[1].startswith("Not in the library"), lines
