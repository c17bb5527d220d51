"""Hybrid retrieval over the seed + shared corpus: real model, real Chroma, real fugashi (no mocks)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from rag.config import Settings
from rag.search import DEFAULT_CONFIG, Filters, Retriever, retrieve
from rag.search.query import focus_names, query_tokens, without_names
from rag.search.snap_index import snapshot_index
from tests.conftest import needs_shared

pytestmark = needs_shared


def _fold(s: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s)).strip()


def _rank(hits, doc_id: str, heading: str) -> int | None:
    for i, h in enumerate(hits, 1):
        if h.doc_id == doc_id and _fold(heading) in {_fold(x) for x in h.heading_path}:
            return i
    return None


# (question, doc_id, exact heading that must be on the heading path of one of the top-5 sections).
# Written from the documents, independently of eval/questions/dev.jsonl (which tunes the fusion).
CASES = [
    # Japanese questions
    ("ミストラルAIの日本市場への入口戦略は？", "GENAI_042", "日本における入口戦略"),
    ("Mistral AIはVeoliaでどのように使われている？", "GENAI_042", "Veolia（環境・エネルギー管理）"),
    ("三菱UFJ銀行の生成AI導入のROIは？", "001_mufg", "9.3 ROI分析"),
    pytest.param(
        "パナソニック コネクトのConnectAIのセキュリティ対策は？",
        "GENAI_003",
        "🔐 セキュリティ・ガバナンス",
        marks=pytest.mark.xfail(
            reason="known miss: a short list section (BM25 rank 21, e5 rank 8); rank 6-8 under the chosen fusion",
            strict=False,
        ),
    ),
    ("ソフトバンクが開催したChatGPTコンテストとは？", "006_softbank", "ChatGPTコンテストの開催"),
    ("セブン-イレブンはBigQueryをどう活用している？", "007_seven_eleven", "7.2 BigQueryの活用"),
    ("Klarnaの初期投資コストはいくら？", "021_klarna", "10.1 初期投資コスト"),
    ("GPT-4の司法試験スコアはどう再評価された？", "GENAI_GL002", "GPT-4 のBar Exam スコアの再評価"),
    ("HCAは患者のプライバシーと規制遵守にどう対応している？", "GENAI_GL008", "9-2. 規制遵守と患者プライバシー"),
    (
        "Modernaは脂質ナノ粒子の処方最適化にAIをどう使っている？",
        "035_moderna",
        "30. LNP (脂質ナノ粒子) 処方最適化 AI フロー",
    ),
    ("Constitutional AIとRLHFの違いは？", "GENAI_036", "Constitutional AI vs RLHF の違い"),
    ("CohereのRerankモデルとは？", "GENAI_037", "**Rerank モデル（意味的再ランキング）**"),
    ("Hugging FaceとGitHubの違いは？", "GENAI_038", "5.3 GitHub との比較"),
    ("DatabricksとSnowflakeを比較すると？", "GENAI_040", "Snowflakeとの比較"),
    # English questions over Japanese text
    ("What are the main risk factors for Mistral AI?", "GENAI_042", "リスク要因"),
    (
        "How does Mistral's Mixture of Experts architecture work?",
        "GENAI_042",
        "1. Mixture of Experts（MoE）アーキテクチャ",
    ),
    (
        "What security and regulatory challenges did MUFG face when adopting ChatGPT?",
        "001_mufg",
        "7.1 セキュリティ・規制上の課題",
    ),
    (
        "What lessons can other companies learn from Panasonic Connect's ConnectAI?",
        "GENAI_003",
        "💡 パナソニック コネクトの事例から得られる教訓",
    ),
    ("What problems did SoftBank's sales department have before generative AI?", "006_softbank", "営業部門の課題"),
    (
        "Why is Seven-Eleven Japan abolishing its fixed store computers?",
        "007_seven_eleven",
        "8.2 2025年春：固定型ストアコンピューター廃止",
    ),
    (
        "Why did Klarna start rehiring human customer service staff?",
        "021_klarna",
        "8.3 戦略転換（2024年10月-2025年1月）",
    ),
    ("How is the role of lawyers changing with Harvey?", "GENAI_GL002", "8.1 弁護士職の専門分化"),
    ("How does HCA automate nurse shift handoffs?", "GENAI_GL008", "4-2. AI駆動型自動生成システム"),
    pytest.param(
        "How does Moderna use AI to analyse clinical trial data?",
        "035_moderna",
        "27. 臨床試験データ分析ワークフロー",
        marks=pytest.mark.xfail(
            reason="known miss: BM25 ranks the section 2nd but e5 only 36th; the fusion "
            "prefers sections both sides agree on",
            strict=False,
        ),
    ),
    ("What role does Daniela Amodei play at Anthropic?", "GENAI_036", "ダニエラ・アモデイ（President）の役割"),
    (
        "Who is Cohere's Chief Financial Officer?",
        "GENAI_037",
        "**François Chadwick - 最高財務責任者（Chief Financial Officer）**",
    ),
    ("What are Hugging Face Spaces?", "GENAI_038", "6.2 Spaces"),
    ("What is Databricks' Agent Bricks?", "GENAI_040", "Agent Bricks（AI Agent Platform）"),
]


@pytest.mark.parametrize(
    "question, doc_id, heading", CASES, ids=[(c.values if hasattr(c, "values") else c)[0][:40] for c in CASES]
)
def test_top5_section(indexed_settings: Settings, question: str, doc_id: str, heading: str) -> None:
    hits = retrieve(question, k=5, settings=indexed_settings)
    assert _rank(hits, doc_id, heading) is not None, [(h.doc_id, h.path_str) for h in hits]


def test_case_table_hit_at_1_rate(indexed_settings: Settings) -> None:
    """Most of the table is answered by the first section (guards against ranking regressions)."""
    r = Retriever(indexed_settings)
    rows = [c.values if hasattr(c, "values") else c for c in CASES]
    top1 = sum(_rank(r.run(q, None, 1), d, h) == 1 for q, d, h in rows)
    assert top1 / len(CASES) >= 0.65, top1


# ---------------------------------------------------------------------------- hit contents


def test_hit_fields_are_a_located_section(indexed_settings: Settings) -> None:
    hits = retrieve("ミストラルAIの企業評価額は？", k=5, settings=indexed_settings)
    assert len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    keys = {(h.doc_id, h.heading_path) for h in hits}
    assert len(keys) == 5  # one hit per section
    for h in hits:
        assert h.title and h.source and h.chunk_ids and h.metadata["doc_id"] == h.doc_id
        assert h.metadata["heading_path"] == h.path_str
        assert {"fused", "dense", "bm25"} <= set(h.scores)
        lines = Path(h.source).read_text(encoding="utf-8").splitlines()
        assert 1 <= h.start_line <= h.end_line <= len(lines)
        # the text is the section's own lines (no "title › path" header line), found in that range
        assert not h.text.startswith(h.title)
        span = "\n".join(lines[h.start_line - 1 : h.end_line])
        body = [ln.strip() for ln in h.text.splitlines() if ln.strip()]
        assert body and all(ln in span for ln in body[:5]), h.path_str
        # best sentences come from the section text
        assert h.sentences
        assert all(s in h.text for s in h.sentences), (h.sentences, h.text[:200])


def test_best_sentence_answers_the_question(indexed_settings: Settings) -> None:
    hits = retrieve("ミストラルAIはいつ創業された？", k=3, settings=indexed_settings)
    top = next(h for h in hits if h.doc_id == "GENAI_042" and "背景と設立経緯" in h.heading_path)
    assert "2023年4月" in top.sentences[0]
    hits = retrieve("How many employees did Mistral AI have in September 2025?", k=5, settings=indexed_settings)
    sec = next(h for h in hits if "従業員規模の急成長" in h.heading_path)
    assert any("350人" in s for s in sec.sentences)


def test_multi_chunk_section_joined_in_order(indexed_settings: Settings) -> None:
    """A section cut into several chunks comes back whole, chunks in file order, lines spanning all."""
    from rag.index import get_library

    snap = get_library(indexed_settings).snapshot()
    by_section: dict[tuple[str, str], list[str]] = {}
    for cid, m in snap.metas.items():
        if m.get("kind") == "section":
            by_section.setdefault((m["uid"], m["heading_path"]), []).append(cid)
    key, cids = max(by_section.items(), key=lambda kv: len(kv[1]))
    assert len(cids) >= 2
    heading = key[1].split(" › ")[-1]
    doc_id = snap.metas[cids[0]]["doc_id"]
    hits = retrieve(heading, filters=Filters.parse([f"doc_id={doc_id}"]), k=20, settings=indexed_settings)
    hit = next(h for h in hits if h.path_str == key[1])
    assert sorted(hit.chunk_ids) == sorted(cids)
    metas = [snap.metas[c] for c in hit.chunk_ids]
    assert [m["order"] for m in metas] == sorted(m["order"] for m in metas)
    assert hit.start_line == min(m["start_line"] for m in metas)
    assert hit.end_line == max(m["end_line"] for m in metas)


def test_timings_filled(indexed_settings: Settings) -> None:
    tm: dict[str, float] = {}
    retrieve("Klarnaの顧客対応AIの成果は？", k=5, settings=indexed_settings, timings=tm)
    assert {"embed", "dense", "bm25", "fuse", "total"} <= set(tm)
    assert all(v >= 0 for v in tm.values())
    assert tm["total"] >= tm["dense"] + tm["bm25"]


def test_empty_question_and_k(indexed_settings: Settings) -> None:
    assert retrieve("   ", k=5, settings=indexed_settings) == []
    assert len(retrieve("生成AI", k=1, settings=indexed_settings)) == 1
    assert len(retrieve("生成AI", k=12, settings=indexed_settings)) == 12


# ---------------------------------------------------------------------------- filters on both sides

JAPANESE_DOCS = {"001_mufg", "GENAI_003", "006_softbank", "007_seven_eleven"}


@pytest.mark.parametrize(
    "weights",
    [(("ja", 1.0, 0.0), ("en", 1.0, 0.0)), (("ja", 0.0, 1.0), ("en", 0.0, 1.0)), None],
    ids=["dense-only", "bm25-only", "hybrid"],
)
@pytest.mark.parametrize("question", ["企業評価額はいくら？", "How much funding was raised?"])
def test_country_filter_restricts_each_side(indexed_settings: Settings, weights, question: str) -> None:
    """country=日本 (or Japan): dense side, BM25 side and their fusion only see Japanese companies."""
    from dataclasses import replace

    from rag.index import get_library
    from rag.search import DEFAULT_CONFIG

    cfg = DEFAULT_CONFIG if weights is None else replace(DEFAULT_CONFIG, weights=weights)
    snap = get_library(indexed_settings).snapshot()
    for items in (["country=日本"], ["country=Japan"]):
        hits, ranking = Retriever(indexed_settings, cfg).search(question, Filters.parse(items), k=10)
        assert hits and ranking
        assert {h.doc_id for h in hits} <= JAPANESE_DOCS
        assert {snap.metas[c]["doc_id"] for c, _ in ranking} <= JAPANESE_DOCS
    # unfiltered, the same question reaches other companies
    hits = Retriever(indexed_settings, cfg).run(question, None, 10)
    assert {h.doc_id for h in hits} - JAPANESE_DOCS


def _hnsw_snapshot(settings: Settings):
    """The current snapshot without its vectors: dense search goes through Chroma's HNSW index."""
    from dataclasses import replace

    from rag.index import get_library

    return replace(get_library(settings).snapshot(), vectors=None, vector_ids=[])


