"""Answers on the real index (seed + shared cases), offline extractive path: no mocks.

Each fact test checks the whole chain: the answer text carries the fact, in the question's
language framing; a citation points at the right document and heading; the cited line range of the
source file really contains the fact.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from rag.answer import CALIBRATION, REFUSAL_TEXT, ask, ask_stream
from rag.schema import Answer
from tests.conftest import needs_shared


def answer_line_first(text: str, lang: str | None) -> bool:
    """Issue #14: the answer starts with a cited answer line (not a lead-in, not a quote); with
    `lang` "en" the line has no Japanese, with "ja" it has some."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    if not first or first.startswith(">") or not re.search(r"\[\d+\]", first):
        return False
    ja = bool(re.search(r"[\u3040-\u30ff\u3400-\u9fff]", first))
    return {"en": not ja, "ja": ja}.get(lang or "", True)


def _fold(s: str) -> str:
    return re.sub(r"[\s,*]", "", unicodedata.normalize("NFKC", s)).lower()


def _file_lines(path: str) -> list[str]:
    from rag.ingest import read_text

    return read_text(path)[0].split("\n")


def assert_fact_cited(ans: Answer, fact: str, doc: str, heading: str | None = None) -> None:
    """`fact` is in the answer text and in the cited line range of a citation of `doc` (under `heading`)."""
    assert not ans.refused, ans.flagged
    assert _fold(fact) in _fold(ans.text), ans.text
    ok = []
    for c in ans.citations:
        assert 1 <= c.start_line <= c.end_line, c
        lines = _file_lines(c.source)[c.start_line - 1 : c.end_line]
        in_lines = _fold(fact) in _fold("\n".join(lines))
        in_quote = _fold(fact) in _fold("\n".join(c.quote))
        if c.doc_id == doc and in_lines and in_quote and (heading is None or heading in c.heading_path):
            ok.append(c)
    assert ok, [(c.doc_id, c.heading_path, c.start_line, c.end_line, c.quote) for c in ans.citations]
    # each [n] in the text maps to a citation
    ns = {int(n) for n in re.findall(r"\[(\d+)\]", ans.text)}
    assert ns == {c.n for c in ans.citations}


# ----------------------------------------------------------------------------- facts, both languages


def test_numeric_ja_mixtral(indexed_settings):
    ans = ask("Mixtral 8x7Bの総パラメータ数とアクティブパラメータ数は？", settings=indexed_settings)
    assert ans.lang == "ja"
    assert answer_line_first(ans.text, "ja")  # issue #14: an answer line, not a lead-in
    assert_fact_cited(ans, "47B", "GENAI_042")
    assert_fact_cited(ans, "13B", "GENAI_042")
    # narrowed: the quoted line, not the whole section
    c = next(c for c in ans.citations if "47B" in " ".join(c.quote))
    assert c.end_line - c.start_line <= 2


def test_numeric_en_mixtral(indexed_settings):
    ans = ask("How many parameters does Mixtral 8x7B have, and how many are active?", settings=indexed_settings)
    assert ans.lang == "en"
    assert answer_line_first(ans.text, "en")  # issue #14: an English answer line, then Japanese quotes
    assert_fact_cited(ans, "47B", "GENAI_042")
    assert_fact_cited(ans, "13B", "GENAI_042")


def test_name_ja(indexed_settings):
    ans = ask("ミストラルAIのCEOは誰？", settings=indexed_settings)
    assert ans.lang == "ja"
    assert_fact_cited(ans, "Arthur Mensch", "GENAI_042", "三人の創業者")


def test_date_en(indexed_settings):
    ans = ask("When was Mistral AI founded?", settings=indexed_settings)
    assert ans.lang == "en" and answer_line_first(ans.text, "en")
    assert_fact_cited(ans, "2023年4月", "GENAI_042", "背景と設立経緯")


def test_mixed_question_is_japanese(indexed_settings):
    ans = ask("Mixtral 8x7Bのパラメータ数は？", settings=indexed_settings)
    assert ans.lang == "ja" and answer_line_first(ans.text, "ja")
    assert "47B" in ans.text


