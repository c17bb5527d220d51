"""HTML for the UI. Document text, titles, headings, file names, questions: all DATA, always escaped.

Rule of this module: text from a document or a user goes through `esc()` (html.escape, quotes
included) before it touches markup, and markup is only ever added *around* escaped pieces (citation
links, <mark> highlights). Highlight spans are computed on the raw text and each piece is escaped
separately, so a quote can never re-open an escaped tag. `gr.HTML` does not sanitise its value
(an `<img onerror>` in it would run), so nothing unescaped may reach it. A source's section is
rendered from its Markdown by ui.markdown_view under the same rule.

Anchors: citation n of answer `turn` links to `#src-{turn}-{n}`, related section i to
`#rel-{turn}-{i}`; the page's script (ui.theme.CITATION_JS) opens and highlights the target.
"Open the full document" (`a.open-doc`, data-key = that anchor id) is answered by ui.doc_viewer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .doc_source import doc_text, section_range
from .highlight import cited_marks, highlight, highlight_spans  # noqa: F401 — highlight*: re-exported API
from .i18n import t
from .markdown_view import CSS as MARKDOWN_CSS
from .markdown_view import render_markdown

PATH_SEP = " › "
_CITE_RE = re.compile(r"\[(\d{1,3}(?:\s*[,、，]\s*\d{1,3})*)\]")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def src_anchor(turn: int, n: int) -> str:
    return f"src-{int(turn)}-{int(n)}"


def rel_anchor(turn: int, i: int) -> str:
    return f"rel-{int(turn)}-{int(i)}"


# ------------------------------------------------------------------------------------ answer text


def link_citations(escaped: str, turn: int, valid: Iterable[int] | None = None) -> str:
    """Turn every [n] (also [1, 2]) of already-escaped text into links to the sources panel.

    Numbers not in `valid` (when given) stay plain text: a link must always have a target.
    """
    ok = None if valid is None else {int(v) for v in valid}

    def one(n: int) -> str:
        if ok is not None and n not in ok:
            return f"[{n}]"
        return f'<a class="cite" href="#{src_anchor(turn, n)}" title="[{n}]">[{n}]</a>'

    def repl(m: re.Match[str]) -> str:
        nums = [int(x) for x in re.split(r"\s*[,、，]\s*", m.group(1))]
        if ok is not None and not any(n in ok for n in nums):
            return m.group(0)
        return "".join(one(n) for n in nums)

    return _CITE_RE.sub(repl, escaped)


def answer_html(text: str, turn: int, citations: Sequence[Any] = (), *, streaming: bool = False) -> str:
    """The chat bubble of an answer: escaped text, line breaks kept, [n] linked to its source."""
    body = esc(text)
    if not streaming:
        body = link_citations(body, turn, [c.n for c in citations])
    body = body.replace("\r\n", "\n").replace("\n", "<br>")
    # the chat sanitizer drops data-* attributes: the turn (and "streaming" while the text still grows)
    # go into classes
    return f'<div class="answer answer-turn-{int(turn)}{" streaming" if streaming else ""}">{body}</div>'


def question_html(text: str) -> str:
    return esc(text).replace("\n", "<br>")


# ------------------------------------------------------------------------------------ sources panel


def _same_section(hit: Any, c: Any) -> bool:
    return (
        getattr(hit, "doc_id", None) == c.doc_id
        and tuple(getattr(hit, "heading_path", ()) or ()) == tuple(c.heading_path or ())
        and (getattr(hit, "source", c.source) == c.source)
    )


def _section_hit(c: Any, hits: Sequence[Any]) -> Any:
    """The answer's hit for the section of citation `c` (its text is the indexed section), or None."""
    for h in hits:
        if _same_section(h, c) and getattr(h, "text", ""):
            return h
    for h in hits:  # same section under another file path spelling
        if getattr(h, "doc_id", None) == c.doc_id and tuple(h.heading_path) == tuple(c.heading_path) and h.text:
            return h
    return None


