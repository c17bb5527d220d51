"""The active filters as removable chips under the question box: "国: 日本 / Japan ×". Clicking a chip
removes that one value from its filter control (ui.filters), so the summary, the chips and the next
question all follow the controls, which stay the one truth about the filters.

A fixed pool of MAX_CHIPS buttons is relabelled and shown or hidden on every change of a filter
control or of the UI language; more values than that are counted ("+3 more"). The conversions
(controls → chips, a chip removed → control values, a chip's label) are pure and tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import gradio as gr

from . import render as R
from .filters import FACET_CONTROLS, bilingual_name
from .i18n import pick_lang, t

MAX_CHIPS = 10
YEAR_KEYS = ("from", "to")  # the founded-year dropdowns, after the five facet controls
_KIND_LABEL = {
    "country": "f_country",
    "industry": "f_industry",
    "category": "f_category",
    "company": "f_company",
    "tags": "f_tags",
}


@dataclass(frozen=True)
class Chip:
    key: str  # a FACET_CONTROLS key, or "from" / "to"
    value: str


def _year(v: Any) -> str | None:
    if v in (None, "", 0):
        return None
    try:
        return str(int(v))
    except (TypeError, ValueError):
        return None


def active_chips(country, industry, category, company, tags, y_from, y_to) -> list[Chip]:
    """One chip per active value, in the order of the filter panel (the arguments of
    ui.filters.filters_from_controls)."""
    out: list[Chip] = []
    for key, vals in zip(FACET_CONTROLS, (country, industry, category, company, tags)):
        for v in vals or []:
            if v not in (None, ""):
                out.append(Chip(key, str(v)))
    for key, v in zip(YEAR_KEYS, (y_from, y_to)):
        y = _year(v)
        if y:
            out.append(Chip(key, y))
    return list(dict.fromkeys(out))


def without_chip(values: list[Any], chip: Chip) -> list[Any]:
    """The seven control values with `chip` removed (a year dropdown becomes "")."""
    out = list(values)
    if chip.key in YEAR_KEYS:
        i = len(FACET_CONTROLS) + YEAR_KEYS.index(chip.key)
        out[i] = ""
    else:
        i = FACET_CONTROLS.index(chip.key)
        out[i] = [v for v in (out[i] or []) if str(v) != chip.value]
    return out


def chip_label(chip: Chip, lang: str) -> str:
    """The button text: "国: 日本 / Japan ×", "設立 2015 年以降 ×"."""
    if chip.key == "from":
        text = t("chip_from", lang).format(y=chip.value)
    elif chip.key == "to":
        text = t("chip_to", lang).format(y=chip.value)
    else:
        text = f"{t(_KIND_LABEL[chip.key], lang)}: {bilingual_name(chip.key, chip.value)}"
    return f"{text} ×"


# ------------------------------------------------------------------------------------ layout / events


def chips_row(L0: str) -> SimpleNamespace:
    """The chips row (hidden while no filter is active), in the current column: row, label, buttons, more."""
    with gr.Row(visible=False, elem_id="filter-chips") as row:
        label = gr.HTML(_label_html(L0), elem_id="chips-label", container=False)
        buttons = [
            gr.Button("", size="sm", visible=False, elem_id=f"chip-{i}", elem_classes=["filter-chip"], scale=0)
            for i in range(MAX_CHIPS)
        ]
        more = gr.HTML("", elem_id="chips-more", container=False)
    return SimpleNamespace(row=row, label=label, buttons=buttons, more=more)


def _label_html(lang: str) -> str:
    return f'<span class="chips-label">{R.esc(t("chips_label", lang))}</span>'


def chip_updates(lang: Any, *fvals: Any) -> list[Any]:
    """Updates of [row, label, *buttons, more] for the current control values."""
    L = pick_lang(lang)
    chips = active_chips(*fvals)
    ups: list[Any] = [gr.update(visible=bool(chips)), _label_html(L)]
    for i in range(MAX_CHIPS):
        if i < len(chips):
            ups.append(gr.update(value=chip_label(chips[i], L), visible=True))
        else:
            ups.append(gr.update(value="", visible=False))
    extra = len(chips) - MAX_CHIPS
    ups.append(f'<span class="chips-more">{R.esc(t("chip_more", L).format(n=extra))}</span>' if extra > 0 else "")
    return ups


def wire_chips(chips: SimpleNamespace, filter_inputs: list[Any], ui_lang: Any) -> None:
    """Refresh on every filter change and language change; a click removes that chip's value."""
    outputs = [chips.row, chips.label, *chips.buttons, chips.more]
    for comp in [*filter_inputs, ui_lang]:
        comp.change(chip_updates, [ui_lang, *filter_inputs], outputs, api_visibility="private", show_progress="hidden")

    def make_remove(i: int):
        def on_remove(*fvals):
            current = active_chips(*fvals)
            if i >= len(current):
                return [gr.skip()] * len(filter_inputs)
            new = without_chip(list(fvals), current[i])
            return [gr.update(value=n) if n != o else gr.skip() for n, o in zip(new, fvals)]

        return on_remove

    for i, btn in enumerate(chips.buttons):
        btn.click(make_remove(i), filter_inputs, filter_inputs, api_visibility="private", show_progress="hidden")
