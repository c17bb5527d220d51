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


def theme() -> gr.themes.Base:
    """A built-in theme with system fonts only (nothing is fetched; Noto CJK renders Japanese)."""
    sans = ["Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", "Meiryo", "system-ui", "sans-serif"]
    mono = ["Noto Sans Mono CJK JP", "ui-monospace", "monospace"]
    return gr.themes.Default(primary_hue="indigo", font=sans, font_mono=mono)


def launch_kwargs() -> dict[str, Any]:
    """Arguments of demo.launch() shared by `casebook serve` and tests (theme/css/js go to launch in Gradio 6)."""
    return {
        "theme": theme(),
        "css": R.CSS,
        "js": CITATION_JS,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "show_error": True,
        "footer_links": ["api", "settings"],
        "max_file_size": "5mb",
        "allowed_paths": [],
    }
