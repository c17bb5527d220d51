"""Evaluation harness: matching rules, per-question metrics, aggregation, runner and report (no model)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from eval import metrics as M
from eval.answer_text import split_answer
from eval.questionset import Gold, Question, load_questions
from eval.report import write_outputs
from eval.runner import run_questions
from rag.schema import Answer, Citation, Hit

REQUIRED_AGG = {
    "section_hit@1",
    "section_hit@5",
    "mrr@10",
    "doc_hit@5",
    "fact_recall",
    "answer_line_fact_recall",
    "all_facts_pass",
    "citation_precision",
    "language_match",
    "refusal_accuracy",
    "wrong_entity_answers",
    "latency_p50_ms",
    "latency_p95_ms",
}


def hit(doc: str, *path: str, text: str = "") -> Hit:
    return Hit(
        doc_id=doc,
        title=doc,
        heading_path=tuple(path),
        text=text,
        start_line=1,
        end_line=2,
        score=1.0,
        source=f"{doc}.md",
    )


def cite(n: int, doc: str, *path: str, quote: list[str] | None = None) -> Citation:
    return Citation(
        n=n,
        doc_id=doc,
        title=doc,
        company="",
        heading_path=tuple(path),
        source=f"{doc}.md",
        start_line=1,
        end_line=2,
        quote=quote or [],
    )


def q_ja(**kw) -> Question:
    base = dict(
        id="mixtral-ja-1",
        question="Mixtral 8x7Bの総パラメータ数とアクティブパラメータ数は？",
        lang="ja",
        answerable=True,
        gold=[Gold("GENAI_042", "フラッグシップモデル")],
        facts=[["47B"], ["13B"]],
        kind="numeric",
    )
    base.update(kw)
    return Question(**base)


GOLD_HIT = hit("GENAI_042", "5. AI製品・ソリューション", "フラッグシップモデル")


# ------------------------------------------------------------------------------ ranks
def test_gold_at_rank_3_gives_mrr_one_third():
    hits = [
        hit("GENAI_042", "1. 企業概要・ミッション"),
        hit("OTHER_001", "フラッグシップモデル"),
        GOLD_HIT,
        hit("X", "y"),
    ]
    ans = Answer(question="q", text="総パラメータ数は47B、アクティブは13Bです。", lang="ja", hits=hits)
    s = M.score_answer(q_ja(), ans)
    m = s["metrics"]
    assert s["gold_rank"] == 3
    assert m["section_hit@1"] == 0.0
    assert m["section_hit@3"] == 1.0
    assert m["section_hit@5"] == 1.0 and m["section_hit@10"] == 1.0
    assert m["mrr@10"] == pytest.approx(1 / 3)
    assert m["doc_hit@1"] == 1.0  # same document, other section, at rank 1
    assert s["pass"] is True


def test_rank_cutoff_k_and_miss():
    hits = [hit("X", str(i)) for i in range(10)] + [GOLD_HIT]
    ans = Answer(question="q", text="47B 13B", lang="ja", hits=hits)
    m = M.score_answer(q_ja(), ans, k=10)["metrics"]
    assert m["section_hit@10"] == 0.0 and m["mrr@10"] == 0.0 and m["doc_hit@10"] == 0.0
    s = M.score_answer(q_ja(), Answer(question="q", text="47B 13B", lang="ja", hits=hits[8:]), k=2)
    assert s["metrics"]["section_hit@3"] == 0.0  # rank 3 is beyond k=2
    assert s["pass"] is False and any("top 5" in r for r in s["reasons"])


def test_heading_match_folds_nfkc_and_whitespace_but_needs_same_doc():
    g = Gold("GENAI_042", "Snowflake（クラウドデータウェアハウス）")
    assert M.section_matches("GENAI_042", ("6. 主要客例・導入事例", "Snowflake(クラウドデータウェアハウス)"), g)
    assert M.section_matches(
        "GENAI_042", ("3.  256K\u3000トークンコンテキスト",), Gold("GENAI_042", "3. 256K トークンコンテキスト")
    )
    assert not M.section_matches("OTHER", ("Snowflake(クラウドデータウェアハウス)",), g)
    assert not M.section_matches("GENAI_042", ("Snowflake",), g)
    # emoji and ** are kept as written
    assert M.section_matches("D", ("🚀 **成長**",), Gold("D", "🚀 **成長**"))
    assert not M.section_matches("D", ("成長",), Gold("D", "🚀 **成長**"))


# ------------------------------------------------------------------------------ facts
def test_full_width_percent_satisfies_40_percent():
    assert M.fact_in_text("40%", "売上は前年比４０％増加した")
    assert M.fact_in_text("４０％", "revenue grew 40 % year over year")
    assert not M.fact_in_text("40%", "growth of 140% was reported")  # no partial numbers


def test_thousands_separators_and_spaces_folded():
    assert M.fact_in_text("1700", "シリーズCで1,700百万ユーロ")
    assert M.fact_in_text("1,700", "raised 1700 million")
    assert M.fact_in_text("140億 ドル", "評価額は140億ドル")
    assert M.fact_in_text("140億ドル", "評価額は 140億 ドル")
    assert M.fact_in_text("€1.7B", "€1.7 b in Series C")  # case-insensitive, spaces folded
    assert M.fact_in_text("11,700,000,000", "valued at 11700000000 EUR")
    assert not M.fact_in_text("13", "about 13.5 percent")
    assert not M.fact_in_text("700", "1,700")


def test_fact_groups_recall_and_missing():
    q = q_ja(facts=[["47B", "470億"], ["13B"], ["Apache 2.0"]])
    ans = Answer(question="q", text="総パラメータは470億（47B）、アクティブは１３Ｂ。", lang="ja", hits=[GOLD_HIT])
    s = M.score_answer(q, ans)
    assert s["metrics"]["fact_recall"] == pytest.approx(2 / 3)
    assert s["metrics"]["all_facts_pass"] == 0.0
    assert s["missing_facts"] == [["Apache 2.0"]]
    assert s["pass"] is False


# ------------------------------------------------------------------------------ refusals
def test_refusal_passes_unanswerable_and_fails_answerable():
    unans = Question(
        id="u1", question="ミストラルAIの2040年の売上は？", lang="ja", answerable=False, kind="unanswerable"
    )
    refusal = Answer(question="q", text="資料には該当する情報が見つかりませんでした。", lang="ja", refused=True)
    s = M.score_answer(unans, refusal)
    assert s["pass"] is True
    assert s["metrics"]["refusal_accuracy"] == 1.0
    assert s["metrics"]["section_hit@5"] is None and s["metrics"]["fact_recall"] is None
    assert s["metrics"]["citation_precision"] is None
    assert s["metrics"]["language_match"] == 1.0

    s2 = M.score_answer(q_ja(), Answer(question="q", text=refusal.text, lang="ja", refused=True, hits=[GOLD_HIT]))
    assert s2["pass"] is False
    assert s2["metrics"]["refusal_accuracy"] == 0.0
    assert s2["metrics"]["citation_precision"] is None  # refused: not applicable

    answered = Answer(question="q", text="2040年の売上は100億ドルです。", lang="ja")
    s3 = M.score_answer(unans, answered)
    assert s3["pass"] is False and s3["metrics"]["refusal_accuracy"] == 0.0


# ------------------------------------------------------------------------------ citations
def test_citation_precision_gold_section_or_fact_in_quote():
    cites = [
        cite(1, "GENAI_042", "5. AI製品・ソリューション", "フラッグシップモデル"),  # gold section
        cite(2, "GENAI_042", "7. 技術的差別化要因", quote=["Mixtral 8x7Bは総パラメータ47B"]),  # fact in quote
        cite(3, "GENAI_042", "2. 創業チーム・経営陣", quote=["三人の創業者"]),  # neither
        cite(4, "GENAI_042", "4. 推論効率"),  # fact in the text of the matching hit
    ]
    hits = [GOLD_HIT, hit("GENAI_042", "4. 推論効率", text="アクティブパラメータは13B")]
    ans = Answer(question="q", text="47Bと13Bです[1][2]。", lang="ja", citations=cites, hits=hits)
    s = M.score_answer(q_ja(), ans)
    assert s["metrics"]["citation_precision"] == pytest.approx(3 / 4)
    assert s["citations_ok"] == [True, True, False, True]
    no_cites = Answer(question="q", text="47Bと13B", lang="ja", hits=hits)
    assert M.score_answer(q_ja(), no_cites)["metrics"]["citation_precision"] is None


# ------------------------------------------------------------------------------ language
def test_language_match():
    assert M.language_match(Answer(question="q", text="総パラメータは47Bです[1]。", lang="ja"), "ja")
    assert not M.language_match(Answer(question="q", text="It has 47B parameters.", lang="ja"), "ja")
    en = Answer(
        question="q",
        text="According to the case study, the section says 「総パラメータ数は470億」 [1].\n\n> 長い引用文",
        lang="en",
    )
    assert M.language_match(en, "en")
    assert not M.language_match(Answer(question="q", text="総パラメータ数は470億です。", lang="en"), "en")
    assert not M.language_match(Answer(question="q", text="It has 47B parameters.", lang="en"), "ja")  # lang field
    assert M.language_match(Answer(question="q", text="", lang="en", refused=True), "en")


# ------------------------------------------------------------------------------ answer lines (issue #14 item 6)
SERIES_ROW_HEADER = "| ラウンド | 時期 | 調達額 | 評価額 | リード投資家 |"
SERIES_ROW = "| Series C | 2024年6月 | €1.7B | €11.7B（約140億ドル） | ASML |"
SERIES_SENTENCE = "2024年のシリーズCで、ASMLが13億ユーロを出資してリード投資家となった。"
SERIES_HIT = hit(
    "GENAI_042",
    "4. 資金調達",
    "資金調達の推移",
    text=f"資金調達の推移\n{SERIES_ROW_HEADER}\n|---|---|---|---|---|\n{SERIES_ROW}\n{SERIES_SENTENCE}",
)


def q_en_valuation(**kw) -> Question:
    base = dict(
        id="valuation-en-1",
        question="What valuation did Mistral AI reach, and who led the round?",
        lang="en",
        answerable=True,
        gold=[Gold("GENAI_042", "資金調達の推移")],
        facts=[["€11.7B", "117億ユーロ"], ["ASML"]],
        kind="two_part",
    )
    base.update(kw)
    return Question(**base)


def templated(lead: str) -> Answer:
    """The extractive answerer's layout: a fixed lead line, then one bullet per quoted unit with [n]."""
    row_text = (
        "ラウンド: Series C / 時期: 2024年6月 / 調達額: €1.7B / 評価額: €11.7B（約140億ドル） / リード投資家: ASML"
    )
    text = f"{lead}\n\n- {row_text} [1]\n- {SERIES_SENTENCE} [1]"
    c = cite(1, "GENAI_042", "4. 資金調達", "資金調達の推移", quote=[SERIES_ROW_HEADER, SERIES_ROW, SERIES_SENTENCE])
    return Answer(question="q", text=text, lang="en", citations=[c], hits=[SERIES_HIT])