@pytest.mark.parametrize("question", ["企業評価額はいくら？", "Who is Klarna's CEO?", "AI発注の導入店舗数"])
def test_exact_dense_search_agrees_with_chroma(indexed_settings: Settings, question: str) -> None:
    from rag.index import get_library
    from rag.search import dense_query, get_retriever

    snap = get_library(indexed_settings).snapshot()
    assert snap.vectors is not None and snap.vectors.shape == (len(snap.metas), 384)
    qv = get_retriever(indexed_settings).embed_query(question)
    exact = dense_query(snap, qv, 10)
    hnsw = dense_query(_hnsw_snapshot(indexed_settings), qv, 10)
    assert len({c for c, _ in exact} & {c for c, _ in hnsw}) >= 9
    assert exact[0][0] == hnsw[0][0] and exact[0][1] == pytest.approx(hnsw[0][1], abs=1e-4)
    assert [s for _, s in exact] == sorted((s for _, s in exact), reverse=True)
    # a restriction (the resolved filter's chunk set) on the exact path
    allowed = {c for c, m in snap.metas.items() if m.get("country") == "日本"}
    got = dense_query(snap, qv, 10, {"country": "日本"}, allowed)
    assert got and {c for c, _ in got} <= allowed
    assert dense_query(snap, qv, 10, {"country": "none"}, set()) == []


