"""Document Markdown as safe HTML for the source viewer, each block tagged with its file lines.

A small renderer written for the case files: ATX headings, paragraphs (a line break stays a
<br>), bullet and numbered lists nested by indent, pipe tables (the header row as <th>; the
alignment row is not shown, it sets text-align), block quotes, fenced code, horizontal rules, a
YAML front matter as preformatted lines; inline bold, italic, strikethrough, code, and links and
images shown as their text (nothing on the page requests anything). Emphasis is matched per line
and leniently: `**「重要」**です` is bold, as authors mean it, where CommonMark's flanking rules
would leave the asterisks.

Safety: every piece of document text goes through html.escape (quotes included); markup is only
added around escaped pieces, so no raw HTML from a document reaches the page.

Lines: every block carries data-line (its first file line) and data-end (its last, when more).
`marks` maps a file line to character spans of that raw line; the text inside a span is wrapped
in <mark class="cite-hl">, split at every tag so a mark never breaks the nesting, and the block
gets the class md-cited. `target_line` gives the block holding that line (or the first one after
it) the id `target_id`, to scroll to. With numbered=True the CSS shows each block's first line
number in a gutter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Span = tuple[int, int]
Item = tuple[int, str, int]  # (file line, text, offset of the text's first char in the raw line)
MARK_CLASS = "cite-hl"
MAX_INLINE = 4000  # longer lines get no inline markup (the longest line of the corpus has ~700 chars)
MAX_DEPTH = 8  # nesting of lists and quotes (deeper ones stay at this level: no unbounded recursion)
MAX_CHARS = 300_000  # a longer text gets none either (the largest case has 66 KB): a crafted file stays cheap

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_CLOSING = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_QUOTE = re.compile(r"^ {0,3}> ?")
_ALIGN_CELL = re.compile(r"^[ \t]*(:?)-+(:?)[ \t]*$")
_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_b>.+?)(?P=code)(?!`)"
    r"|!\[(?P<img_b>[^\]]*)\]\((?P<img_u>[^()\s]*)(?:[ \t]+\"[^\"]*\")?\)"
    r"|\[(?P<link_b>(?:[^\[\]]|\[[^\[\]]*\])+)\]\((?P<link_u>(?:[^()\s]|\([^()\s]*\))*)(?:[ \t]+\"[^\"]*\")?\)"
    r"|<(?P<auto_b>(?:https?|mailto):[^<>\s]+)>"
    r"|\*\*\*(?P<bi>[^\s*](?:.{0,400}?\S)?)\*\*\*"
    r"|\*\*(?P<b1>[^\s*](?:.{0,400}?\S)?)\*\*"
    r"|(?<![0-9A-Za-z])__(?P<b2>[^\s_](?:.{0,400}?\S)?)__(?![0-9A-Za-z])"
    r"|~~(?P<del_b>[^\s~](?:.{0,400}?\S)?)~~"
    r"|\*(?P<i1>[^\s*](?:[^*]{0,400}?[^\s*])?)\*"
    r"|(?<![0-9A-Za-z])_(?P<i2>[^\s_](?:[^_]{0,400}?[^\s_])?)_(?![0-9A-Za-z])"
    r"|\\(?P<esc>[!-/:-@\[-`{-~])"
)
_WRAPS = (("b1", "strong"), ("b2", "strong"), ("del_b", "del"), ("i1", "em"), ("i2", "em"))


def esc(s: str) -> str:
    return html.escape(s, quote=True)


def _indent(s: str) -> int:
    x = s.expandtabs(4)
    return len(x) - len(x.lstrip(" "))


def _is_list(s: str) -> re.Match[str] | None:
    return None if _HR.match(s) else _LIST.match(s)


def _row_cells(s: str, off: int) -> list[tuple[str, int]]:
    """Cells of a table row as (stripped text, its offset in the raw line); outer pipes dropped."""
    bars, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == "|":
            bars.append(i)
        i += 1
    edges = [-1, *bars, len(s)]
    pieces = [(edges[k] + 1, edges[k + 1]) for k in range(len(edges) - 1)]
    if bars and not s[: pieces[0][1]].strip():
        pieces = pieces[1:]
    if bars and pieces and not s[pieces[-1][0] :].strip():
        pieces = pieces[:-1]
    cells = []
    for a, b in pieces:
        raw = s[a:b]
        cells.append((raw.strip(), off + a + len(raw) - len(raw.lstrip())))
    return cells


def _align(s: str) -> list[str] | None:
    """The alignments of a table's alignment row (`|:---|---:|`), None when `s` is not one."""
    if "|" not in s or "-" not in s:
        return None
    out = []
    for cell, _ in _row_cells(s, 0):
        m = _ALIGN_CELL.match(cell)
        if not m:
            return None
        out.append("center" if m.group(1) and m.group(2) else "right" if m.group(2) else "left" if m.group(1) else "")
    return out or None


