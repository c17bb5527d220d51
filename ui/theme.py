"""How the page looks and what it loads: the system-font theme, the citation-link script (which also
defines `__casebookLocale`, used by ui.language to switch Gradio's own labels) and the
arguments of `demo.launch()` shared by `casebook serve` and the tests (in Gradio 6 theme, css and js
go to launch, not to Blocks). Nothing here is fetched from outside: system fonts only, no CDN, no PWA.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from . import render as R

# Citation links: open, highlight and scroll to the cited section in the sources panel. Runs once
# on page load (launch(js=…)); event delegation, so it also works for messages rendered later.
CITATION_JS = r"""
() => {
  if (window.__casebookCites) return;
  window.__casebookCites = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest('a') : null;
    if (!a) return;
    const href = a.getAttribute('href') || '';
    const m = href.match(/^#((?:src|rel)-\d+-\d+)$/);
    if (!m) return;
    ev.preventDefault();
    ev.stopPropagation();
    const el = document.getElementById(m[1]);
    if (!el) return;
    for (let p = el; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
    document.querySelectorAll('details.src.active').forEach((x) => x.classList.remove('active'));
    el.classList.add('active');
    el.scrollIntoView({behavior: 'smooth', block: 'start'});
  }, true);
  // Gradio's own labels (footer, settings) in the UI language: its i18n module is already loaded by
  // the page, so importing the same URL gives the same instance and its changeLocale.
  window.__casebookLocale = (lang) => {
    const url = performance.getEntriesByType('resource').map((e) => e.name)
      .find((n) => /\/assets\/core-[^/]+\.js$/.test(n));
    if (!url) return;
    import(url).then((m) => { if (m.changeLocale) m.changeLocale(lang); }).catch(() => {});
  };
}
"""


# The chat's own layout rules, on top of ui.render.CSS (the rendered HTML's): the filter chips, the
# bubble while an answer streams, and a phone-sized window (390 px: the header stacks, the title stays
# on one line, nothing makes the page scroll sideways).
LAYOUT_CSS = """
#filter-chips { flex-wrap: wrap; gap: 6px; align-items: center; }
#filter-chips > * { flex: 0 0 auto !important; min-width: 0 !important; width: auto !important; }
#filter-chips .chips-label, #filter-chips .chips-more { font-size: 0.85em; color: var(--body-text-color-subdued); }
#filter-chips button.filter-chip { border-radius: 999px; padding: 2px 12px; font-size: 0.85em; white-space: nowrap;
  max-width: 100%; overflow: hidden; text-overflow: ellipsis; border-color: var(--color-accent);
  color: var(--color-accent); background: var(--color-accent-soft); }
#filter-chips button.filter-chip:hover { text-decoration: line-through; }
.answer.streaming::after { content: "▍"; margin-left: 2px; color: var(--color-accent);
  animation: casebook-caret 1s steps(2, start) infinite; }
@keyframes casebook-caret { to { visibility: hidden; } }
#llm-status.llm-ok { color: #047857; } #llm-status.llm-down, #llm-status.llm-invalid { color: #b91c1c; }
#settings-box { max-width: 720px; }
#app-title h2 { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
@media (max-width: 640px) {
  .gradio-container { padding-left: 6px !important; padding-right: 6px !important; }
  #app-title { min-width: 100% !important; }
  #app-title h2 { font-size: 1.05rem; margin-bottom: 2px; }
  #ui-lang { min-width: 100% !important; }
  #chat-row > * { min-width: 100% !important; }
  #chat-row > #conv-panel { order: 9; }  /* the chat and its sources first, saved conversations below */
  #chatbot { height: 60vh !important; }
  #sources-panel { max-height: none; }
  table.lib { display: block; overflow-x: auto; }
  .src-text, .answer { overflow-wrap: anywhere; }
}
"""


def theme() -> gr.themes.Base:
    """A built-in theme with system fonts only (nothing is fetched; Noto CJK renders Japanese)."""
    sans = ["Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", "Meiryo", "system-ui", "sans-serif"]
    mono = ["Noto Sans Mono CJK JP", "ui-monospace", "monospace"]
    return gr.themes.Default(primary_hue="indigo", font=sans, font_mono=mono)


def launch_kwargs() -> dict[str, Any]:
    """Arguments of demo.launch() shared by `casebook serve` and tests (theme/css/js go to launch in Gradio 6)."""
    return {
        "theme": theme(),
        "css": R.CSS + LAYOUT_CSS,
        "js": CITATION_JS,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "show_error": True,
        "footer_links": ["api", "settings"],
        "max_file_size": "5mb",
        "allowed_paths": [],
    }