@needs_shared
@pytest.mark.parametrize(
    "question,fact,doc,heading",
    [
        ("Who is Cohere's CEO?", "Aidan Gomez", "GENAI_037", None),
        ("SB OpenAI株式会社はいつ設立された？", "2025年2月", "006_softbank", None),
        ("How many hours per month did MUFG save with ChatGPT?", "22万時間", "001_mufg", None),
        ("パナソニック コネクトはConnectAIで初年度に何時間削減した？", "18.6万時間", "GENAI_003", None),
        ("When did AI ordering go live at all Seven-Eleven stores nationwide?", "2023年3月", "007_seven_eleven", None),
        ("Klarnaは何人分の業務をAIで代替した？", "700人", "021_klarna", None),
        ("Who is Harvey's CEO?", "Winston Weinberg", "GENAI_GL002", None),
        ("Who is Klarna's CEO?", "Sebastian Siemiatkowski", "021_klarna", None),
        ("DBRXの総パラメータ数とアクティブパラメータ数は？", "132B", "GENAI_040", None),
    ],
)
def test_shared_facts(indexed_settings, question, fact, doc, heading):
    ans = ask(question, settings=indexed_settings)
    from rag.ingest import detect_language

    assert ans.lang == detect_language(question)
    assert answer_line_first(ans.text, None)
    assert_fact_cited(ans, fact, doc, heading)


# ----------------------------------------------------------------------------- refusals

UNANSWERABLE = [
    "Mistral AIの2019年の売上高は？",
    "Mistral AIの日本法人の代表は誰？",
]
UNANSWERABLE_SHARED = [
    "Who is HCA Healthcare's CEO?",
    "Who is Moderna's CFO?",
    "セブン-イレブンの取締役の平均年齢は？",
    "三菱UFJ銀行はChatGPT導入で紙の使用量を何枚減らした？",
    "パナソニック コネクトのConnectAIの月額利用料金はいくら？",
]


def _assert_refused(ans: Answer, question: str) -> None:
    from rag.ingest import detect_language

    lang = detect_language(question)
    assert ans.refused, (question, ans.text, ans.flagged)
    assert ans.lang == lang
    assert ans.text == REFUSAL_TEXT[lang]
    assert not ans.citations
    assert ans.related, "a refusal lists the closest sections"
    assert any(f.startswith("refused:") for f in ans.flagged)


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_refuses_seed(indexed_settings, question):
    _assert_refused(ask(question, settings=indexed_settings), question)


@needs_shared
@pytest.mark.parametrize("question", UNANSWERABLE_SHARED)
def test_refuses_shared(indexed_settings, question):
    _assert_refused(ask(question, settings=indexed_settings), question)


@pytest.mark.parametrize(
    "question",
    [
        "How much did ASML put into Mistral's Series C, and what stake did it get?",
        "ミストラルの従業員数は2024年初めから2025年9月でどれだけ増えた？",
        "How many NVIDIA chips is Mistral Compute planned to have?",
        "What speed-up and cost reduction did Superinsight get from Mistral 7B?",
    ],
)
def test_answerable_not_refused(indexed_settings, question):
    ans = ask(question, settings=indexed_settings)
    assert not ans.refused, ans.flagged
    assert ans.citations


def test_calibration_is_recorded():
    assert "calibrated" in CALIBRATION["note"] and "bench_answer" in CALIBRATION["note"]
    assert set(CALIBRATION["max_missing"]) >= {"ja", "en"}


# ----------------------------------------------------------------------------- follow-ups


def test_followup_ja_pairs(indexed_settings):
    q1 = "ミストラルAIのシリーズCの主導投資家は？"
    a1 = ask(q1, settings=indexed_settings)
    assert "ASML" in a1.text
    a2 = ask("その投資家の出資比率は？", history=[(q1, a1)], settings=indexed_settings)
    assert "ミストラル" in a2.standalone_question
    assert not a2.refused
    assert "11%" in a2.text
    assert all(c.doc_id == "GENAI_042" for c in a2.citations)


def test_followup_en_messages(indexed_settings):
    q1 = "How much did ASML put into Mistral's Series C?"
    a1 = ask(q1, settings=indexed_settings)
    history = [{"role": "user", "content": q1}, {"role": "assistant", "content": a1.text}]
    a2 = ask("And its valuation?", history=history, settings=indexed_settings)
    assert "Mistral" in a2.standalone_question
    assert a2.lang == "en" and not a2.refused
    assert any(x in a2.text for x in ("€11.7B", "11,700M", "$14.0B", "140億ドル"))
    assert all(c.doc_id == "GENAI_042" for c in a2.citations)


