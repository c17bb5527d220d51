"""ui/render.py, ui/uploads.py, ui/feedback.py and the pure helpers of ui/app.py (no server, no index)."""

from __future__ import annotations

import json
import re

import pytest

from rag.schema import Answer, Citation, Hit
from ui import render as R

PLANT_HEADING = 'Evil <script>alert("h")</script> heading'
PLANT_TEXT = (
    '## Evil <script>alert("h")</script> heading\n'
    "Intro line.\n"
    'The fund raised <img src=x onerror="window.__pwned=1"> €1.3B in 2025.\n'
    "Another <b>bold</b> & plain sentence.\n"
)
QUOTE = 'The fund raised <img src=x onerror="window.__pwned=1"> €1.3B in 2025.'


def _answer(turn_text: str = "The fund raised €1.3B [1]. Also see [2] and [9].") -> Answer:
    c1 = Citation(
        1, "DOC_X", "Title <i>x</i>", "ACME <b>Corp</b>", ("Top", PLANT_HEADING), "/lib/x.md", 10, 13, [QUOTE]
    )
    c2 = Citation(2, "DOC_X", "Title <i>x</i>", "ACME <b>Corp</b>", ("Top",), "/lib/x.md", 1, 9, ["Intro line."])
    h1 = Hit("DOC_X", "Title <i>x</i>", ("Top", PLANT_HEADING), PLANT_TEXT, 10, 13, 1.0, "/lib/x.md")
    h2 = Hit("DOC_X", "Title <i>x</i>", ("Top",), "# Top\nIntro line.\n", 1, 9, 0.5, "/lib/x.md")
    return Answer("q <script>", turn_text, "en", citations=[c1, c2], hits=[h1, h2])


# ------------------------------------------------------------------------------ escaping


def test_answer_html_escapes_and_links_citations():
    a = _answer("Bad <script>alert(1)</script> and <img src=x onerror=alert(1)> [1] [9]")
    out = R.answer_html(a.text, 3, a.citations)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert '<a class="cite" href="#src-3-1"' in out
    assert "[9]" in out and "#src-3-9" not in out  # no citation 9: stays plain text


def test_link_citations_groups_and_ranges():
    out = R.link_citations("a [1, 2] b [3、1] c", 2, [1, 2, 3])
    assert re.findall(r'href="#(src-2-\d)"', out) == ["src-2-1", "src-2-2", "src-2-3", "src-2-1"]
    assert R.link_citations("x [7]", 1, [1]) == "x [7]"


def test_streaming_answer_has_no_links_yet():
    out = R.answer_html("partial [1", 1, (), streaming=True)
    assert "cite" not in out


def test_citation_html_escapes_planted_heading_and_text_and_highlights():
    a = _answer()
    html = R.citation_html(a.citations[0], 4, a.hits, "en", open_=True)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;script&gt;alert(&quot;h&quot;)&lt;/script&gt;" in html  # heading path and text, as text
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html
    assert 'id="src-4-1"' in html
    # issue #16: the section is rendered Markdown; the quote is a <mark class="cite-hl"> (was a bare <mark>)
    marks = re.findall(r'<mark class="cite-hl">(.*?)</mark>', html, re.S)
    assert marks == ["The fund raised &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt; €1.3B in 2025."]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; plain" in html  # not highlighted, still escaped
    assert "x.md" in html and "10–13" in html
    assert "ACME &lt;b&gt;Corp&lt;/b&gt;" in html


def test_highlight_tolerates_whitespace_and_never_breaks_escaping():
    text = "第一文です。\n第二文は\n  改行を含む。<tag>終わり"
    out = R.highlight(text, ["第二文は 改行を含む。<tag>"])
    assert "<mark>第二文は\n  改行を含む。&lt;tag&gt;</mark>" in out
    assert R.highlight("a < b", ["zzz"]) == "a &lt; b"
    # overlapping quotes merge into one mark
    out = R.highlight("abcdefghij", ["abcdef", "defghi"])
    assert out == "<mark>abcdefghi</mark>j"


def test_highlight_matches_quotes_with_markdown_removed():
    text = "**Arthur Mensch（CEO）**\n| **Series C** | €1.7B |\nx window.__pwned=1 y"
    assert "<mark>Arthur Mensch（CEO）</mark>" in R.highlight(text, ["Arthur Mensch（CEO）"])
    out = R.highlight(text, ["Series C €1.7B", "window.pwned=1"])
    assert "<mark>Series C** | €1.7B</mark>" in out
    assert "<mark>window.__pwned=1</mark>" in out
    assert R.highlight("abc", ["zz"]) == "abc"