def test_templated_lead_with_japanese_quotes_is_a_language_miss():
    ans = templated("According to the library:")
    own, evidence = split_answer(ans)
    assert own == [] and len(evidence) == 2  # the row rendering and the sentence are both quotes
    assert not M.language_match(ans, "en")
    s = M.score_answer(q_en_valuation(), ans)
    assert s["metrics"]["language_match"] == 0.0
    assert any("no text of its own" in r for r in s["reasons"])
    # the facts are there, but only in the quotes
    assert s["metrics"]["fact_recall"] == 1.0
    assert s["metrics"]["answer_line_fact_recall"] == 0.0
    # the same layout in Japanese is no answer line either
    ja = templated("ライブラリの該当箇所によると：")
    ja.lang = "ja"
    assert not M.language_match(ja, "ja")
    # a bullet that quotes a numbered list item (the quote keeps its "2. ") is evidence too
    item = Answer(
        question="q",
        text="According to the library:\n\n- オリンパス「CADDIE FDA認可」（2024年9月） [1]",
        lang="en",
        citations=[cite(1, "D", "出典", quote=["2. オリンパス「CADDIE FDA認可」（2024年9月）"])],
    )
    assert split_answer(item) == ([], ["オリンパス「CADDIE FDA認可」（2024年9月）"])
    # a table row rendered without its source column is evidence
    row = Answer(
        question="q",
        text="According to the library:\n\n- 項目: 利用回数（12ヶ月） / 内容: 139万6,639回 [1]",
        lang="en",
        citations=[
            cite(
                1,
                "D",
                "成果",
                quote=[
                    "| 項目 | 内容 | ソース |",
                    "| **利用回数（12ヶ月）** | 139万6,639回 | [Newsroom](https://example.com/p) |",
                ],
            )
        ],
    )
    assert split_answer(row)[0] == []
    # without citations the Japanese lines count as the answer's own text: still not English
    bare = Answer(question="q", text=ans.text, lang="en")
    assert not M.language_match(bare, "en")