def section_text_for(c: Any, hits: Sequence[Any]) -> str:
    """The full text of a cited section: from the answer's hits, else from the file's line range."""
    h = _section_hit(c, hits)
    if h is not None:
        return h.text
    try:
        lines = Path(c.source).read_text(encoding="utf-8", errors="replace").splitlines()
        if c.start_line and c.end_line and 0 < c.start_line <= c.end_line <= len(lines):
            return "\n".join(lines[c.start_line - 1 : c.end_line])
    except (OSError, TypeError, ValueError):
        pass
    return "\n".join(getattr(c, "quote", []) or [])


def section_view(
    source: str,
    start: int,
    end: int,
    quotes: Sequence[str],
    heading_path: Sequence[str],
    fallback: tuple[str, int],
    *,
    marks: bool = True,
) -> str:
    """The whole section holding line `start` of `source`, rendered (ui.markdown_view), with the
    lines `start`–`end` quoting `quotes` highlighted when `marks`. `fallback` is (text, its first
    line): the indexed text, used when the file cannot be read here."""
    doc = doc_text(source)
    if doc is not None:
        a, b = section_range(doc, start or fallback[1], heading_path, end)
        lines = doc.lines[a - 1 : b]
        front = len(lines) if b < doc.body_start else 0
    else:
        lines, a, front = fallback[0].split("\n"), int(fallback[1] or 1), 0
    m = cited_marks(lines, a, start, end, quotes) if marks else {}
    return render_markdown(lines, a, m, front_matter=front)


def open_doc_link(key: str, lang: str) -> str:
    """ "Open the full document" under a source; ui.doc_viewer answers the click (data-key: the anchor id)."""
    return (
        f'<div class="src-actions"><a class="open-doc" href="#doc-viewer" role="button" data-key="{esc(key)}">'
        f"{esc(t('open_doc', lang))}</a></div>"
    )


def _file_label(source: str) -> str:
    return Path(str(source or "")).name or str(source or "")


def meta_line(title: str, company: str, path: Sequence[str], source: str, start: int, end: int, lang: str) -> str:
    bits = []
    if company and company != title:
        bits.append(f'<span class="src-company">{esc(t("company", lang))}: {esc(company)}</span>')
    if path:
        bits.append(f'<span class="src-path">{esc(PATH_SEP.join(path))}</span>')
    bits.append(
        f'<span class="src-file" title="{esc(source)}">{esc(_file_label(source))}'
        f" : {esc(t('lines', lang))} {int(start or 0)}–{int(end or 0)}</span>"
    )
    return " · ".join(bits)


def citation_html(c: Any, turn: int, hits: Sequence[Any] = (), lang: str = "ja", open_: bool = False) -> str:
    """One cited source: its whole section rendered, the cited lines/quote marked, and a link to
    the full document."""
    h = _section_hit(c, hits)
    fallback = (h.text, h.start_line) if h is not None else (section_text_for(c, hits), c.start_line or 1)
    quotes = list(getattr(c, "quote", []) or [])
    body = section_view(c.source, c.start_line, c.end_line, quotes, c.heading_path, fallback)
    return (
        f'<details class="src" id="{src_anchor(turn, c.n)}" data-n="{int(c.n)}" data-doc="{esc(c.doc_id)}"'
        f"{' open' if open_ else ''}>"
        f'<summary><span class="src-n">[{int(c.n)}]</span> <span class="src-title">{esc(c.title or c.doc_id)}</span>'
        f' <span class="src-doc">({esc(c.doc_id)})</span></summary>'
        f'<div class="src-meta">{meta_line(c.title, c.company, c.heading_path, c.source, c.start_line, c.end_line, lang)}</div>'
        f'<div class="src-text">{body}</div>{open_doc_link(src_anchor(turn, c.n), lang)}'
        "</details>"
    )


def related_html(h: Any, i: int, turn: int, lang: str = "ja", open_: bool = False) -> str:
    """A section shown on a refusal: rendered, never highlighted, and labelled as not evidence."""
    meta = getattr(h, "metadata", {}) or {}
    company = meta.get("company") or ""
    body = section_view(h.source, h.start_line, h.end_line, (), h.heading_path, (h.text, h.start_line), marks=False)
    return (
        f'<details class="src related" id="{rel_anchor(turn, i)}" data-doc="{esc(h.doc_id)}"{" open" if open_ else ""}>'
        f'<summary><span class="src-n">{esc(t("related_short", lang))} {i}</span> '
        f'<span class="src-title">{esc(h.title or h.doc_id)}</span> <span class="src-doc">({esc(h.doc_id)})</span>'
        f' <span class="not-evidence">{esc(t("not_evidence", lang))}</span></summary>'
        f'<div class="src-meta">{meta_line(h.title, company, h.heading_path, h.source, h.start_line, h.end_line, lang)}</div>'
        f'<div class="src-text">{body}</div>{open_doc_link(rel_anchor(turn, i), lang)}'
        "</details>"
    )