def test_sources_panel_turns_and_refusal_related():
    a1 = _answer()
    refused = Answer(
        "unknown?",
        "The library does not say.",
        "en",
        refused=True,
        related=[
            Hit(
                "D2",
                "T<2>",
                ("H<1>",),
                "text <script>x</script>",
                3,
                4,
                0.1,
                "/lib/y.md",
                sentences=["text <script>x</script>"],
            )
        ],
    )
    html = R.sources_panel_html([(1, a1), (2, refused)], "en")
    assert 'id="rel-2-1"' in html and 'id="src-1-1"' in html  # earlier answers keep their anchors
    assert "<script" not in html.lower()
    assert "Related" in html
    assert html.index('data-turn="2"') < html.index('data-turn="1"')  # newest first


def test_section_text_falls_back_to_file_lines(tmp_path):
    f = tmp_path / "c.md"
    f.write_text("l1\nl2 <x>\nl3\nl4\n", encoding="utf-8")
    c = Citation(1, "D", "T", "C", ("H",), str(f), 2, 3, ["l2 <x>"])
    assert R.section_text_for(c, []) == "l2 <x>\nl3"
    assert '<mark class="cite-hl">l2 &lt;x&gt;</mark>' in R.citation_html(c, 1, [], "ja")


def test_library_html_escapes_everything():
    docs = [
        {
            "path": "/up/<b>.md",
            "doc_id": "D<1>",
            "title": "<img src=x onerror=alert(1)>",
            "facets": {"company": "<script>c</script>", "tags": ["<t>"]},
            "issues": [{"path": "/up/<b>.md", "line": 3, "message": "bad <yaml>"}],
            "chunks": 2,
        }
    ]
    errors = [{"path": "/up/bin.md", "line": None, "message": "binary <file>"}]
    html = R.library_html(docs, errors, "en", 5, "/up")
    assert "<img" not in html and "<script" not in html and "<t>" not in html
    assert "bad &lt;yaml&gt;" in html and "binary &lt;file&gt;" in html and ":3:" in html
    assert "generation 5" in html


def test_briefing_frame_is_sandboxed_and_escaped():
    out = R.briefing_frame('<html><body><script>x</script>"q"</body></html>')
    assert out.startswith("<iframe") and 'sandbox="allow-same-origin"' in out
    assert "<script" not in out and "&quot;q&quot;" in out


# ------------------------------------------------------------------------------ uploads


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\win\\case.TXT", "case.txt"),
        ("/abs/path/日本語　ケース.md", "日本語_ケース.md"),
        (".hidden.md", "hidden.md"),
        ("ＡＢＣ（株）.md", "ABC_株.md"),
        ("<script>alert(1)</script>.md", "script.md"),  # "/" is a directory separator
        ("<b>x y</b>.md", "b.md"),
        ("<img onerror=x>.md", "img_onerror_x.md"),
        ("a..b....md", "a.b.md"),
        ("C:evil.md", "evil.md"),
    ],
)
def test_safe_filename(raw, expected):
    from ui.uploads import safe_filename

    assert safe_filename(raw) == expected


@pytest.mark.parametrize("raw", ["x.exe", "x.md.exe", "noext", "...md", "..", "(.md", ".md"])
def test_safe_filename_rejects(raw):
    from ui.uploads import UnsafeName, safe_filename

    with pytest.raises(UnsafeName):
        safe_filename(raw)