@dataclass
class _Li:
    lines: list[Item]
    children: list[_List] = field(default_factory=list)


@dataclass
class _List:
    ordered: bool
    start: int
    indent: int
    items: list[_Li] = field(default_factory=list)


class _Renderer:
    def __init__(
        self, marks: Mapping[int, Sequence[Span]], target_line: int | None, target_id: str, plain: bool = False
    ) -> None:
        self.marks = marks
        self.plain = plain
        self.target_line = target_line
        self.target_id = target_id
        self.target_done = target_line is None or not target_id

    # ---------------------------------------------------------------- attributes and inline text

    def attrs(self, nums: Sequence[int], cls: str = "") -> str:
        classes = [cls] if cls else []
        if any(n in self.marks for n in nums):
            classes.append("md-cited")
        out = ""
        if not self.target_done and (self.target_line in nums or nums[0] > self.target_line):  # type: ignore[operator]
            out += f' id="{esc(self.target_id)}"'
            classes.append("md-target")
            self.target_done = True
        out += f' data-line="{nums[0]}"' + (f' data-end="{nums[-1]}"' if nums[-1] != nums[0] else "")
        return out + (f' class="{" ".join(classes)}"' if classes else "")

    def text(self, s: str, off: int, spans: Sequence[Span]) -> str:
        out: list[str] = []
        pos = 0
        for a, b in spans:
            a2, b2 = max(a - off, pos), min(b - off, len(s))
            if b2 <= a2 or not s[a2:b2].strip():
                continue
            out.append(esc(s[pos:a2]))
            out.append(f'<mark class="{MARK_CLASS}">{esc(s[a2:b2])}</mark>')
            pos = b2
        out.append(esc(s[pos:]))
        return "".join(out)

    def span_inline(self, s: str, off: int, spans: Sequence[Span]) -> str:
        out: list[str] = []
        pos = 0
        for m in _INLINE.finditer(s):
            out.append(self.text(s[pos : m.start()], off + pos, spans))
            pos = m.end()
            if m.group("code") is not None:
                out.append(f"<code>{self.text(m.group('code_b'), off + m.start('code_b'), spans)}</code>")
            elif m.group("img_b") is not None:
                alt = self.text(m.group("img_b") or "image", off + m.start("img_b"), spans)
                out.append(f'<span class="md-img" title="{esc(m.group("img_u"))}">[{alt}]</span>')
            elif m.group("link_b") is not None:
                body = self.span_inline(m.group("link_b"), off + m.start("link_b"), spans)
                out.append(f'<span class="md-link" title="{esc(m.group("link_u"))}">{body}</span>')
            elif m.group("auto_b") is not None:
                out.append(self.text(m.group("auto_b"), off + m.start("auto_b"), spans))
            elif m.group("bi") is not None:
                body = self.span_inline(m.group("bi"), off + m.start("bi"), spans)
                out.append(f"<strong><em>{body}</em></strong>")
            elif m.group("esc") is not None:
                out.append(self.text(m.group("esc"), off + m.start("esc"), spans))
            else:
                name, tag = next((g, t) for g, t in _WRAPS if m.group(g) is not None)
                out.append(f"<{tag}>{self.span_inline(m.group(name), off + m.start(name), spans)}</{tag}>")
        out.append(self.text(s[pos:], off + pos, spans))
        return "".join(out)

    def inline(self, item: Item) -> str:
        n, s, off = item
        if self.plain or len(s) > MAX_INLINE:  # shown as written: emphasis matching costs O(len × 400)
            return self.text(s, off, self.marks.get(n, ()))
        return self.span_inline(s, off, self.marks.get(n, ()))

    # ---------------------------------------------------------------- blocks

    def starts_block(self, items: Sequence[Item], i: int) -> bool:
        s = items[i][1]
        return bool(
            _HEADING.match(s) or _HR.match(s) or _FENCE.match(s) or _QUOTE.match(s) or _is_list(s)
        ) or self.table_start(items, i)

    @staticmethod
    def table_start(items: Sequence[Item], i: int) -> bool:
        s = items[i][1].strip()
        if "|" not in s:
            return False
        if i + 1 < len(items) and _align(items[i + 1][1]):
            return True
        return s.startswith("|") and s.endswith("|") and len(s) > 1

    @staticmethod
    def fence_end(items: Sequence[Item], i: int, fence: str) -> int | None:
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        for j in range(i + 1, len(items)):
            if close.match(items[j][1]):
                return j
        return None

    def blocks(self, items: Sequence[Item], depth: int = 0) -> str:
        out: list[str] = []
        i, n = 0, len(items)
        while i < n:
            ln, s, off = items[i]
            if not s.strip():
                i += 1
                continue
            fm = _FENCE.match(s)
            end = self.fence_end(items, i, fm.group(1)) if fm else None
            if end is not None:
                code = "\n".join(self.text(t, o, self.marks.get(k, ())) for k, t, o in items[i + 1 : end])
                out.append(f"<pre{self.attrs([x[0] for x in items[i : end + 1]])}><code>{code}</code></pre>")
                i = end + 1
            elif hm := _HEADING.match(s):
                content = _CLOSING.sub("", s[hm.end() :]).rstrip()
                level = len(hm.group(1))
                out.append(f"<h{level}{self.attrs([ln])}>{self.inline((ln, content, off + hm.end()))}</h{level}>")
                i += 1
            elif _HR.match(s):
                out.append(f"<hr{self.attrs([ln])}>")
                i += 1
            elif depth < MAX_DEPTH and _QUOTE.match(s):  # deeper quotes stay text: no unbounded recursion
                j = i
                inner: list[Item] = []
                while j < n and (qm := _QUOTE.match(items[j][1])):
                    inner.append((items[j][0], items[j][1][qm.end() :], items[j][2] + qm.end()))
                    j += 1
                out.append(f"<blockquote>{self.blocks(inner, depth + 1)}</blockquote>")
                i = j
            elif self.table_start(items, i):
                j = i + 1
                while j < n and items[j][1].strip() and "|" in items[j][1] and not _HEADING.match(items[j][1]):
                    j += 1
                out.append(self.table(items[i:j]))
                i = j
            elif _is_list(s):
                j = self.list_end(items, i)
                out.append(self.lists(items[i:j]))
                i = j
            else:
                j = i + 1
                while j < n and items[j][1].strip() and not self.starts_block(items, j):
                    j += 1
                para = items[i:j]
                body = "<br>".join(self.inline((k, t.strip(), o + len(t) - len(t.lstrip()))) for k, t, o in para)
                out.append(f"<p{self.attrs([x[0] for x in para])}>{body}</p>")
                i = j
        return "".join(out)

    def table(self, rows: Sequence[Item]) -> str:
        align = _align(rows[1][1]) if len(rows) > 1 else None
        head, body = (rows[0], rows[2:]) if align else (None, rows)
        width = len(_row_cells(head[1], 0)) if head else 0

        def row(item: Item, tag: str) -> str:
            ln = item[0]
            cells = _row_cells(item[1], item[2])
            cells += [("", 0)] * (width - len(cells))
            tds = []
            for k, (t, o) in enumerate(cells):
                a = align[k] if align and k < len(align) and align[k] else ""
                style = f' style="text-align:{a}"' if a else ""
                gutter = f' data-ln="{ln}"' if k == 0 else ""
                tds.append(f"<{tag}{gutter}{style}>{self.inline((ln, t, o))}</{tag}>")
            return f"<tr{self.attrs([ln])}>{''.join(tds)}</tr>"

        thead = f"<thead>{row(head, 'th')}</thead>" if head else ""
        return f'<div class="md-table"><table>{thead}<tbody>{"".join(row(r, "td") for r in body)}</tbody></table></div>'

    def list_end(self, items: Sequence[Item], i: int) -> int:
        j, n = i + 1, len(items)
        while j < n:
            s = items[j][1]
            if not s.strip():
                k = j
                while k < n and not items[k][1].strip():
                    k += 1
                if k < n and (_is_list(items[k][1]) or _indent(items[k][1]) >= 2):
                    j = k
                    continue
                break
            if not _is_list(s) and self.starts_block(items, j):
                break
            j += 1
        return j

    def lists(self, items: Sequence[Item]) -> str:
        roots: list[_List] = []
        stack: list[_List] = []
        last: _Li | None = None
        for ln, s, off in items:
            if not s.strip():
                continue
            m = _is_list(s)
            if not m:
                if last is not None:
                    last.lines.append((ln, s.strip(), off + len(s) - len(s.lstrip())))
                continue
            ind, marker = _indent(m.group(1)), m.group(2)
            ordered = marker[0].isdigit()
            while stack and stack[-1].indent > ind:
                stack.pop()
            if stack and stack[-1].indent == ind and stack[-1].ordered != ordered:
                stack.pop()
            if not stack or (stack[-1].indent < ind and len(stack) < MAX_DEPTH):  # deeper: same level
                new = _List(ordered, int(marker[:-1]) if ordered else 1, ind)
                (stack[-1].items[-1].children if stack and stack[-1].items else roots).append(new)
                stack.append(new)
            last = _Li([(ln, s[m.end() :], off + m.end())])
            stack[-1].items.append(last)
        return "".join(self.render_list(x) for x in roots)

    def render_list(self, lst: _List) -> str:
        tag = "ol" if lst.ordered else "ul"
        start = f' start="{lst.start}"' if lst.ordered and lst.start != 1 else ""
        lis = []
        for li in lst.items:
            head = f"<li{self.attrs([x[0] for x in li.lines])}>"  # before the children: document order
            body = "<br>".join(self.inline(x) for x in li.lines)
            lis.append(head + body + "".join(self.render_list(c) for c in li.children) + "</li>")
        return f'<{tag} class="md-list"{start}>{"".join(lis)}</{tag}>'

    def front_matter(self, items: Sequence[Item]) -> str:
        rows = "".join(
            f"<span{self.attrs([k], 'md-fl')}>{self.text(t, o, self.marks.get(k, ())) or ' '}</span>"
            for k, t, o in items
        )
        return f'<div class="md-fm">{rows}</div>'