def test_followup_carries_filters_unless_cleared(indexed_settings):
    q1 = "ミストラルAIの評価額は？"
    a1 = ask(q1, filters={"country": "フランス"}, settings=indexed_settings)
    hist = [(q1, a1, {"country": "フランス"})]
    a2 = ask("その創業者は？", history=hist, settings=indexed_settings)  # filters=None: inherited
    assert "filters carried over from the previous turn" in a2.flagged
    assert a2.hits and all(h.metadata.get("country") == "フランス" for h in a2.hits)
    a3 = ask("その創業者は？", filters={}, history=hist, settings=indexed_settings)  # explicitly none
    assert "filters carried over from the previous turn" not in a3.flagged


def test_followup_keeps_explicit_subject(indexed_settings):
    hist = [("ミストラルAIのCEOは誰？", None)]
    a = ask("Mixtral 8x7Bのパラメータ数は？", history=hist, settings=indexed_settings)
    assert a.standalone_question == "Mixtral 8x7Bのパラメータ数は？" or "Mixtral" in a.standalone_question


# ----------------------------------------------------------------------------- API details


def test_stream_matches_answer(indexed_settings):
    pieces = list(ask_stream("When was Mistral AI founded?", settings=indexed_settings))
    assert isinstance(pieces[-1], Answer)
    deltas = pieces[:-1]
    assert len(deltas) > 1 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == pieces[-1].text


def test_timings_hits_and_standalone(indexed_settings):
    ans = ask("Mixtral 8x7Bのパラメータ数は？", settings=indexed_settings, k=3)
    for key in ("retrieve", "analyze", "answer", "total"):
        assert key in ans.timings and ans.timings[key] >= 0
    assert len(ans.hits) == 3
    assert ans.standalone_question == "Mixtral 8x7Bのパラメータ数は？"
    assert ans.backend == "extractive"


@needs_shared
def test_suggested_filters_are_not_applied(indexed_settings):
    q = "フランスのAI企業の最新の企業評価額は？"
    ans = ask(q, settings=indexed_settings)
    assert ans.suggested_filters.get("country") == "フランス"
    assert len({h.doc_id for h in ans.hits}) > 1  # not silently restricted to France
    from rag.search import Filters

    filtered = ask(q, filters=Filters.from_dict(ans.suggested_filters), settings=indexed_settings)
    assert filtered.hits and {h.doc_id for h in filtered.hits} == {"GENAI_042"}
    assert not filtered.refused
    assert any(x in filtered.text for x in ("140億ドル", "$14.0B", "€11.7B", "$14B"))


def test_cli_ask(indexed_settings, capsys):
    from rag.cli import main

    rc = main(
        [
            "--data-dir",
            str(indexed_settings.data_dir),
            "ask",
            "Mixtral 8x7Bの総パラメータ数とアクティブパラメータ数は？",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert answer_line_first(out, "ja")
    assert re.search(r"^\[1\] GENAI_042 › .+$", out, re.M)
    assert re.search(r"000_2a18f7e169fe24df\.txt:\d+-\d+", out)
    assert "> " in out

    rc = main(
        ["--data-dir", str(indexed_settings.data_dir), "ask", "Mistral AIの2019年の売上高は？", "--json", "-k", "2"]
    )
    data = json.loads(capsys.readouterr().out)
    assert rc == 3 and data["refused"] and data["text"] == REFUSAL_TEXT["ja"]
    assert len(data["hits"]) == 2 and data["related"]


def test_dev_set_quality(indexed_settings):
    """The dev question set through the eval harness: the figures this answerer was tuned to."""
    from eval.questionset import load_questions
    from eval.runner import run_questions

    qs, errors = load_questions(Path(__file__).resolve().parents[2] / "eval" / "questions" / "dev.jsonl")
    from tests.conftest import HAVE_SHARED

    if not HAVE_SHARED:
        qs = [q for q in qs if all(g.doc == "GENAI_042" for g in q.gold) and q.id.startswith(("mistral", "unans-ja-1"))]
    res = run_questions(qs, settings=indexed_settings)
    agg = res["aggregate"]
    assert agg["n_errors"] == 0
    # every answer is labelled with the asker's language; language_match itself (the answer's own text,
    # quotes and lead-in removed) is the issue #14 goal, reported by `casebook eval`, not asserted here
    assert all(r["answer_lang"] == r["lang"] for r in res["questions"])
    assert agg["refusal_accuracy"] >= 0.90
    if HAVE_SHARED:
        assert agg["fact_recall"] >= 0.85
        assert agg["citation_precision"] >= 0.85
        refused_answerable = [r["id"] for r in res["questions"] if r["answerable"] and r["refused"]]
        assert len(refused_answerable) <= 1, refused_answerable