def test_accept_uploads_checks_and_saves(tmp_path):
    from rag.config import Settings
    from ui.uploads import accept_uploads

    settings = Settings.from_env(data_dir=tmp_path / "data")
    src = tmp_path / "in"
    src.mkdir()
    good = src / "good case.md"
    good.write_text("---\ntitle: Good\n---\n# Good\nText.\n", encoding="utf-8")
    yaml_bad = src / "yaml.md"
    yaml_bad.write_text('---\ntitle: "x\nsubject: [a\n  b: c\n---\n# H\nbody\n', encoding="utf-8")
    binary = src / "bin.md"
    binary.write_bytes(b"ab\x00\x00cd" * 10)
    exe = src / "run.exe"
    exe.write_text("x", encoding="utf-8")
    big = src / "big.md"
    big.write_text("a" * 2000, encoding="utf-8")
    res = accept_uploads([good, yaml_bad, binary, exe], settings, "en")
    saved = sorted(p.name for p in res.saved)
    assert saved == ["good_case.md", "yaml.md"]
    assert all(p.parent == settings.uploads_dir for p in res.saved)
    kinds = {(k, m.split(":")[0]) for k, m in res.messages}
    assert ("error", "bin.md") in kinds and ("error", "run.exe") in kinds
    # issue #16: warnings read file:line (was "yaml.md, line N")
    warn = [m for k, m in res.messages if k == "warn" and re.match(r"yaml\.md:\d+: ", m)]
    assert warn, res.messages
    res2 = accept_uploads([big], settings, "ja", max_bytes=1000)
    assert res2.saved == [] and res2.messages[0][0] == "error" and "大きすぎ" in res2.messages[0][1]
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == ["good_case.md", "yaml.md"]


# ------------------------------------------------------------------------------ feedback


def test_feedback_store_merges_and_exports_eval_format(tmp_path):
    from eval.questionset import parse_question
    from ui.feedback import FeedbackStore

    store = FeedbackStore(tmp_path)
    a = _answer()
    store.record(
        answer_id="a1",
        rating="up",
        question="How much was raised?",
        lang="en",
        filters={"country": "フランス"},
        answer_text=a.text,
        citations=a.citations,
    )
    store.record(answer_id="a1", comment="good one")
    store.record(answer_id="a2", rating="down", question="誰が創業した？", lang="ja", answer_text="x")
    store.record(answer_id="a3", rating="up", question="Unknown thing?", lang="en", refused=True)
    store.record(answer_id="a4", comment="only a comment", question="q4", lang="en")
    with open(store.path, "a", encoding="utf-8") as f:
        f.write('{"torn": ')  # a crashed writer's last line
    es = {e["answer_id"]: e for e in store.entries()}
    assert es["a1"]["rating"] == "up" and es["a1"]["comment"] == "good one"
    assert store.counts() == {"up": 2, "down": 1, "comments": 2}
    qs = {q["id"]: q for q in store.export_questions()}
    assert set(qs) == {"fb-up-a1", "fb-down-a2", "fb-up-a3"}
    up = qs["fb-up-a1"]
    assert up["answerable"] is True and up["kind"] == "feedback" and up["filters"] == {"country": "フランス"}
    assert up["gold"] == [{"doc": "DOC_X", "section": PLANT_HEADING}, {"doc": "DOC_X", "section": "Top"}]
    assert qs["fb-up-a3"]["answerable"] is False and qs["fb-up-a3"]["gold"] == []
    assert qs["fb-down-a2"]["lang"] == "ja" and qs["fb-down-a2"]["gold"] == []
    for q in qs.values():
        assert set(q) == {"id", "question", "lang", "answerable", "gold", "facts", "filters", "kind"}
        parse_question(json.loads(json.dumps(q)))  # valid in the eval format
    path = store.export_file(tmp_path / "out")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3


# ------------------------------------------------------------------------------ app helpers


def test_filters_from_controls_and_suggestions():
    from ui.filters import filters_from_controls, suggestion_to_controls

    f = filters_from_controls(["日本"], [], None, ["Mistral AI"], ["LLM", "AI"], "2015", "")
    assert f == {"country": "日本", "company": "Mistral AI", "tags": ["LLM", "AI"], "founded_year": {"gte": 2015}}
    assert filters_from_controls([], [], [], [], [], "", "") == {}
    choices = {"country": ["日本", "米国"], "industry": ["金融・銀行業", "金融・フィンテック", "小売"]}
    got = suggestion_to_controls({"country": "米国", "industry": {"contains": ["金融"]}, "tags": "x"}, choices)
    assert got == {"country": ["米国"], "industry": ["金融・銀行業", "金融・フィンテック"]}


def test_i18n_has_both_languages():
    from ui.i18n import LABELS, t

    missing = [k for k, v in LABELS.items() if not (v.get("ja") and v.get("en"))]
    assert not missing
    assert t("tab_library", "en") == "Library" and t("tab_library", "ja") == "ライブラリ"
    assert t("no-such-key", "en") == "no-such-key"