def test_english_answer_line_scores_and_carries_the_facts():
    ans = templated("Mistral AI reached a valuation of €11.7B (about $14B) in its Series C; ASML led the round [1].")
    own, evidence = split_answer(ans)
    assert own == ["Mistral AI reached a valuation of €11.7B (about $14B) in its Series C; ASML led the round."]
    assert len(evidence) == 2
    assert M.language_match(ans, "en")
    s = M.score_answer(q_en_valuation(), ans)
    assert s["metrics"]["language_match"] == 1.0
    assert s["metrics"]["answer_line_fact_recall"] == 1.0 and s["metrics"]["fact_recall"] == 1.0
    # one part answered in the line, the other only quoted
    half = templated("Mistral AI was valued at €11.7B [1].")
    assert M.score_answer(q_en_valuation(), half)["metrics"]["answer_line_fact_recall"] == pytest.approx(0.5)
    # a Japanese answer line in an English answer is a miss, also with a Latin name in it
    assert not M.language_match(templated("Mistral AIの評価額は117億ユーロ [1]"), "en")
    # a katakana gloss after a Latin name does not make an English line Japanese
    gloss = Answer(question="q", text="The CEO is Arthur Mensch（アルチュール・メンシュ） [1].", lang="en")
    assert M.language_match(gloss, "en")


