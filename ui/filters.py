"""The facet filters of the chat tab: the controls (country, industry, category, company, tags, founded
year from/to), the summary of the active filters, the suggested-filter box (apply / dismiss), and the
pure conversions between control values, rag filter mappings and suggestions. The conversions need no
Gradio state, so they are tested directly.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import gradio as gr

from rag.ingest import aliases_for, canonical_value, has_japanese

from . import render as R
from .i18n import t

FACET_CONTROLS = ("country", "industry", "category", "company", "tags")
_CODE_RE = re.compile(r"^[A-Z][A-Z.]{1,4}$")


# ------------------------------------------------------------------------------------ bilingual values


def _other_script_name(key: str, value: str) -> str | None:
    """The value's name in the other script: "日本" → "Japan", "Mistral AI" → "ミストラルAI", else None."""
    if key == "country":
        en = canonical_value("country_en", value)
        return en if en and en != value else None
    if key != "company":
        return None
    want_ja = not has_japanese(value)
    names = sorted(a for a in aliases_for("company", value) if a != value and has_japanese(a) == want_ja)
    return names[0] if names else None


def bilingual_name(key: str, value: str) -> str:
    """A value with its name in the other script when there is one: "日本 / Japan", else the value."""
    other = _other_script_name(key, value)
    return f"{value} / {other}" if other else value


def facet_label(key: str, value: str) -> str:
    """What the dropdown shows for a canonical value: "日本 / Japan (JP, JPN)"; Gradio's filter matches
    what is typed against this label, so it holds both names and the short codes of a country."""
    label = bilingual_name(key, value)
    if key == "country":
        codes = sorted(a for a in aliases_for("country", value) if _CODE_RE.match(a) and a not in label)
        if codes:
            label += f" ({', '.join(codes)})"
    return label


def choice_pairs(key: str, values: list[str]) -> list[tuple[str, str]]:
    """(label, canonical value) choices of one facet control."""
    return [(facet_label(key, v), v) for v in values]


def resolve_value(key: str, typed: str, values: list[str]) -> str | None:
    """The facet value that `typed` names (the value itself, its label, or any alias), else None."""
    text = (typed or "").strip()
    if not text:
        return None
    if text in values:
        return text
    folded = text.casefold()
    for v in values:
        if folded in (v.casefold(), facet_label(key, v).casefold()):
            return v
    canon = canonical_value(key, text)
    if canon in values:
        return canon
    for v in values:
        if folded in {a.casefold() for a in aliases_for(key, v)}:
            return v
    return None


def canonical_controls(key: str, picked: list[str] | None, values: list[str]) -> list[str]:
    """A control's values with typed names (custom values) replaced by the facet value they name."""
    out = [resolve_value(key, str(p), values) or str(p) for p in (picked or []) if p not in (None, "")]
    return list(dict.fromkeys(out))


# ------------------------------------------------------------------------------------ conversions


def filters_from_controls(country, industry, category, company, tags, y_from, y_to) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, val in (
        ("country", country),
        ("industry", industry),
        ("category", category),
        ("company", company),
        ("tags", tags),
    ):
        vals = [v for v in (val or []) if v not in (None, "")]
        if vals:
            out[key] = vals[0] if len(vals) == 1 and key != "tags" else vals
    rng: dict[str, int] = {}
    for op, v in (("gte", y_from), ("lte", y_to)):
        if v not in (None, "", 0):
            try:
                rng[op] = int(v)
            except (TypeError, ValueError):
                pass
    if rng:
        out["founded_year"] = rng
    return out


def year_choices(choices: dict[str, Any]) -> list[str]:
    lo, hi = choices.get("years") or (None, None)
    if lo is None:
        return [""]
    return [""] + [str(y) for y in range(int(lo), int(hi) + 1)]


def suggestion_to_controls(sugg: dict[str, Any], choices: dict[str, Any]) -> dict[str, list[str]]:
    """Dropdown values for a suggested filter: exact values, or the facet values containing a stem."""
    out: dict[str, list[str]] = {}
    for key, spec in (sugg or {}).items():
        if key not in FACET_CONTROLS:
            continue
        avail = list(choices.get(key) or [])
        if isinstance(spec, dict):  # {"contains": [...]} / {"in": [...]}
            vals = [str(x) for v in spec.values() for x in (v if isinstance(v, (list, tuple)) else [v])]
        else:
            vals = [str(x) for x in (spec if isinstance(spec, (list, tuple)) else [spec])]
        picked: list[str] = []
        for v in vals:
            exact = [a for a in avail if a == v]
            picked += exact or [a for a in avail if v.casefold() in a.casefold()]
        if picked:
            out[key] = list(dict.fromkeys(picked))
    return out


# ------------------------------------------------------------------------------------ layout


