"""ui/markdown_view.py and ui/highlight.py: document Markdown as safe HTML with file-line mapping,
and which lines/spans of a citation are highlighted (no server, no index)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.conftest import FIXTURES
from ui.highlight import cited_marks
from ui.markdown_view import MAX_DEPTH, render_markdown

ALLOWED = {
    "div", "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "thead", "tbody", "tr",
    "th", "td", "blockquote", "pre", "code", "hr", "strong", "em", "del", "mark", "span",
}  # fmt: skip
VOID = {"br", "hr"}


class _Tree(HTMLParser):
    """Checks the output is well nested and made of the renderer's own tags; collects text per tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.marked: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        assert tag in ALLOWED, tag
        assert not any(k.startswith("on") or k in ("src", "href") for k in a), a
        self.tags.append((tag, a))
        if tag not in VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if any(t == "mark" for t, _ in self.stack):
            self.marked.append(data)


def parse(out: str) -> _Tree:
    p = _Tree()
    p.feed(out)
    p.close()
    assert not p.stack, p.stack
    return p


def lines_of(tag: str, tree: _Tree) -> list[str]:
    return [a.get("data-line") for t, a in tree.tags if t == tag]


def test_table_has_header_row_and_no_alignment_row():
    src = [
        "| 指標 | 導入前 | 導入後 |",
        "|:-----|------:|:---:|",
        "| **ピッキング時間** | 100分 | 65分 |",
        "| 誤出荷率 | 0.8% |",
    ]
    out = render_markdown(src, 40)
    tree = parse(out)
    assert "---" not in out and "|" not in "".join(tree.text) and "**" not in out
    assert [t for t, _ in tree.tags if t in ("th", "td")] == ["th"] * 3 + ["td"] * 6  # the short row is padded
    assert lines_of("tr", tree) == ["40", "42", "43"]  # the alignment row (41) is not shown
    assert '<td data-ln="42" style="text-align:left"><strong>ピッキング時間</strong></td>' in out
    assert 'style="text-align:right">100分' in out and 'style="text-align:center">65分' in out


def test_bold_italic_code_strike_and_lenient_japanese_emphasis():
    out = render_markdown(
        [
            "MUFGは**独自カスタマイズした社内AI「AI-bow」**を開発。**「最高峰」**として",
            "*注記* と _強調_ と snake_case_name と `a**b**` と ~~旧~~ と ***両方*** と \\*lit\\*",
        ]
    )
    assert "<strong>独自カスタマイズした社内AI「AI-bow」</strong>" in out
    assert "<strong>「最高峰」</strong>として" in out  # CommonMark would leave these asterisks
    assert "<em>注記</em>" in out and "<em>強調</em>" in out and "snake_case_name" in out
    assert "<code>a**b**</code>" in out and "<del>旧</del>" in out and "<strong><em>両方</em></strong>" in out
    assert "*lit*" in out and "\\" not in out
    parse(out)


def test_lists_nested_numbered_and_continued():
    src = [
        "- **主な課題**:",
        "  - 銀行業務の約60%が事務作業",
        "  - DX推進が急務",
        "    続きの行",
        "- 二つ目",
        "",
        "3. 三番から",
        "4. 四番",
        "* * *",
    ]
    out = render_markdown(src, 100)
    tree = parse(out)
    assert [t for t, _ in tree.tags if t in ("ul", "ol", "li", "hr")] == [
        "ul", "li", "ul", "li", "li", "li", "ol", "li", "li", "hr",
    ]  # fmt: skip
    assert lines_of("li", tree) == ["100", "101", "102", "104", "106", "107"]
    assert '<li data-line="102" data-end="103">DX推進が急務<br>続きの行</li>' in out
    assert '<ol class="md-list" start="3">' in out
    assert "<strong>主な課題</strong>:" in out