def related_sections(answer: Any) -> list[Any]:
    """The sections shown as related (not evidence) for a refused or uncited answer, numbered from 1."""
    return list(getattr(answer, "related", []) or []) or list(getattr(answer, "hits", []) or [])[:3]


def turn_sources_html(answer: Any, turn: int, lang: str = "ja", *, open_all: bool = True) -> str:
    """Every cited section of one answer; for a refusal, the closest sections as related."""
    parts: list[str] = []
    hits = list(getattr(answer, "hits", []) or []) + list(getattr(answer, "related", []) or [])
    cites = list(getattr(answer, "citations", []) or [])
    if getattr(answer, "refused", False) or not cites:
        related = related_sections(answer)
        parts.append(f'<p class="refused-note">{esc(t("refused_note", lang))}</p>')
        if related:
            parts.append(f'<div class="related-head">{esc(t("related", lang))}</div>')
        for i, h in enumerate(related, 1):
            parts.append(related_html(h, i, turn, lang, open_=open_all and i == 1))
    for c in cites:
        parts.append(citation_html(c, turn, hits, lang, open_=open_all))
    q = esc(getattr(answer, "question", ""))
    return f'<section class="turn-sources" data-turn="{int(turn)}"><div class="turn-q">Q{int(turn)}: {q}</div>{"".join(parts)}</section>'


def sources_panel_html(turns: Sequence[tuple[int, Any]], lang: str = "ja", keep: int = 8) -> str:
    """The sources of the latest answer (open), earlier answers collapsed below, newest first.

    Earlier answers stay in the panel so that their [n] links keep a target."""
    if not turns:
        return f'<div class="sources-empty">{esc(t("sources_empty", lang))}</div>'
    recent = list(turns)[-keep:]
    latest_turn, latest = recent[-1]
    out = [turn_sources_html(latest, latest_turn, lang)]
    for turn, ans in reversed(recent[:-1]):
        out.append(
            f'<details class="earlier"><summary>{esc(t("previous_answer", lang))} Q{int(turn)}: '
            f"{esc(getattr(ans, 'question', ''))}</summary>{turn_sources_html(ans, turn, lang, open_all=False)}</details>"
        )
    return f'<div class="sources">{"".join(out)}</div>'


# ------------------------------------------------------------------------------------ status / filters


def status_html(state: str, text: str, turn: int = 0) -> str:
    """The chat status line; tests wait for data-state="done" with the expected data-turn."""
    return f'<div id="chat-status" class="status-{esc(state)}" data-state="{esc(state)}" data-turn="{int(turn)}">{esc(text)}</div>'


def filters_summary_html(description: str, lang: str = "ja", active: bool = False) -> str:
    cls = "filters-active" if active else "filters-none"
    return f'<div id="active-filters" class="{cls}"><b>{esc(t("f_active", lang))}:</b> {esc(description)}</div>'


def suggestion_html(description: str, lang: str = "ja") -> str:
    return f'<div id="filter-suggestion">➜ {esc(t("f_suggest", lang))}: <b>{esc(description)}</b></div>'


# ------------------------------------------------------------------------------------ library

_FACET_LABEL = {
    "company": "f_company",
    "country": "f_country",
    "industry": "f_industry",
    "category": "f_category",
    "founded_year": "f_founded",
    "tags": "f_tags",
}