def render_markdown(
    lines: Sequence[str],
    first: int = 1,
    marks: Mapping[int, Sequence[Span]] | None = None,
    *,
    front_matter: int = 0,
    target_line: int | None = None,
    target_id: str = "",
    numbered: bool = False,
) -> str:
    """`lines` (file lines `first`…) as HTML in a <div class="md">; the first `front_matter` lines
    are shown as the YAML they are, one numbered line each."""
    items = [(first + i, ln[:-1] if ln.endswith("\r") else ln, 0) for i, ln in enumerate(lines)]
    r = _Renderer(marks or {}, target_line, target_id, plain=sum(len(x) for x in lines) > MAX_CHARS)
    fm = r.front_matter(items[:front_matter]) if front_matter > 0 else ""
    body = r.blocks(items[max(front_matter, 0) :])
    return f'<div class="md{" md-numbered" if numbered else ""}">{fm}{body}</div>'


CSS = """
.md { line-height: 1.6; white-space: normal; overflow-wrap: anywhere; }
.md h1, .md h2, .md h3, .md h4, .md h5, .md h6 { margin: 0.5em 0 0.3em; line-height: 1.35; font-weight: 700; }
.md h1 { font-size: 1.25em; } .md h2 { font-size: 1.15em; } .md h3 { font-size: 1.05em; }
.md h4, .md h5, .md h6 { font-size: 1em; }
.md p { margin: 0.35em 0; }
.md ul, .md ol { margin: 0.3em 0; padding-left: 1.5em; }
.md li { margin: 0.1em 0; }
.md .md-list .md-list { font-size: 100%; margin: 0.1em 0; padding-inline-start: 1.4em; }
.md blockquote { margin: 0.4em 0; padding: 0 0.8em; border-left: 3px solid var(--border-color-primary);
  color: var(--body-text-color-subdued); }
.md pre { margin: 0.4em 0; padding: 6px 8px; background: var(--background-fill-primary); border-radius: 4px;
  overflow-x: auto; white-space: pre; font-size: 0.92em; }
.md code { font-family: var(--font-mono); font-size: 0.92em; }
.md hr { border: none; border-top: 1px solid var(--border-color-primary); margin: 0.6em 0; }
.md .md-table { overflow-x: auto; margin: 0.4em 0; }
.md table { border-collapse: collapse; font-size: 0.95em; }
.md th, .md td { border: 1px solid var(--border-color-primary); padding: 2px 6px; vertical-align: top; }
.md th { background: var(--background-fill-primary); text-align: left; }
.md .md-link { text-decoration: underline dotted; }
.md mark.cite-hl { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.md .md-cited { box-shadow: inset 3px 0 0 #f59e0b; }
.md li.md-cited, .md p.md-cited, .md h1.md-cited, .md h2.md-cited, .md h3.md-cited { padding-left: 6px; }
.md .md-fm { margin: 0.2em 0 0.6em; padding: 4px 8px; border-radius: 4px; background: var(--background-fill-primary);
  font-family: var(--font-mono); font-size: 0.85em; }
.md .md-fl { display: block; white-space: pre-wrap; min-height: 1.6em; }
.md-numbered { position: relative; padding-left: 3.6em; }
.md-numbered [data-line]:not(tr)::before, .md-numbered [data-ln]::before {
  position: absolute; left: 0; width: 3em; text-align: right; font-size: 0.75rem; font-weight: 400;
  line-height: 1.9; color: var(--body-text-color-subdued); font-family: var(--font-mono); }
.md-numbered [data-line]:not(tr)::before { content: attr(data-line); }
.md-numbered hr[data-line]::before { content: none; }
.md-numbered .md-fl::before { font-size: inherit; line-height: inherit; }
.md-numbered [data-ln]::before { content: attr(data-ln); }
"""