def test_an_english_line_stating_a_latin_span_of_a_japanese_quote_is_own_text():
    """ "Panasonic Connect: Microsoft Azure OpenAI Service." states the Latin span of 「インフラ: Microsoft Azure
    OpenAI Service」: it pastes no Japanese quote, so it is the answer's own (English) line; a line that
    pastes the quote with its Japanese label is still evidence."""
    quote = "インフラ: Microsoft Azure OpenAI Service"
    c = cite(1, "GENAI_003", "6. 使用技術・基盤", quote=[quote])
    hit = Hit(
        doc_id="GENAI_003",
        title="Panasonic Connect",
        heading_path=("6. 使用技術・基盤",),
        text=f"Panasonic Connect › 6. 使用技術・基盤\n{quote}",
        start_line=1,
        end_line=2,
        score=1.0,
        source="t",
    )
    line = Answer(
        question="q",
        text=f"Panasonic Connect: Microsoft Azure OpenAI Service. [1]\n\n> 「{quote}」 [1]",
        lang="en",
        citations=[c],
        hits=[hit],
    )
    assert split_answer(line)[0] == ["Panasonic Connect: Microsoft Azure OpenAI Service."]
    assert M.language_match(line, "en")
    pasted = Answer(question="q", text=f"Panasonic Connect: {quote} [1]", lang="en", citations=[c], hits=[hit])
    assert split_answer(pasted)[0] == [] and not M.language_match(pasted, "en")


def test_japanese_answer_line_built_from_a_span_is_own_text():
    ans = templated("評価額は€11.7B（約140億ドル）、リード投資家はASMLです [1]。")
    ans.lang = "ja"
    own, _ = split_answer(ans)
    assert own and own[0].startswith("評価額は€11.7B")
    assert M.language_match(ans, "ja")
    q = q_en_valuation(lang="ja", question="Mistral AIの評価額とリード投資家は？")
    assert M.score_answer(q, ans)["metrics"]["answer_line_fact_recall"] == 1.0
    # a blockquote is evidence whatever it says
    quoted = Answer(question="q", text="> ASMLがリード投資家となった。\n> 評価額は€11.7B", lang="ja")
    assert split_answer(quoted) == ([], ["ASMLがリード投資家となった。", "評価額は€11.7B"])
    assert not M.language_match(quoted, "ja")


