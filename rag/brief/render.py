"""Rendering a briefing or comparison: Markdown (optionally with document text HTML-escaped) and a
self-contained printable HTML page (inline CSS, a CSP that loads nothing, every document-derived
text escaped); the JSON form is the records' `to_dict()`."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.brief.labels import ui
from rag.brief.records import Briefing, BriefItem, Comparison
from rag.schema import PATH_SEP, Citation


def _lines_text(c: Citation, lang: str) -> str:
    if c.start_line == c.end_line:
        return f"{c.start_line}行" if lang == "ja" else f"line {c.start_line}"
    return f"{c.start_line}–{c.end_line}行" if lang == "ja" else f"lines {c.start_line}–{c.end_line}"


def citation_line(c: Citation, lang: str) -> str:
    """ "[n] title › heading path, lines a–b — file"."""
    where = PATH_SEP.join([c.title, *c.heading_path])
    return (
        f"[{c.n}] {where}（{_lines_text(c, lang)}）— {Path(c.source).name}"
        if lang == "ja"
        else f"[{c.n}] {where} ({_lines_text(c, lang)}) — {Path(c.source).name}"
    )


def _md_escape(text: str) -> str:
    """Neutralise raw HTML in document text for Markdown viewers (`<` → `&lt;`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(x: Briefing | Comparison, *, escape_html: bool = False) -> str:
    """Markdown of a briefing or comparison. `escape_html=True` escapes `<`, `>` and `&` in
    document text (for viewers that render inline HTML)."""
    esc = _md_escape if escape_html else (lambda s: s)
    if isinstance(x, Comparison):
        return _md_comparison(x, esc)
    lang = x.lang
    out = [f"# {ui('heading', lang)}: {esc(x.company)}", ""]
    if x.title and x.title != x.company:
        out += [f"_{esc(x.title)}_", ""]
    for s in x.sections:
        out += [f"## {esc(s.title)}", ""]
        for it in s.items:
            out.append(f"- {esc(it.text)} {it.marks()}".rstrip())
        out.append("")
    if x.notes:
        out += [f"## {ui('notes', lang)}", ""] + [f"- {esc(n)}" for n in x.notes] + [""]
    out += [f"## {ui('citations', lang)}", ""]
    out += [f"- {esc(citation_line(c, lang))}" for c in x.citations]
    out += ["", esc(x.sources), ""]
    return "\n".join(out)


def _cell_md(c: BriefItem | None, esc) -> str:
    if c is None:
        return "—"
    return (esc(c.text).replace("|", "\\|").replace("\n", " ") + " " + c.marks()).strip()


def _md_comparison(x: Comparison, esc) -> str:
    lang = x.lang
    out = [f"# {ui('compare', lang)}: {esc(x.a)} vs {esc(x.b)}", ""]
    out.append(f"| {ui('item', lang)} | {esc(x.a)} | {esc(x.b)} |")
    out.append("|---|---|---|")
    for r in x.rows:
        out.append(f"| {esc(r.label)} | {_cell_md(r.a, esc)} | {_cell_md(r.b, esc)} |")
    out.append("")
    if x.notes:
        out += [f"## {ui('notes', lang)}", ""] + [f"- {esc(n)}" for n in x.notes] + [""]
    out += [f"## {ui('citations', lang)}", ""]
    out += [f"- {esc(citation_line(c, lang))}" for c in x.citations]
    out += ["", esc(x.sources), ""]
    return "\n".join(out)


_CSS = """
:root { --ink:#1b1f24; --muted:#5b6470; --line:#d8dde3; --accent:#1f5fa8; --bg:#ffffff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font-family: "Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic","Meiryo","Noto Sans CJK JP",system-ui,sans-serif;
  font-size: 11pt; line-height: 1.6; }
main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
.subtitle { color: var(--muted); margin: 0 0 1.5rem; }
h2 { font-size: 1.1rem; border-bottom: 2px solid var(--accent); padding-bottom: .2rem; margin: 1.6rem 0 .6rem;
  break-after: avoid; page-break-after: avoid; }
ul { margin: 0; padding-left: 1.2rem; }
li { margin: .25rem 0; break-inside: avoid; page-break-inside: avoid; }
.label { font-weight: 600; }
sup.cite { font-size: .75em; margin-left: .15em; white-space: nowrap; }
sup.cite a { color: var(--accent); text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; vertical-align: top; text-align: left; }
th { background: #f3f5f8; }
.missing { color: var(--muted); }
ol.citations { font-size: .85em; color: var(--muted); padding-left: 1.6rem; }
ol.citations li:target { background: #fff6d6; }
.q { color: var(--ink); }
footer { margin-top: 2rem; font-size: .85em; color: var(--muted); border-top: 1px solid var(--line); padding-top: .6rem; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; }
  @page { margin: 15mm; }
}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _marks_html(cites: Sequence[int]) -> str:
    if not cites:
        return ""
    links = "".join(f'<a href="#c{int(n)}">[{int(n)}]</a>' for n in cites)
    return f'<sup class="cite">{links}</sup>'


def _page(title: str, lang: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _citations_html(cits: Sequence[Citation], lang: str) -> str:
    lis = []
    for c in cits:
        where = PATH_SEP.join([c.title, *c.heading_path])
        lines = _lines_text(c, lang)
        quote = ""
        if c.quote:
            q = c.quote[0]
            quote = f' <span class="q">「{_e(q)}」</span>' if lang == "ja" else f' <span class="q">“{_e(q)}”</span>'
        lis.append(
            f'<li id="c{int(c.n)}">{_e(where)} ({_e(lines)}) — <code>{_e(Path(c.source).name)}</code>{quote}</li>'
        )
    return '<ol class="citations">\n' + "\n".join(lis) + "\n</ol>"


def render_html(x: Briefing | Comparison) -> str:
    """A self-contained printable HTML page (inline CSS; no scripts, external assets or fonts;
    every document-derived text escaped with html.escape)."""
    if isinstance(x, Comparison):
        return _html_comparison(x)
    lang = x.lang
    parts = [f"<header><h1>{_e(ui('heading', lang))}: {_e(x.company)}</h1>"]
    if x.title and x.title != x.company:
        parts.append(f'<p class="subtitle">{_e(x.title)}</p>')
    parts.append("</header>")
    for s in x.sections:
        parts.append(f'<section class="{_e(s.key)}"><h2>{_e(s.title)}</h2>')
        if s.key == "profile":
            rows = "".join(
                f'<tr><th scope="row">{_e(it.label)}</th><td>{_e(it.value)}{_marks_html(it.cites)}</td></tr>'
                for it in s.items
            )
            parts.append(f'<table class="profile">{rows}</table>')
        else:
            lis = []
            for it in s.items:
                if it.kind in ("fact", "figure") and it.label:
                    inner = (
                        f'<span class="label">{_e(it.label)}</span>{_e("：" if lang == "ja" else ": ")}{_e(it.value)}'
                    )
                else:
                    inner = _e(it.text)
                lis.append(f"<li>{inner}{_marks_html(it.cites)}</li>")
            parts.append("<ul>" + "".join(lis) + "</ul>")
        parts.append("</section>")
    if x.notes:
        parts.append(
            f'<section class="notes"><h2>{_e(ui("notes", lang))}</h2><ul>'
            + "".join(f'<li class="missing">{_e(n)}</li>' for n in x.notes)
            + "</ul></section>"
        )
    parts.append(
        f'<section class="sources"><h2>{_e(ui("citations", lang))}</h2>{_citations_html(x.citations, lang)}</section>'
    )
    parts.append(f"<footer><p>{_e(x.sources)}</p><p>{_e(ui('generated', lang))}</p></footer>")
    return _page(f"{ui('heading', lang)}: {x.company}", lang, "\n".join(parts))


def _cell_html(c: BriefItem | None) -> str:
    if c is None:
        return '<td class="missing">—</td>'
    return f"<td>{_e(c.text)}{_marks_html(c.cites)}</td>"


def _html_comparison(x: Comparison) -> str:
    lang = x.lang
    parts = [f"<header><h1>{_e(ui('compare', lang))}: {_e(x.a)} vs {_e(x.b)}</h1>"]
    if any(x.titles):
        parts.append(f'<p class="subtitle">{_e(x.titles[0])} / {_e(x.titles[1])}</p>')
    parts.append("</header>")
    head = f"<tr><th>{_e(ui('item', lang))}</th><th>{_e(x.a)}</th><th>{_e(x.b)}</th></tr>"
    rows = "".join(f'<tr><th scope="row">{_e(r.label)}</th>{_cell_html(r.a)}{_cell_html(r.b)}</tr>' for r in x.rows)
    parts.append(f'<section class="compare"><table><thead>{head}</thead><tbody>{rows}</tbody></table></section>')
    if x.notes:
        parts.append(
            f'<section class="notes"><h2>{_e(ui("notes", lang))}</h2><ul>'
            + "".join(f'<li class="missing">{_e(n)}</li>' for n in x.notes)
            + "</ul></section>"
        )
    parts.append(
        f'<section class="sources"><h2>{_e(ui("citations", lang))}</h2>{_citations_html(x.citations, lang)}</section>'
    )
    parts.append(f"<footer><p>{_e(x.sources)}</p><p>{_e(ui('generated', lang))}</p></footer>")
    return _page(f"{ui('compare', lang)}: {x.a} vs {x.b}", lang, "\n".join(parts))