def test_country_filter_on_the_hnsw_path(indexed_settings: Settings) -> None:
    """The Chroma `where` clause (used above rag.library.EXACT_DENSE_MAX chunks) filters the same way."""
    snap = _hnsw_snapshot(indexed_settings)
    hits, ranking = Retriever(indexed_settings).search(
        "企業評価額はいくら？", Filters.parse(["country=Japan"]), 10, snapshot=snap
    )
    assert hits and {snap.metas[c]["doc_id"] for c, _ in ranking} <= JAPANESE_DOCS


def test_ranking_is_reproducible(indexed_settings: Settings) -> None:
    """The same question gives the same fused scores whatever ran before it (exact dense search;
    HNSW's approximate top-50 tail used to move the min-max scaling)."""
    r = Retriever(indexed_settings)
    q = "パナソニック コネクトはConnectAIで初年度に何時間削減した？"
    _, first = r.search(q, k=5)
    for other in ("Who is Cohere's CEO?", "セブン-イレブンのAI発注", "Mistral AI valuation", "評価額"):
        r.run(other, k=5)
    _, again = r.search(q, k=5)
    assert again == first


def test_filters_combined_and_alias(indexed_settings: Settings) -> None:
    hits = retrieve("評価額", filters=Filters.parse(["company=ミストラルAI"]), k=5, settings=indexed_settings)
    assert hits and {h.doc_id for h in hits} == {"GENAI_042"}
    hits = retrieve(
        "valuation",
        filters={"country": ["米国", "カナダ"], "founded_year": {"gte": 2019}},
        k=10,
        settings=indexed_settings,
    )
    assert hits and all(
        h.metadata["country"] in ("米国", "カナダ") and h.metadata["founded_year"] >= 2019 for h in hits
    )
    assert "GENAI_037" in {h.doc_id for h in hits}  # Cohere (Canada, 2019)
    hits = retrieve("AI発注", filters=["industry~=小売"], k=5, settings=indexed_settings)
    assert hits and {h.doc_id for h in hits} == {"007_seven_eleven"}


