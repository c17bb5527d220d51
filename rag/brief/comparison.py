"""How a comparison of two companies is assembled: the shared profile facts, valuation / funding /
revenue cells, other key figures both documents give, flagship products and Japan strategy, each
cell cited; figures in different currencies or units are shown as written, never converted."""

from __future__ import annotations

import time
from typing import Any

from rag.brief.builder import _Builder
from rag.brief.companies import _entry, _settings
from rag.brief.document import TABLE_MAX_LINES, _load, _Unit
from rag.brief.key_labels import _is_figure_key, _key_info, _tokens
from rag.brief.labels import PROFILE_FIELDS, _check_lang, _li, _missing_note, labels, ui
from rag.brief.numbering import _Numbering
from rag.brief.records import BriefItem, Comparison, ComparisonRow
from rag.brief.text import _MONEY, _contains_any, _fold, _truncate, nfkc
from rag.config import Settings


def _concept_cell(b: _Builder, concept: str) -> BriefItem | None:
    """A comparison cell for valuation / funding / revenue: front-matter keys, else a body line."""
    cfg = labels()["compare"][concept]
    cands: list[tuple[int, list[str], Any]] = []

    def walk(v: Any, path: list[str]) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, path + [str(k)])
            return
        if not path or isinstance(v, list) or v in (None, "") or isinstance(v, bool):
            return
        toks = _tokens(path[-1])
        if not any(t in cfg["any"] for t in toks) or any(t in cfg["not"] for t in toks):
            return
        if not _is_figure_key(path, v):
            return
        cands.append((len(cands), path, v))

    walk(b.d.fm, [])
    if cands:

        def pref(c: tuple[int, list[str], Any]) -> tuple[int, int, int]:
            toks = _tokens(c[1][-1])
            return (0 if isinstance(c[2], (int, float)) else 1, 0 if "total" in toks else 1, c[0])

        cands.sort(key=pref)
        first = cands[0]
        base = _key_info(first[1][-1]).base
        same = [c for c in cands if _key_info(c[1][-1]).base == base and c is not first]
        chosen = [first] + [c for c in sorted(same, key=lambda c: c[0])]
        items = [b.figure_item(c[1], c[2]) for c in chosen]
        items = [i for i in items if i is not None]
        if not items:
            return None
        shown = " / ".join(i.value for i in items)
        refs = [r for i in items for r in i.refs]
        return BriefItem(
            shown,
            [],
            [q for i in items for q in i.quotes],
            "figure",
            cfg["label"][b.li],
            shown,
            ", ".join(i.key for i in items),
            None,
            refs,
        )
    # body: the first table row / sentence naming the concept with an amount
    words = cfg["body"]
    best: tuple[float, _Unit] | None = None
    for u in b.d.units:
        if b._skip_section(u.sec):
            continue
        f = _fold(u.clean)
        hits = _contains_any(f, words)
        if not hits or not _MONEY.search(nfkc(u.clean)):
            continue
        score = len(hits) + (1.0 if u.line - b.d.doc.body_start_line < TABLE_MAX_LINES else 0.0) - len(u.clean) / 400
        if best is None or score > best[0]:
            best = (score, u)
    if best is None:
        return None
    u = best[1]
    shown, quote = _truncate(u.clean, 120)
    return BriefItem(
        shown, [], [quote], "quote", cfg["label"][b.li], shown, "body", None, [b.body_ref(u.line, u.line, quote)]
    )


def _products_cell(b: _Builder) -> BriefItem | None:
    item = b.fm_topic_item("products")
    if item is not None:
        item.text = item.value
        return item
    cands = b.topic_candidates("products")
    return b.quote_item(cands[0][1], "products") if cands else None


_STRATEGY_WORDS = ("戦略", "進出", "展開", "参入", "入口", "機会", "strategy", "entry", "opportunit", "go-to-market")


def _japan_cell(b: _Builder) -> BriefItem | None:
    cands = b.topic_candidates("japan")
    if cands:

        def boost(t: tuple[float, _Unit]) -> tuple[float, int]:
            path = _fold(" ".join(b.d.sections[t[1].sec].heading_path))
            return (-(t[0] + (2.0 if _contains_any(path, _STRATEGY_WORDS) else 0.0)), t[1].line)

        return b.quote_item(sorted(cands, key=boost)[0][1], "japan")
    item = b.fm_topic_item("japan")
    if item is not None:
        item.text = item.value
    return item


def compare(a: Any, b: Any, lang: str = "ja", settings: Settings | None = None) -> Comparison:
    """Two companies side by side: shared profile facets and key figures, each cell cited.

    Figures in different currencies or units are shown as written (never converted); a cell
    with nothing in the library is None (rendered "—") and listed in `notes`.
    """
    t0 = time.perf_counter()
    lang = _check_lang(lang)
    settings = _settings(settings)
    ea, eb = _entry(a, settings), _entry(b, settings)
    da, db = _load(ea, settings), _load(eb, settings)
    ba, bb = _Builder(da, lang, settings), _Builder(db, lang, settings)
    rows: list[ComparisonRow] = []
    plabels = labels()["profile"]
    li = _li(lang)
    for fld in PROFILE_FIELDS:
        ca = getattr(ba, f"_profile_{fld}")(plabels[fld][li])
        cb = getattr(bb, f"_profile_{fld}")(plabels[fld][li])
        for c in (ca, cb):
            if c is not None:
                c.text = c.value
        rows.append(ComparisonRow(fld, plabels[fld][li], ca, cb))
    for concept in labels()["compare"]:
        rows.append(
            ComparisonRow(
                concept,
                labels()["compare"][concept]["label"][li],
                _concept_cell(ba, concept),
                _concept_cell(bb, concept),
            )
        )
    # other key figures both documents give (same key name, e.g. revenue_growth_yoy_percent)
    fa = {_key_info(i.key.split(".")[-1]).base: i for i in ba.fm_figures()}
    fb = {_key_info(i.key.split(".")[-1]).base: i for i in bb.fm_figures()}
    taken = {r.a.key for r in rows if r.a} | {r.b.key for r in rows if r.b}
    for base in [k for k in fa if k in fb]:
        ia, ib = fa[base], fb[base]
        if ia.key in taken or ib.key in taken:
            continue
        ia.text, ib.text = ia.value, ib.value
        rows.append(ComparisonRow(f"fm:{base}", ia.label, ia, ib))
    label_products = ("主力製品", "Flagship products")[li]
    label_japan = ("日本戦略", "Japan strategy")[li]
    rows.append(ComparisonRow("products", label_products, _products_cell(ba), _products_cell(bb)))
    rows.append(ComparisonRow("japan", label_japan, _japan_cell(ba), _japan_cell(bb)))

    numbering = _Numbering(lang)
    notes: list[str] = []
    for r in rows:
        numbering.number(r.a)
        numbering.number(r.b)
        for name, cell in ((da.company, r.a), (db.company, r.b)):
            if cell is None:
                notes.append(_missing_note(f"{name} — {r.label}", lang))
    notes.append(ui("as_written", lang))
    return Comparison(
        da.company,
        db.company,
        lang,
        rows,
        numbering.citations,
        notes,
        numbering.sources_line(),
        (da.title, db.title),
        {"total_ms": (time.perf_counter() - t0) * 1000},
    )