def filter_panel(be: Any, choices0: dict[str, Any], L0: str) -> SimpleNamespace:
    """The active-filters summary, the suggestion box and the filters accordion, in the current column.

    Returns active_html, suggest_box, suggest_html, sug_apply, sug_dismiss, filt_acc, the facet dropdowns
    f_country … f_tags, f_from, f_to, f_clear; and the lists facet_dds (the five facet dropdowns) and
    filter_inputs (facet_dds + the two year dropdowns, the order filters_from_controls takes)."""
    active_html = gr.HTML(R.filters_summary_html(be.describe({}, L0), L0), elem_id="active-box")
    with gr.Group(visible=False, elem_id="suggest-box") as suggest_box:
        suggest_html = gr.HTML("", elem_id="suggest-html")
        with gr.Row():
            sug_apply = gr.Button(t("f_apply", L0), size="sm", variant="primary", elem_id="sug-apply")
            sug_dismiss = gr.Button(t("f_dismiss", L0), size="sm", elem_id="sug-dismiss")
    with gr.Accordion(t("filters", L0), open=False, elem_id="filters-box") as filt_acc:
        f_country = gr.Dropdown(
            choice_pairs("country", choices0["country"]),
            filterable=True,
            allow_custom_value=True,
            value=[],
            multiselect=True,
            label=t("f_country", L0),
            elem_id="f-country",
        )
        f_industry = gr.Dropdown(
            choice_pairs("industry", choices0["industry"]),
            filterable=True,
            allow_custom_value=True,
            value=[],
            multiselect=True,
            label=t("f_industry", L0),
            elem_id="f-industry",
        )
        f_category = gr.Dropdown(
            choice_pairs("category", choices0["category"]),
            filterable=True,
            allow_custom_value=True,
            value=[],
            multiselect=True,
            label=t("f_category", L0),
            elem_id="f-category",
        )
        f_company = gr.Dropdown(
            choice_pairs("company", choices0["company"]),
            filterable=True,
            allow_custom_value=True,
            value=[],
            multiselect=True,
            label=t("f_company", L0),
            elem_id="f-company",
        )
        f_tags = gr.Dropdown(
            choice_pairs("tags", choices0["tags"]),
            value=[],
            multiselect=True,
            filterable=True,
            label=t("f_tags", L0),
            elem_id="f-tags",
        )
        with gr.Row():
            f_from = gr.Dropdown(year_choices(choices0), value="", label=t("f_year_from", L0), elem_id="f-from")
            f_to = gr.Dropdown(year_choices(choices0), value="", label=t("f_year_to", L0), elem_id="f-to")
        f_clear = gr.Button(t("f_clear", L0), size="sm", elem_id="f-clear")
    facet_dds = [f_country, f_industry, f_category, f_company, f_tags]
    return SimpleNamespace(
        active_html=active_html,
        suggest_box=suggest_box,
        suggest_html=suggest_html,
        sug_apply=sug_apply,
        sug_dismiss=sug_dismiss,
        filt_acc=filt_acc,
        f_country=f_country,
        f_industry=f_industry,
        f_category=f_category,
        f_company=f_company,
        f_tags=f_tags,
        f_from=f_from,
        f_to=f_to,
        f_clear=f_clear,
        facet_dds=facet_dds,
        filter_inputs=facet_dds + [f_from, f_to],
    )


# ------------------------------------------------------------------------------------ events


def wire_filters(be: Any, fp: SimpleNamespace, lang: gr.State, suggestion: gr.State) -> None:
    """Summary on every change, clear all, apply or dismiss a suggestion."""
    facet_dds, filter_inputs = fp.facet_dds, fp.filter_inputs

    def on_filters(L, *fvals):
        f = filters_from_controls(*fvals)
        return R.filters_summary_html(be.describe(f, L), L, bool(f))

    for comp in filter_inputs:
        comp.change(
            on_filters, [lang, *filter_inputs], fp.active_html, api_visibility="private", show_progress="hidden"
        )

    def on_clear_filters():
        return [gr.update(value=[]) for _ in facet_dds] + [gr.update(value=""), gr.update(value="")]

    def make_canon(key):
        def on_input(vals):
            vals = list(vals or [])
            canon = canonical_controls(key, vals, list(be.facet_choices().get(key) or []))
            return gr.update(value=canon) if canon != vals else gr.skip()

        return on_input

    for key, dd in zip(FACET_CONTROLS, facet_dds):
        if key != "tags":  # typed names ("Japan", "USA") become the facet value they name (日本, 米国)
            dd.input(make_canon(key), dd, dd, api_visibility="private", show_progress="hidden")

    fp.f_clear.click(on_clear_filters, None, filter_inputs, api_visibility="private")

    def on_apply(sugg, *fvals):
        ch = be.facet_choices()
        add = suggestion_to_controls(sugg or {}, ch)
        cur = {k: list(v or []) for k, v in zip(FACET_CONTROLS, fvals[:5])}
        outs = []
        for k in FACET_CONTROLS:
            vals = list(dict.fromkeys(cur[k] + add.get(k, [])))
            outs.append(gr.update(value=vals))
        return [*outs, {}, gr.update(visible=False)]

    fp.sug_apply.click(
        on_apply, [suggestion, *facet_dds], [*facet_dds, suggestion, fp.suggest_box], api_visibility="private"
    )
    fp.sug_dismiss.click(
        lambda: ({}, gr.update(visible=False)), None, [suggestion, fp.suggest_box], api_visibility="private"
    )