@pytest.mark.parametrize("items", [["country=ブラジル"], ["company=Nobody Inc"], ["founded_year>=2100"]])
def test_filter_matching_nothing_returns_nothing(indexed_settings: Settings, items: list[str]) -> None:
    for weights in ((("ja", 1.0, 0.0), ("en", 1.0, 0.0)), (("ja", 0.0, 1.0), ("en", 0.0, 1.0))):
        from dataclasses import replace

        from rag.search import DEFAULT_CONFIG

        r = Retriever(indexed_settings, replace(DEFAULT_CONFIG, weights=weights))
        assert r.run("企業評価額", Filters.parse(items), 5) == []
    assert retrieve("企業評価額", filters=Filters.parse(items), k=5, settings=indexed_settings) == []


# ---------------------------------------------------------------------------- tokenizer effects on retrieval


@pytest.mark.parametrize(
    "question, doc_id, heading",
    [
        ("１８．６万時間の削減", "GENAI_003", "2. 導入成果サマリー"),  # full-width digits and 万
        ("企業価値€11.7B", "GENAI_042", "資金調達の推移"),
        ("900%成長した従業員数", "GENAI_042", "従業員規模の急成長"),  # % and compound noun
        ("ＡＳＭＬの出資比率", "GENAI_042", "資金調達の推移"),  # full-width Latin name
        ("カスタマーサービスAIアシスタント", "021_klarna", "3.1 カスタマーサービスAIアシスタント"),  # katakana compound
        ("Mixtral 8x22B", "GENAI_042", "フラッグシップモデル"),  # model name kept lexically
    ],
)
def test_tokenizer_sanity_for_retrieval(indexed_settings: Settings, question: str, doc_id: str, heading: str) -> None:
    hits = retrieve(question, k=5, settings=indexed_settings)
    assert _rank(hits, doc_id, heading) is not None, [(h.doc_id, h.path_str) for h in hits]