def test_everything_from_the_document_is_escaped():
    src = [
        '# Zorblax <img src=x onerror="window.__pwned=1">',
        "## 事業概要 <script>window.__pwned_h2=1</script>",
        "本文 <b>bold</b> & <iframe src='https://evil'></iframe> \"q\"",
        "| <script>x</script> | [click](javascript:alert(1)) |",
        "|---|---|",
        '| ![i](https://evil/i.png) | [ok](https://example.com "t") |',
        "> <img src=y onerror=alert(1)>",
        "```",
        "<script>alert(1)</script>",
        "```",
        "`<svg onload=alert(1)>`",
        "${1+1} {{value}}",
    ]
    out = render_markdown(src, 1, {3: [(0, 40)]}, target_line=3, target_id='x" onmouseover="y')
    tree = parse(out)  # only the renderer's tags, no on* / src / href attribute
    assert "<script" not in out and "<img" not in out and "<iframe" not in out and "<svg" not in out
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "&lt;b&gt;bold&lt;/b&gt; &amp;" in out
    assert 'id="x&quot; onmouseover=&quot;y"' in out
    assert "${1+1} {{value}}" in out  # text, shown as written
    links = [a.get("title") for t, a in tree.tags if t == "span" and a.get("class") == "md-link"]
    assert links == ["javascript:alert(1)", "https://example.com"]  # a link is its text; the address a tooltip
    assert any("[i]" in x for x in tree.text)  # an image is its alt text: nothing is fetched


def test_every_block_carries_its_file_lines():
    src = ["## 見出し", "", "一行目", "二行目", "", "> 引用", "", "```", "code", "```", "---"]
    out = render_markdown(src, 10)
    assert '<h2 data-line="10">' in out
    assert '<p data-line="12" data-end="13">一行目<br>二行目</p>' in out
    assert '<blockquote><p data-line="15">引用</p></blockquote>' in out
    assert '<pre data-line="17" data-end="19"><code>code</code></pre>' in out
    assert '<hr data-line="20">' in out


def test_marks_wrap_text_only_and_stay_nested():
    src = ["前文。**太字の引用文**と続き。", "| a | **b** |"]
    # a span across the bold markup and a whole table row
    out = render_markdown(src, 5, {5: [(3, 16)], 6: [(0, len(src[1]))]})
    tree = parse(out)
    assert "".join(tree.marked) == "太字の引用文と続き" + "ab"
    assert 'class="md-cited"' in out and out.count("<mark") == 4
    assert "<strong><mark" in out  # a mark is split at the tag, never across it


def test_target_gets_the_id_even_when_its_line_is_blank():
    out = render_markdown(["# H", "", "text"], 1, target_line=2, target_id="doc-target")
    assert '<p id="doc-target" data-line="3" class="md-target">' in out
    assert out.count('id="doc-target"') == 1


def test_front_matter_lines_are_kept_as_written_and_numbered_one_by_one():
    src = ["---", 'title: "<b>x</b>"', "---", "# Body"]
    out = render_markdown(src, 1, {2: [(0, 17)]}, front_matter=3, numbered=True)
    assert out.startswith('<div class="md md-numbered"><div class="md-fm">')
    assert (
        '<span data-line="2" class="md-fl md-cited"><mark class="cite-hl">title: &quot;&lt;b&gt;x&lt;/b&gt;&quot;</mark>'
        in out
    )
    assert '<h1 data-line="4">Body</h1>' in out