def test_wrong_entity_answers_counts_unanswerable_answers_with_figures():
    unans = Question(
        id="toyota-en-1", question="What is Toyota's 2024 revenue?", lang="en", answerable=False, kind="unanswerable"
    )
    other_company = Answer(
        question="q",
        text="According to the library:\n\n- ARR: $35M (2023) [1]",
        lang="en",
        citations=[cite(1, "GENAI_037", "ARR", quote=["ARR: $35M (2023)"])],
    )
    s = M.score_answer(unans, other_company)
    assert s["metrics"]["wrong_entity_answers"] == 1.0 and s["pass"] is False
    assert any("wrong entity" in r for r in s["reasons"])
    refused = Answer(question="q", text="The library has no document about Toyota.", lang="en", refused=True)
    assert M.score_answer(unans, refused)["metrics"]["wrong_entity_answers"] == 0.0
    no_figures = Answer(question="q", text="Toyota is not covered, see Cohere instead [1].", lang="en")
    assert M.score_answer(unans, no_figures)["metrics"]["wrong_entity_answers"] == 0.0
    assert M.score_answer(q_ja(), other_company)["metrics"]["wrong_entity_answers"] is None  # answerable

    def rec(qq, a, lang):
        return {"metrics": M.score_answer(qq, a)["metrics"], "answerable": qq.answerable, "lang": lang}

    records = [
        rec(unans, other_company, "en"),
        rec(unans, other_company, "en"),
        rec(unans, refused, "en"),
        rec(q_ja(), Answer(question="q", text="47Bと13Bです", lang="ja", hits=[GOLD_HIT]), "ja"),
    ]
    agg, vacuous = M.aggregate(records)
    assert agg["wrong_entity_answers"] == 2.0 and "wrong_entity_answers" not in vacuous  # a count, not a mean
    agg_ja, vac_ja = M.aggregate(records[3:])
    assert agg_ja["wrong_entity_answers"] == 0.0 and "wrong_entity_answers" in vac_ja
    assert "answer_line_fact_recall" in agg and agg["answer_line_fact_recall"] == 1.0


def test_baseline_gates_a_growing_wrong_entity_count():
    from eval.baseline import compare

    def results(count: float, line_recall: float) -> dict:
        agg = {"fact_recall": 0.9, "answer_line_fact_recall": line_recall, "wrong_entity_answers": count, "n": 10}
        return {"meta": {}, "aggregate": agg, "by_lang": {"en": dict(agg)}, "questions": []}

    worse = compare(results(0.0, 0.5), results(1.0, 0.5))
    assert worse.exit_code == 1 and worse.regressions == ["aggregate wrong_entity_answers: 0.000 → 1.000 (+1.000)"]
    better = compare(results(3.0, 0.5), results(1.0, 0.5))
    assert better.exit_code == 0 and better.improvements == ["aggregate wrong_entity_answers: 3.000 → 1.000 (-2.000)"]
    assert compare(results(0.0, 0.5), results(0.0, 0.4)).exit_code == 1  # higher is better for the line recall
    old = results(0.0, 0.5)
    del old["aggregate"]["answer_line_fact_recall"], old["aggregate"]["wrong_entity_answers"]
    assert compare(old, results(2.0, 0.1)).exit_code == 0  # keys new to a run are reported, not gated


# ------------------------------------------------------------------------------ question file
def test_malformed_lines_reported_with_line_number(tmp_path: Path):
    good = q_ja().to_dict()
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        "",
        json.dumps({**good, "id": "x2", "lang": "fr"}),
        json.dumps({**good, "id": "x3", "answerable": False}),
        json.dumps({**good, "id": "x4", "facts": [[]]}),
        json.dumps(good, ensure_ascii=False),  # duplicate id
        json.dumps(
            {
                "id": "u",
                "question": "Who?",
                "lang": "en",
                "answerable": False,
                "gold": [],
                "facts": [],
                "kind": "unanswerable",
                "note": "extra",
            }
        ),
    ]
    p = tmp_path / "qs.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    qs, errors = load_questions(p)
    assert [q.id for q in qs] == ["mixtral-ja-1", "u"]
    assert qs[0].gold == [Gold("GENAI_042", "フラッグシップモデル")] and qs[0].facts == [["47B"], ["13B"]]
    text = "\n".join(errors)
    for n in (2, 4, 5, 6, 7):
        assert f"qs.jsonl:{n}:" in text, text
    assert "qs.jsonl:8: warning:" in text
    assert not any(e.startswith("qs.jsonl:1:") or e.startswith("qs.jsonl:3:") for e in errors)
    assert load_questions(tmp_path / "missing.jsonl") == ([], [f"{tmp_path / 'missing.jsonl'}: no such file"])


# ------------------------------------------------------------------------------ runner + aggregate + report
def _questions() -> list[Question]:
    return [
        q_ja(),
        Question(
            id="mixtral-en-1",
            question="How many parameters does Mixtral 8x7B have?",
            lang="en",
            answerable=True,
            gold=[Gold("GENAI_042", "フラッグシップモデル")],
            facts=[["47B", "47 billion"]],
            filters={"country": "フランス"},
            kind="cross_lingual",
        ),
        Question(
            id="unans-en-1",
            question="What is Mistral's 2040 revenue?",
            lang="en",
            answerable=False,
            kind="unanswerable",
        ),
    ]


