"""rag.ingest.company_names: one derivation of a document's company names, and the `**label**: value`
profile lines of a file without front matter that feed it (rag.ingest.body_fields)."""

from __future__ import annotations

from pathlib import Path

from rag.ingest import load_document
from rag.ingest.body_fields import body_table
from rag.ingest.company_names import bracketed_latin_names, derived_names, document_names, stem_name, title_head
from tests.conftest import MORE, needs_more

PROFILE_LINES = """# Tier 1 生成AI導入事例

**事例ID**: 099
**企業名**: 大和精機（Yamato Seiki）
- **業界**: 精密機器
- **本社**：大阪府大阪市
**導入時期**: 2024年

## 1. 概要

- **早期診断**: 本文の強調ラベルは遠くにあっても最初の値を上書きしない
**企業名**: 二度目は無視
"""


def test_label_lines_are_read_like_table_rows() -> None:
    table = body_table(PROFILE_LINES)
    assert table["企業名"] == "大和精機（Yamato Seiki）"  # the first one wins
    assert table["業界"] == "精密機器" and table["本社"] == "大阪府大阪市"
    assert "導入時期" in table and "概要" not in table
    assert body_table("本文 **太字** の文：説明") == {}  # bold inside a sentence is no label


def test_a_file_without_front_matter_gets_its_company_from_label_lines(tmp_path: Path) -> None:
    p = tmp_path / "099_yamato_seiki.md"
    p.write_text(PROFILE_LINES, encoding="utf-8")
    d = load_document(p)
    assert d.facets["company"] == "大和精機（Yamato Seiki）"
    assert {"大和精機", "Yamato Seiki"} <= set(d.facets["company_aliases"])
    assert d.facets["country"] == "日本" and d.facets["industry"] == "精密機器"
    names = document_names(d.doc_id, d.title, d.facets)
    assert names[0] == "大和精機(Yamato Seiki)" and "Yamato Seiki" in names  # NFKC
    assert "yamato seiki" in names  # the doc_id's spelling (the file stem here)


def test_a_latin_name_in_brackets_beside_the_japanese_one_is_an_alias(tmp_path: Path) -> None:
    body = "## 概要\n\n**株式会社大和精機**（Yamato Seiki Co., Ltd.）は大阪の会社。大和精機（2024年）は…\n"
    assert bracketed_latin_names(body, ["株式会社大和精機", "大和精機"]) == ["Yamato Seiki Co., Ltd."]
    assert bracketed_latin_names("大和精機（TSE: 6000）", ["大和精機"]) == []  # a ticker is no name
    assert bracketed_latin_names("Acme（米国）", ["Acme"]) == []  # only beside a Japanese name
    p = tmp_path / "doc.md"
    p.write_text("---\ncompany: 株式会社大和精機\n---\n" + body, encoding="utf-8")
    assert {"Yamato Seiki Co., Ltd.", "Yamato Seiki"} <= set(load_document(p).facets["company_aliases"])


def test_title_head_and_stem_name() -> None:
    assert title_head("Harvey - リーガルAI") == "Harvey"
    assert title_head("Klarna：AIアシスタント") == "Klarna"
    assert title_head("東京都の生成AI（ChatGPT）全庁導入事例") is None  # no separator: no company
    assert title_head("Tier 1 Case Study: Moderna × OpenAI") is None
    assert title_head("Tier 1 生成AI導入事例：スクウェア・エニックス - ChatGPT") is None
    assert stem_name("008_tokyo_metropolitan") == "tokyo metropolitan"
    assert stem_name("GENAI_044") is None and stem_name("klarna") is None


def test_derived_names() -> None:
    names = derived_names(["株式会社セブン-イレブン・ジャパン", "Mistral AI", "ミストラルAI", "Best Buy Co., Inc."])
    assert {"セブン-イレブン・ジャパン", "セブン-イレブン", "Mistral", "ミストラル", "Best Buy", "Best"} <= names
    assert "AI" not in names and "株式会社" not in names
    assert "tokyo" not in derived_names(["tokyo metropolitan"])  # a doc_id's spelling gives no first word
    assert "パナソニック" in derived_names(["パナソニック コネクト"])


def test_a_bracketed_note_is_no_derived_name() -> None:
    names = derived_names(["Advertising Company W (Pseudonym)", "広告企業W（仮称）"])
    assert "Advertising Company W" in names and "広告企業W" in names
    assert "Pseudonym" not in names and "仮称" not in names


@needs_more
def test_real_profiles_without_front_matter_name_their_company() -> None:
    olympus = load_document(MORE / "007_olympus_endoscope_ai.md")
    assert "Olympus" in olympus.facets["company_aliases"]
    bbva = load_document(MORE / "032_bbva.md")
    assert "BBVA" in bbva.facets["company_aliases"] and bbva.facets["country"] == "スペイン"
    square = load_document(MORE / "002_square_enix_chatgpt_gameai.md")
    assert "スクウェア・エニックス" in square.facets["company_aliases"]