def test_fixture_with_emoji_and_full_width_headings():
    path = FIXTURES / "docs" / "fm_case_id.md"
    lines = path.read_text(encoding="utf-8").split("\n")
    out = render_markdown(lines, 1, front_matter=20, numbered=True)
    tree = parse(out)
    no = {ln: i + 1 for i, ln in enumerate(lines)}
    assert f'<h2 data-line="{no["## 🚀 3. 導入プロセス"]}">🚀 3. 導入プロセス</h2>' in out
    assert f'<p data-line="{no["**フェーズ１：パイロット**"]}"><strong>フェーズ１：パイロット</strong></p>' in out
    assert f'<li data-line="{no["- 自動車保険の請求のみを対象に３か月検証"]}">' in out
    row = no["| 本社 | ロンドン |"]
    assert f'<tr data-line="{row}"><td data-ln="{row}">本社</td><td>ロンドン</td></tr>' in out
    assert "|------|" not in out and "**" not in out
    assert len([t for t, _ in tree.tags if t == "table"]) == 1
    # every data-line names a real line whose text is in the block
    for tag, a in tree.tags:
        if "data-line" in a and tag not in ("span", "pre"):
            n = int(a["data-line"])
            assert lines[n - 1].strip(), (tag, n)


def test_crafted_input_stays_bounded():
    deep = [" " * i + "- x" for i in range(3000)] + ["> " * 3000 + "q"]
    out = render_markdown(deep)  # no RecursionError: lists and quotes nest at most MAX_DEPTH deep
    assert out.count("<ul") == MAX_DEPTH and out.count("<blockquote>") == MAX_DEPTH
    parse(out)
    long_line = "**a " * 2000 + "**b**"  # over MAX_INLINE: shown as written, no markup
    assert "<strong>" not in render_markdown([long_line]) and "<strong>b</strong>" in render_markdown(["**b**"])
    assert "<strong>" not in render_markdown(["**b**"] + ["x" * 1000] * 301)  # over MAX_CHARS in all


# ------------------------------------------------------------------------------ cited lines


def test_cited_marks_quote_inside_a_paragraph_line():
    lines = ["## 1. 概要", "", "前置き。同社は２０１４年に創業した。後書き。"]
    got = cited_marks(lines, 30, 32, 32, ["同社は2014年に創業した。"])  # width differences are folded
    ((a, b),) = got[32]
    assert lines[2][a:b] == "同社は２０１４年に創業した。"
    assert set(got) == {32}


def test_cited_marks_table_row_quoted_with_its_header():
    lines = [
        "| 指標 | 導入前 | 導入後 |",
        "|---|---|---|",
        "| ピッキング時間 | 100分 | 65分 |",
        "| 誤出荷率 | 0.8% | 0.2% |",
    ]
    quote = ["指標 | 導入前 | 導入後\nピッキング時間 | 100分 | 65分"]
    assert cited_marks(lines, 47, 49, 49, quote) == {49: [(0, len(lines[2]))]}  # the header is outside the range


def test_cited_marks_without_a_matching_quote_marks_the_cited_lines():
    lines = ["## H", "一行目", "", "二行目", "三行目"]
    got = cited_marks(lines, 1, 2, 4, ["どこにもない引用文です"])
    assert sorted(got) == [2, 4]  # the blank line is not marked; line 5 is outside the range
    assert cited_marks(lines, 1, 0, 0, ["どこにもない引用文です"]) == {}
    assert sorted(cited_marks(lines, 1, 0, 0, ["二行目"])) == [4]  # no range: found by the quote


def test_cited_marks_only_inside_the_range():
    lines = ["同じ文。", "同じ文。", "同じ文。"]
    assert sorted(cited_marks(lines, 1, 2, 2, ["同じ文。"])) == [2]


def test_rendered_marks_match_a_real_quote_with_markdown_removed():
    lines = [
        "**最大の成果は月22万時間（年間264万時間）の労働削減効果であり、推定年間数十億円のコスト削減を実現。** 稟議書作成"
    ]
    quote = ["最大の成果は月22万時間（年間264万時間）の労働削減効果であり、推定年間数十億円のコスト削減を実現。"]
    out = render_markdown(lines, 7, cited_marks(lines, 7, 7, 7, quote))
    assert re.search(r"<strong><mark class=\"cite-hl\">最大の成果は.*実現。</mark></strong> 稟議書作成", out)