def fake_ask_factory(calls: list):
    def ask(question, filters=None, history=None, settings=None):
        calls.append((question, filters))
        if "2040" in question:
            return Answer(
                question=question,
                text="The documents do not say.",
                lang="en",
                refused=True,
                timings={"retrieve": 5.0, "total": 10.0},
            )
        if "Mixtral 8x7B have" in question:
            raise RuntimeError("backend down")
        return Answer(
            question=question,
            text="総パラメータは47B、アクティブは13Bです[1]。",
            lang="ja",
            citations=[cite(1, "GENAI_042", "フラッグシップモデル")],
            hits=[GOLD_HIT],
            timings={"retrieve": 20.0, "generate": 60.0, "total": 100.0},
        )

    return ask


def test_runner_aggregate_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "rag.search.filters", None)  # no Filters type: the dict is passed as is
    calls: list = []
    res = run_questions(_questions(), fake_ask_factory(calls), k=10, question_file="qs.jsonl")
    assert calls[1] == ("How many parameters does Mixtral 8x7B have?", {"country": "フランス"})

    agg = res["aggregate"]
    assert REQUIRED_AGG <= set(agg) and all(isinstance(v, (int, float)) for v in agg.values())
    assert agg["n"] == 3 and agg["n_errors"] == 1
    assert agg["section_hit@1"] == pytest.approx(0.5)  # 2 answerable, the failing one has no hits
    assert agg["refusal_accuracy"] == pytest.approx(1.0)
    assert agg["citation_precision"] == pytest.approx(1.0)  # only the question with citations counts
    assert agg["latency_p50_ms"] > 0
    assert set(res["by_kind"]) == {"numeric", "cross_lingual", "unanswerable"}
    assert set(res["by_lang"]) == {"ja", "en"}
    for group in list(res["by_kind"].values()) + list(res["by_lang"].values()):
        assert set(group) == set(agg)
    # nothing applies to the unanswerable group: vacuous 1.0, listed in meta
    assert res["by_kind"]["unanswerable"]["section_hit@5"] == 1.0
    assert "section_hit@5" in res["meta"]["vacuous"]["by_kind"]["unanswerable"]
    assert res["latency"]["generate"]["n"] == 1 and res["latency"]["total"]["n"] == 3

    recs = {r["id"]: r for r in res["questions"]}
    assert recs["mixtral-ja-1"]["pass"] is True
    assert recs["mixtral-en-1"]["pass"] is False and "backend down" in recs["mixtral-en-1"]["error"]
    assert recs["mixtral-en-1"]["metrics"]["section_hit@5"] == 0.0
    assert recs["unans-en-1"]["pass"] is True and recs["unans-en-1"]["metrics"]["mrr@10"] is None
    for key in (
        "id",
        "question",
        "lang",
        "kind",
        "answerable",
        "pass",
        "metrics",
        "answer",
        "refused",
        "citations",
        "top_hits",
        "missing_facts",
        "timings",
    ):
        assert key in recs["mixtral-ja-1"]
    assert recs["mixtral-ja-1"]["citations"][0] == {
        "n": 1,
        "doc": "GENAI_042",
        "path": ["フラッグシップモデル"],
        "quote": [],
        "ok": True,
    }

    paths = write_outputs(res, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert data["aggregate"] == pytest.approx(agg)
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## Summary" in report and "## By kind" in report and "## By language" in report
    assert "### mixtral-en-1" in report and "backend down" in report
    assert "### mixtral-ja-1" not in report  # passed
    for name in ("metrics_by_kind.png", "metrics_by_lang.png", "latency_hist.png"):
        png = tmp_path / "out" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in report
    assert set(paths["plots"]) == {"by_kind", "by_lang", "latency"}
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temp files


def test_filters_from_dict_used_when_available(monkeypatch: pytest.MonkeyPatch):
    import types

    class Filters:
        def __init__(self, d):
            self.d = d

        @classmethod
        def from_dict(cls, d):
            return cls(d)

    monkeypatch.setitem(sys.modules, "rag.search.filters", types.SimpleNamespace(Filters=Filters))
    calls: list = []
    run_questions(_questions()[1:2], fake_ask_factory(calls))
    assert isinstance(calls[0][1], Filters) and calls[0][1].d == {"country": "フランス"}


def test_percentile_linear():
    assert M.percentile([], 50) == 0.0
    assert M.percentile([10.0], 95) == 10.0
    assert M.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert M.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
