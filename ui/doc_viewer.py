"""The full-document viewer: "Open the full document" under a source (ui.render.open_doc_link)
shows the whole file, rendered by ui.markdown_view with line numbers, in a panel over the page,
scrolled to the cited lines, which are highlighted; a related section shown on a refusal is
scrolled to but never highlighted (it is not evidence).

A document is rendered only when asked. The viewer is a gr.HTML whose js_on_load listens for
clicks on `a.open-doc` anywhere on the page and fires this component's custom `open_doc` event
with the link's key (the source's anchor id, e.g. src-3-1); the handler looks the source up in the
session's answers (`turns`), never in a path sent by the page, and returns the HTML; a `watch` on
the value scrolls the target block into view. Close: the ✕ button or Escape. The same script
scrolls each section box of the sources panel to its first cited block when it comes into view.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import gradio as gr

from .doc_source import doc_text, section_range
from .highlight import cited_marks
from .i18n import pick_lang, t
from .markdown_view import render_markdown
from .render import esc, meta_line, related_sections, section_view

TARGET_ID = "doc-target"
_KEY = re.compile(r"^(src|rel)-(\d{1,6})-(\d{1,4})$")

VIEWER_JS = r"""
window.__casebookOpenDoc = (key) => trigger('open_doc', {key: key});
window.__casebookCloseDoc = () => { props.value = ''; };
if (!window.__casebookDocViewer) {
  window.__casebookDocViewer = true;
  document.addEventListener('click', (ev) => {
    const el = ev.target && ev.target.closest ? ev.target : null;
    if (!el) return;
    const a = el.closest('a.open-doc');
    if (a) {
      ev.preventDefault();
      ev.stopPropagation();
      window.__casebookOpenDoc(a.getAttribute('data-key') || '');
    } else if (el.closest('.doc-close')) {
      ev.preventDefault();
      window.__casebookCloseDoc();
    }
  }, true);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && document.querySelector('.docview')) window.__casebookCloseDoc();
  });
  // each section box of the sources panel shows its first cited block (once, when visible)
  let pending = false;
  const place = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      document.querySelectorAll('.src-text').forEach((box) => {
        if (box.dataset.placed || !box.offsetParent) return;
        box.dataset.placed = '1';
        const m = box.querySelector('.md-cited');
        if (m) box.scrollTop += m.getBoundingClientRect().top - box.getBoundingClientRect().top - 24;
      });
    });
  };
  new MutationObserver(place).observe(document.body, {childList: true, subtree: true});
  document.addEventListener('toggle', place, true);
}
watch('value', () => {
  const target = element.querySelector('.md-target');
  if (target) target.scrollIntoView({block: 'center'});
});
"""


def find_source(key: str, turns: Sequence[dict[str, Any]] | None) -> tuple[str, Any] | None:
    """("src", Citation) or ("rel", Hit) for a source key of the sources panel, from the session's turns."""
    m = _KEY.match(key or "")
    if not m:
        return None
    kind, turn, n = m.group(1), int(m.group(2)), int(m.group(3))
    answer = next((x.get("answer") for x in turns or [] if x.get("turn") == turn), None)
    if answer is None:
        return None
    if kind == "src":
        c = next((c for c in getattr(answer, "citations", []) or [] if int(c.n) == n), None)
        return ("src", c) if c is not None else None
    related = related_sections(answer)
    return ("rel", related[n - 1]) if 1 <= n <= len(related) else None


def _head(key: str, title: str, doc_id: str, meta: str, kind: str, lang: str) -> str:
    label = t("doc_cited", lang) if kind == "src" else t("doc_related", lang)
    return (
        f'<div class="docview-head"><div class="docview-info">'
        f'<div class="docview-title">{esc(title or doc_id)} <span class="src-doc">({esc(doc_id)})</span></div>'
        f'<div class="src-meta">{meta}</div>'
        f'<div class="docview-kind{" cited" if kind == "src" else ""}">{esc(label)}</div></div>'
        f'<button type="button" class="doc-close" title="Esc">✕ {esc(t("doc_close", lang))}</button></div>'
    )


def full_document_html(key: str, turns: Sequence[dict[str, Any]] | None, lang: str = "ja") -> str:
    """The viewer's content for source `key`: the whole document, numbered, the target block
    (first cited line, or the related section's heading) carrying id doc-target."""
    found = find_source(key, turns)
    if found is None:
        return (
            f'<div class="docview" data-key="{esc(key)}"><div class="docview-head"><div class="docview-info">'
            f'{esc(t("doc_gone", lang))}</div><button type="button" class="doc-close">✕ {esc(t("doc_close", lang))}'
            "</button></div></div>"
        )
    kind, s = found
    cited = kind == "src"
    if cited:
        company, quotes, n_label = s.company, list(s.quote or []), f"[{int(s.n)}] "
    else:
        company, quotes, n_label = (getattr(s, "metadata", {}) or {}).get("company") or "", [], ""
    meta = meta_line(s.title, company, s.heading_path, s.source, s.start_line, s.end_line, lang)
    head = _head(key, n_label + (s.title or ""), s.doc_id, meta, kind, lang)
    doc = doc_text(s.source)
    if doc is None:
        text = getattr(s, "text", "") or "\n".join(quotes)
        body = f'<p class="docview-missing">{esc(t("doc_unavailable", lang))}</p>' + section_view(
            s.source, s.start_line, s.end_line, quotes, s.heading_path, (text, s.start_line), marks=cited
        )
    else:
        marks = cited_marks(doc.lines, 1, s.start_line, s.end_line, quotes) if cited else {}
        target = min(marks) if marks else section_range(doc, s.start_line, s.heading_path, s.end_line)[0]
        body = render_markdown(
            doc.lines,
            1,
            marks,
            front_matter=doc.body_start - 1,
            target_line=target,
            target_id=TARGET_ID,
            numbered=True,
        )
    return (
        f'<div class="docview" data-key="{esc(key)}" data-kind="{kind}" role="dialog">{head}'
        f'<div class="docview-body">{body}</div></div>'
    )


def doc_viewer(turns: gr.State, lang: gr.State) -> gr.HTML:
    """The viewer component (empty and hidden until a source is opened), wired to its event."""
    viewer = gr.HTML("", elem_id="doc-viewer", js_on_load=VIEWER_JS, container=False, padding=False)

    def on_open(evt: gr.EventData, turns_v, L):
        try:
            key = str(getattr(evt, "key", "") or "")
        except TypeError:  # an event without data
            key = ""
        return full_document_html(key, turns_v, pick_lang(L))

    viewer.open_doc(on_open, [turns, lang], viewer, api_visibility="private", show_progress="hidden")
    return viewer