def test_latin_names_match_lexically_in_english(indexed_settings: Settings) -> None:
    """English question, Japanese text: the Latin name (ASML) is matched by BM25 on the section."""
    hits = retrieve("What stake did ASML take?", k=5, settings=indexed_settings)
    sec = next(h for h in hits if "資金調達の推移" in h.heading_path)
    assert sec.scores.get("bm25", 0) > 0


def _english_tokens(settings: Settings, question: str) -> list[str]:
    """The BM25 query tokens retrieval makes of an English question (names masked for the glossary)."""
    idx = snapshot_index(Retriever(settings).snapshot())
    return query_tokens(question, "en", DEFAULT_CONFIG, without_names(question, focus_names(question, idx), idx))


def test_a_named_company_is_no_glossary_vocabulary(indexed_settings: Settings) -> None:
    """The company a question names is blanked before the glossary is read: its words are a name."""
    idx = snapshot_index(Retriever(indexed_settings).snapshot())
    q = "What valuation did Mistral AI reach?"
    masked = without_names(q, focus_names(q, idx), idx)
    assert "mistral" not in masked and "valuation" in masked
    assert "評価" in _english_tokens(indexed_settings, q)  # the asked word still brings its terms


@needs_shared
def test_a_name_made_of_glossary_words_adds_none_of_their_terms(indexed_settings: Settings) -> None:
    """ "HCA Healthcare" names a company: no 医療 / ヘルスケア from it; "healthcare" as a word keeps them."""
    named = _english_tokens(indexed_settings, "How many nurses does HCA Healthcare employ?")
    assert "医療" not in named and "ヘルスケア" not in named
    assert "hca" in named and "healthcare" in named  # the name itself is still matched as written
    worded = _english_tokens(indexed_settings, "How does HCA use AI in healthcare?")
    assert "医療" in worded


# ---------------------------------------------------------------------------- LangChain


def test_langchain_retriever_in_a_chain(indexed_settings: Settings) -> None:
    from langchain_core.documents import Document
    from langchain_core.runnables import RunnableLambda, RunnablePassthrough

    from rag.search.langchain_retriever import CasebookRetriever, format_docs

    retriever = CasebookRetriever(settings=indexed_settings, k=3)
    docs = retriever.invoke("Who is Klarna's CEO?")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    m = docs[0].metadata
    assert {"doc_id", "title", "heading_path", "start_line", "end_line", "source", "score", "sentences"} <= set(m)
    assert any(d.metadata["doc_id"] == "021_klarna" for d in docs)

    chain = {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()} | RunnableLambda(
        lambda x: f"Q: {x['question']}\n\n{x['context']}"
    )
    out = chain.invoke("ミストラルAIの評価額は？")
    assert (
        out.startswith("Q: ミストラルAIの評価額は？") and "[1]" in out and "[3]" in out and "GENAI_042" not in out[:5]
    )

    filtered = CasebookRetriever(settings=indexed_settings, k=5, filters={"country": "日本"})
    docs = (filtered | RunnableLambda(lambda ds: [d.metadata["doc_id"] for d in ds])).invoke("generative AI adoption")
    assert docs and set(docs) <= JAPANESE_DOCS
    assert CasebookRetriever(settings=indexed_settings, filters=["country=ブラジル"]).invoke("AI") == []