def _facet_text(facets: Mapping[str, Any], lang: str = "ja") -> str:
    keys = ("company", "country", "industry", "category", "founded_year")
    bits = []
    for k in keys:
        v = facets.get(k)
        if v not in (None, "", []):
            bits.append(
                f'<span class="facet"><span class="facet-k">{esc(t(_FACET_LABEL[k], lang))}</span> {esc(v)}</span>'
            )
    tags = facets.get("tags") or []
    if isinstance(tags, (list, tuple)) and tags:
        bits.append(
            f'<span class="facet"><span class="facet-k">{esc(t("f_tags", lang))}</span> '
            + ", ".join(esc(x) for x in tags[:12])
            + (" …" if len(tags) > 12 else "")
            + "</span>"
        )
    return " ".join(bits)


def _issue_text(issue: Mapping[str, Any]) -> str:
    line = issue.get("line")
    where = f"{_file_label(issue.get('path', ''))}:{line}" if line else _file_label(issue.get("path", ""))
    return f"{where}: {issue.get('message', '')}"


def library_html(
    documents: Sequence[Mapping[str, Any]],
    errors: Sequence[Mapping[str, Any]],
    lang: str = "ja",
    generation: int | None = None,
    uploads_dir: str | None = None,
) -> str:
    rows = []
    for d in documents:
        facets = d.get("facets") or {}
        issues = d.get("issues") or []
        if issues:
            status = (
                f'<details class="warn"><summary>⚠ {len(issues)} {esc(t("warnings", lang))}</summary>'
                + "".join(f"<div>{esc(_issue_text(i))}</div>" for i in issues)
                + "</details>"
            )
        else:
            status = f'<span class="ok">✔ {esc(t("ok", lang))}</span>'
        path = str(d.get("path", ""))
        uploaded = bool(uploads_dir) and path.startswith(str(uploads_dir))
        rows.append(
            "<tr>"
            f'<td><div class="doc-title">{esc(d.get("title", ""))}</div>'
            f'<div class="doc-file" title="{esc(path)}">{"↑ " if uploaded else ""}{esc(_file_label(path))}</div></td>'
            f"<td>{esc(d.get('doc_id', ''))}</td>"
            f"<td>{_facet_text(facets, lang)}</td>"
            f'<td class="num">{int(d.get("chunks", 0) or 0)}</td>'
            f"<td>{status}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th>{esc(t(k, lang))}</th>" for k in ("col_title", "col_doc", "col_facets", "col_chunks", "col_status")
    )
    summary = f"{len(documents)} {esc(t('documents', lang))}"
    if generation is not None:
        summary += f" · {esc(t('generation', lang))} {int(generation)}"
    err_html = ""
    if errors:
        err_html = (
            f'<div class="lib-errors"><b>✖ {esc(t("not_indexed", lang))}</b><ul>'
            + "".join(f"<li>{esc(_issue_text(e))}</li>" for e in errors)
            + "</ul></div>"
        )
    return (
        f'<div id="library-table"><div class="lib-summary">{summary}</div>{err_html}'
        f'<table class="lib"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def messages_html(lines: Sequence[tuple[str, str]], elem_id: str = "upload-messages") -> str:
    """A list of (kind, text) messages, kind in ok | warn | error | info."""
    icon = {"ok": "✔", "warn": "⚠", "error": "✖", "info": "ℹ"}
    items = "".join(f'<li class="msg-{esc(k)}">{icon.get(k, "")} {esc(s)}</li>' for k, s in lines)
    return f'<div id="{esc(elem_id)}"><ul class="msgs">{items}</ul></div>'


def briefing_frame(page: str) -> str:
    """A rendered briefing page (rag.brief.render_html: escaped, with its own CSP) in a sandboxed iframe."""
    return (
        f'<iframe class="brief-frame" id="brief-frame" sandbox="allow-same-origin" referrerpolicy="no-referrer" '
        f'srcdoc="{esc(page)}"></iframe>'
    )


CSS = """
#chat-status { font-size: 0.85em; color: var(--body-text-color-subdued); min-height: 1.2em; }
#chat-status.status-error { color: #b91c1c; }
.answer a.cite, a.cite { color: var(--color-accent); font-weight: 600; text-decoration: none;
  padding: 0 1px; border-radius: 3px; }
a.cite:hover { background: var(--color-accent-soft); }
.sources { display: flex; flex-direction: column; gap: 6px; }
.sources-empty { color: var(--body-text-color-subdued); font-size: 0.9em; padding: 8px; }
.turn-q { font-weight: 600; font-size: 0.9em; margin: 4px 0 6px; color: var(--body-text-color-subdued); }
details.src { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 6px 8px;
  margin-bottom: 6px; background: var(--background-fill-secondary); }
details.src > summary { cursor: pointer; }
details.src.active { outline: 2px solid var(--color-accent); }
.src-n { font-weight: 700; color: var(--color-accent); }
.src-title { font-weight: 600; }
.src-doc { color: var(--body-text-color-subdued); font-size: 0.85em; }
.src-meta { font-size: 0.8em; color: var(--body-text-color-subdued); margin: 4px 0; }
.src-text { font-size: 0.86em; max-height: 24em; overflow-y: auto;
  border-top: 1px dashed var(--border-color-primary); padding-top: 2px; }
.src-actions { text-align: right; font-size: 0.82em; margin-top: 4px; }
a.open-doc { color: var(--color-accent); text-decoration: none; cursor: pointer; }
a.open-doc::before { content: "⤢ "; }
a.open-doc:hover { text-decoration: underline; }
details.src.related { border-style: dashed; background: transparent; }
.not-evidence { font-size: 0.75em; font-weight: 400; color: var(--body-text-color-subdued);
  border: 1px solid var(--border-color-primary); border-radius: 999px; padding: 0 6px; white-space: nowrap; }
#doc-viewer:not(:has(.docview)) { display: none !important; }
.docview { position: fixed; top: 0; right: 0; bottom: 0; width: min(880px, 100vw); z-index: 1000;
  display: flex; flex-direction: column; background: var(--background-fill-primary);
  border-left: 1px solid var(--border-color-primary); box-shadow: -8px 0 24px rgba(0, 0, 0, 0.18); }
.docview-head { flex: none; display: flex; gap: 10px; align-items: flex-start; padding: 10px 14px;
  border-bottom: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); }
.docview-info { flex: 1; min-width: 0; }
.docview-title { font-weight: 700; }
.docview-kind { font-size: 0.8em; font-weight: 600; color: #92400e; }
.docview-kind.cited { color: var(--color-accent); }
.doc-close { flex: none; cursor: pointer; border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: 2px 10px; background: var(--background-fill-primary); color: var(--body-text-color); }
.docview-body { flex: 1; overflow-y: auto; padding: 10px 18px 40vh 6px; }
.docview-body .md { font-size: 0.92em; }
.docview-missing { color: #92400e; font-size: 0.9em; margin: 6px 0; }
.refused-note { font-size: 0.9em; color: #92400e; }
.related-head { font-size: 0.85em; font-weight: 600; }
details.earlier { font-size: 0.9em; opacity: 0.85; }
#active-filters { font-size: 0.9em; }
#active-filters.filters-active { color: var(--color-accent); }
#filter-suggestion { font-size: 0.9em; background: var(--background-fill-secondary); padding: 4px 8px; border-radius: 6px; }
table.lib { width: 100%; border-collapse: collapse; font-size: 0.88em; }
table.lib th, table.lib td { border-bottom: 1px solid var(--border-color-primary); padding: 4px 6px; vertical-align: top; text-align: left; }
table.lib td.num { text-align: right; }
table.lib th { white-space: nowrap; }
table.lib td:nth-child(4), table.lib td:nth-child(5) { white-space: nowrap; }
.doc-file { font-size: 0.8em; color: var(--body-text-color-subdued); }
.facet { display: inline-block; margin: 0 6px 2px 0; }
.facet-k { font-size: 0.75em; color: var(--body-text-color-subdued); }
.lib-errors { color: #b91c1c; margin: 6px 0; }
.lib-summary { font-weight: 600; margin-bottom: 4px; }
ul.msgs { list-style: none; padding-left: 0; margin: 0; }
ul.msgs li { margin: 2px 0; }
li.msg-error { color: #b91c1c; } li.msg-warn { color: #92400e; }
#sources-panel { max-height: 80vh; overflow-y: auto; }
iframe.brief-frame { width: 100%; height: 78vh; border: 1px solid var(--border-color-primary); border-radius: 6px; background: white; }
"""
CSS += MARKDOWN_CSS
