"""The source viewer without a server: a cited section rendered in the sources panel, a refusal's
related sections without highlight, and the full document of ui/doc_viewer.py (ui/doc_source.py
reads the fixture files through rag.ingest)."""

from __future__ import annotations

import re

from rag.schema import Answer, Citation, Hit
from tests.conftest import FIXTURES
from ui import render as R
from ui.doc_source import doc_text, section_range
from ui.doc_viewer import TARGET_ID, find_source, full_document_html

CASE = FIXTURES / "docs" / "fm_subject.md"
LINES = CASE.read_text(encoding="utf-8").split("\n")
NO = {ln: i + 1 for i, ln in enumerate(LINES)}
ROW = NO["| ピッキング時間 | 100分 | 65分 |"]
SECTION = ("📊 2. 導入効果",)


def _cited() -> Answer:
    c = Citation(
        1, "FIX_101", "Nordwind Robotics", "Nordwind Robotics", SECTION, str(CASE), ROW, ROW,
        ["| 指標 | 導入前 | 導入後 |", "| ピッキング時間 | 100分 | 65分 |"],
    )  # fmt: skip
    return Answer("ピッキング時間は？", "65分です。 [1]", "ja", citations=[c])


def _refused() -> Answer:
    start = NO["## 📊 2. 導入効果"]
    h = Hit("FIX_101", "Nordwind Robotics", SECTION, "(indexed text)", start, start + 12, 0.2, str(CASE))
    return Answer("トヨタの成果は？", "ライブラリにありません。", "ja", refused=True, related=[h])


def test_doc_text_and_section_range_follow_the_indexer():
    doc = doc_text(str(CASE))
    assert doc is not None and doc.lines[ROW - 1] == "| ピッキング時間 | 100分 | 65分 |"
    assert doc.body_start == LINES.index("---", 1) + 2  # the line after the closing ---
    a, b = section_range(doc, ROW, SECTION)
    assert LINES[a - 1] == "## 📊 2. 導入効果" and LINES[b].startswith("## 3.")  # up to the next heading
    assert section_range(doc, 3) == (1, doc.body_start - 1)  # a front-matter line: the front matter
    # a range starting on a parent heading picks the section with the cited path
    sub = NO["### 1.1 事業の特徴"]
    assert section_range(doc, sub - 4, ("1. 企業概要", "1.1 事業の特徴"), sub + 2)[0] == sub
    assert doc_text(str(FIXTURES / "nope.md")) is None


def test_citation_shows_its_whole_section_rendered_with_the_cited_row_marked():
    a = _cited()
    html = R.sources_panel_html([(1, a)], "ja")
    assert "<table>" in html and "|---" not in html and "**" not in html
    assert "<strong>成功要因</strong>" in html  # the rest of the section, rendered
    row = re.search(rf'<tr data-line="{ROW}" class="md-cited">(.*?)</tr>', html).group(1)
    assert re.findall(r'<mark class="cite-hl">(.*?)</mark>', row) == ["ピッキング時間", "100分", "65分"]
    assert f'<tr data-line="{ROW + 1}">' in html  # the next row: context, not marked
    assert "<mark" not in html.split("<table>")[0].split('class="src-text"')[1]  # the heading is not cited
    assert f"行 {ROW}–{ROW}" in html and "📊 2. 導入効果" in html
    assert 'class="open-doc"' in html and 'data-key="src-1-1"' in html and "文書全体を開く" in html


def test_related_sections_on_a_refusal_are_rendered_without_any_highlight():
    for lang, label in (("ja", "根拠ではありません"), ("en", "not evidence")):
        html = R.sources_panel_html([(2, _refused())], lang)
        assert "<mark" not in html and "md-cited" not in html
        assert "<table>" in html and "(indexed text)" not in html  # rendered from the file
        summary = re.search(r'<details class="src related".*?<summary>(.*?)</summary>', html).group(1)
        assert label in summary
        assert 'data-key="rel-2-1"' in html


def test_full_document_is_numbered_and_targets_the_cited_row():
    turns = [{"turn": 1, "answer": _cited()}, {"turn": 2, "answer": _refused()}]
    html = full_document_html("src-1-1", turns, "en")
    assert html.startswith('<div class="docview" data-key="src-1-1" data-kind="src"')
    assert '<div class="md md-numbered">' in html and "Cited lines highlighted" in html
    assert f'<tr id="{TARGET_ID}" data-line="{ROW}" class="md-cited md-target">' in html
    assert html.count(f'id="{TARGET_ID}"') == 1
    assert html.count('<mark class="cite-hl">') == 3  # only the cited row: the header is outside its lines
    assert '<span data-line="2" class="md-fl">id: &quot;FIX_101&quot;</span>' in html  # front matter, numbered
    assert f'<h2 data-line="{NO["## 3. 今後の展望"]}">3. 今後の展望</h2>' in html  # the whole document
    # a related section: the same document, no highlight, the target is its heading
    rel = full_document_html("rel-2-1", turns, "ja")
    assert "<mark" not in rel and "md-cited" not in rel and "回答の根拠ではありません" in rel
    assert f'<h2 id="{TARGET_ID}" data-line="{NO["## 📊 2. 導入効果"]}" class="md-target">' in rel


def test_full_document_only_for_sources_of_the_session():
    turns = [{"turn": 1, "answer": _cited()}]
    assert find_source("src-1-1", turns)[0] == "src"
    for key in ("src-1-2", "rel-1-1", "src-9-1", "../../etc/passwd", "src-1-1x", ""):
        assert find_source(key, turns) is None, key
        out = full_document_html(key, turns, "ja")
        assert "この出典は現在の会話にありません" in out and "md-numbered" not in out
    assert "&lt;img" in full_document_html("<img src=x onerror=alert(1)>", turns, "en")


def test_full_document_falls_back_to_the_indexed_text_when_the_file_is_gone(tmp_path):
    gone = tmp_path / "gone.md"
    c = Citation(1, "D", "T", "C", ("H",), str(gone), 5, 5, ["cited <b>line</b>"])
    h = Hit("D", "T", ("H",), "## H\nbefore\ncited <b>line</b>", 3, 5, 1.0, str(gone))
    a = Answer("q", "a [1]", "en", citations=[c], hits=[h])
    out = full_document_html("src-1-1", [{"turn": 1, "answer": a}], "en")
    assert "cannot be read on this server" in out
    assert '<mark class="cite-hl">cited &lt;b&gt;line&lt;/b&gt;</mark>' in out
    panel = R.citation_html(c, 1, a.hits, "en")
    assert '<h2 data-line="3">H</h2>' in panel and '<mark class="cite-hl">cited &lt;b&gt;line&lt;/b&gt;</mark>' in panel
