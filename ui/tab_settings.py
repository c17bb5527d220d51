"""The settings tab: the answer mode (extractive, or the LLM backend configured with CASEBOOK_LLM —
only offered when one is, with its status: configured, reachable), the number of sections retrieved
for an answer (k) and the UI language (the same choice as the header's toggle, kept in step with it).

Mode and k are inputs of the chat's submit (ui.tab_chat), so they apply to the next question; they
are remembered in the browser (gr.BrowserState) and checked again on load (ui.backend.answer_options:
a stored LLM mode falls back to extractive when no LLM is configured any more).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr

from rag.answer import DEFAULT_K

from . import render as R
from .backend import K_RANGE
from .i18n import LANG_CHOICES, pick_lang, t
from .language import REMEMBER_LANG_JS
from .llm_status import LlmStatus

STORAGE_KEY = "casebook-settings"


def mode_choices(be: Any, lang: str) -> list[tuple[str, str]]:
    """The answer modes offered: extractive, and the LLM only while one is configured."""
    out = [(t("st_extractive", lang), "extractive")]
    st = be.llm_status(check=False)
    if st.usable:
        out.append((f"{t('st_llm', lang)} ({st.name})", "llm"))
    return out


def llm_status_html(st: LlmStatus, lang: str) -> str:
    """The LLM backend's status line; data-state is none | invalid | ok | down | unchecked."""
    if not st.configured:
        state, text = "none", t("st_llm_none", lang)
    elif not st.valid:
        state, text = "invalid", f"{t('st_llm_invalid', lang)}: {st.detail}"
    elif st.reachable is None:
        state, text = "unchecked", f"{st.name} — {t('st_llm_unchecked', lang)}"
    else:
        state = "ok" if st.reachable else "down"
        word = t("st_llm_ok" if st.reachable else "st_llm_down", lang)
        text = f"{st.name} — {word}" + (f" ({st.detail})" if st.detail else "")
    return (
        f'<div id="llm-status" class="llm-{state}" data-state="{state}">'
        f"<b>{R.esc(t('st_llm_status', lang))}:</b> {R.esc(text)}</div>"
    )


def _note_html(lang: str, mode: str, k: int) -> str:
    mode_text = t("mode_extractive", lang) if mode == "extractive" else t("st_llm", lang)
    return (
        f'<div id="st-applied" data-mode="{R.esc(mode)}" data-k="{int(k)}">✔ {R.esc(t("st_applies", lang))}: '
        f"{R.esc(mode_text)} · k = {int(k)}</div>"
    )


def settings_tab(be: Any, L0: str) -> SimpleNamespace:
    """The tab's components (in the current gr.Tabs): tab, mode, llm_html, check, k, ui_lang, note;
    `store` the browser-remembered {"mode", "k"}."""
    with gr.Tab(t("tab_settings", L0), id="settings", elem_id="tab-settings") as tab:
        with gr.Column(elem_id="settings-box"):
            mode = gr.Radio(mode_choices(be, L0), value=be.default_mode(), label=t("st_mode", L0), elem_id="st-mode")
            llm_html = gr.HTML(llm_status_html(be.llm_status(check=False), L0), elem_id="st-llm")
            check = gr.Button(
                t("st_check", L0), size="sm", elem_id="st-check", visible=be.llm_status(check=False).configured
            )
            k = gr.Slider(
                K_RANGE[0],
                K_RANGE[1],
                value=DEFAULT_K,
                step=1,
                label=t("st_k", L0),
                info=t("st_k_info", L0),
                elem_id="st-k",
            )
            ui_lang = gr.Radio(LANG_CHOICES, value=L0, label=t("ui_lang", L0), elem_id="st-lang")
            note = gr.HTML("", elem_id="st-note")
    store = gr.BrowserState({"mode": be.default_mode(), "k": DEFAULT_K}, storage_key=STORAGE_KEY)
    return SimpleNamespace(
        tab=tab, mode=mode, llm_html=llm_html, check=check, k=k, ui_lang=ui_lang, note=note, store=store
    )


def wire_settings(demo: gr.Blocks, be: Any, st: SimpleNamespace, head_lang: Any) -> None:
    """Remember mode and k, restore them on load, check the LLM on demand, keep both language toggles in step."""

    def on_change(mode, k, L):
        m, kk = be.answer_options(mode, k)
        return {"mode": m, "k": kk}, _note_html(pick_lang(L), m, kk)

    for comp in (st.mode, st.k):
        comp.change(
            on_change, [st.mode, st.k, head_lang], [st.store, st.note], api_visibility="private", show_progress="hidden"
        )

    def on_load(stored, mode, k):
        stored = stored if isinstance(stored, dict) else {}
        m, kk = be.answer_options(stored.get("mode"), stored.get("k"))
        return (gr.update(value=m) if m != mode else gr.skip()), (gr.update(value=kk) if kk != k else gr.skip())

    demo.load(on_load, [st.store, st.mode, st.k], [st.mode, st.k], api_visibility="private")

    def on_check(L):
        return llm_status_html(be.llm_status(check=True), pick_lang(L))

    st.check.click(on_check, [head_lang], st.llm_html, api_visibility="private")
    st.tab.select(on_check, [head_lang], st.llm_html, api_visibility="private", show_progress="hidden")

    # the settings' language radio drives the header's toggle (which relabels the app, ui.language)
    st.ui_lang.input(None, [st.ui_lang], None, js=REMEMBER_LANG_JS)
    st.ui_lang.input(lambda v: gr.update(value=pick_lang(v)), [st.ui_lang], head_lang, api_visibility="private")

    def on_lang(new_lang, mode, k):
        L = pick_lang(new_lang)
        m, kk = be.answer_options(mode, k)
        return [
            gr.update(label=t("tab_settings", L)),
            gr.update(label=t("st_mode", L), choices=mode_choices(be, L), value=m),
            llm_status_html(be.llm_status(check=False), L),
            gr.update(value=t("st_check", L)),
            gr.update(label=t("st_k", L), info=t("st_k_info", L)),
            gr.update(label=t("ui_lang", L), value=L),
            "",
        ]

    head_lang.change(
        on_lang,
        [head_lang, st.mode, st.k],
        [st.tab, st.mode, st.llm_html, st.check, st.k, st.ui_lang, st.note],
        api_visibility="private",
        show_progress="hidden",
    )
