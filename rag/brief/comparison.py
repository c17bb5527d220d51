"""How a comparison of two companies is assembled: the shared profile facts, valuation / funding /
revenue cells, other key figures both documents give, flagship products and Japan strategy, each
cell cited. A row is in one currency when both documents give one (their own conversions), else
each cell as written; nothing is converted, and no cell repeats another of its column."""

from __future__ import annotations

import re
import time
from typing import Any

from rag.brief.builder import _Builder
from rag.brief.companies import _entry, _settings
from rag.brief.document import TABLE_MAX_LINES, _load, _Unit
from rag.brief.english import english_item
from rag.brief.key_labels import _is_figure_key, _key_info, _tokens
from rag.brief.labels import PROFILE_FIELDS, _check_lang, _li, _missing_note, labels, ui
from rag.brief.numbering import _Numbering
from rag.brief.records import BriefItem, Comparison, ComparisonRow
from rag.brief.text import _MONEY, _contains_any, _fold, _truncate, evidence_key, nfkc
from rag.config import Settings


def _unit_of(item: BriefItem) -> str | None:
    """The currency / unit of a front-matter figure (from its key), "jpy" for yen."""
    if item.kind != "figure" or item.key in ("", "body"):
        return None
    u = _key_info(item.key.split(".")[-1]).unit
    return {"yen": "jpy", "dollar": "usd", "dollars": "usd", "euro": "eur", "euros": "eur"}.get(u or "", u)


def _joined(items: list[BriefItem], label: str) -> BriefItem | None:
    """One cell from several figures of a document (the same amount in the currencies it gives)."""
    if not items:
        return None
    if len(items) == 1:
        it = items[0]
        it.text = it.value
        return it
    shown = " / ".join(i.value for i in items)
    return BriefItem(
        shown,
        [],
        [q for i in items for q in i.quotes],
        "figure",
        label,
        shown,
        ", ".join(i.key for i in items),
        None,
        [r for i in items for r in i.refs],
    )


def _one_currency(
    ia: list[BriefItem], ib: list[BriefItem], label: str, lang: str
) -> tuple[BriefItem | None, BriefItem | None]:
    """Cells of one row in one currency: the currency both documents give (they state their own
    conversion), preferring yen in Japanese and dollars in English; else each as written."""
    ua = {u: i for i in ia if (u := _unit_of(i))}
    ub = {u: i for i in ib if (u := _unit_of(i))}
    common = [u for u in ua if u in ub]
    if common:
        pref = ("jpy", "usd", "eur") if lang == "ja" else ("usd", "eur", "jpy")
        common.sort(key=lambda u: pref.index(u) if u in pref else len(pref))
        return _joined([ua[common[0]]], label), _joined([ub[common[0]]], label)
    return _joined(ia, label), _joined(ib, label)


_CLAUSE = re.compile(r"[、，,;；]\s*(?![^（(]*[）)])")


def _clause(cells: list[str], words: list[str], other: list[str]) -> str | None:
    """The part of a body line that states the concept: a clause with the concept's word and an
    amount, else (when only the row label names it) the first clause with an amount and no word of
    another concept."""
    label_hit = bool(cells[0] and _contains_any(_fold(cells[0]), words)) if len(cells) > 1 else False
    parts = [p.strip() for c in (cells[1:] if len(cells) > 1 else cells) for p in _CLAUSE.split(c) if p.strip()]
    money = [p for p in parts if _MONEY.search(nfkc(p))]
    own = [p for p in money if _contains_any(_fold(p), words)]
    if own:
        return own[0]
    if label_hit:
        rest = [p for p in money if not _contains_any(_fold(p), other)]
        return rest[0] if rest else None
    return None


def _concept_items(b: _Builder, concept: str) -> list[BriefItem]:
    """Figures for valuation / funding / revenue: front-matter keys (one per currency), else the
    part of a body line that states it."""
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
    label = cfg["label"][b.li]
    if cands:

        def pref(c: tuple[int, list[str], Any]) -> tuple[int, int, int]:
            toks = _tokens(c[1][-1])
            return (0 if isinstance(c[2], (int, float)) else 1, 0 if "total" in toks else 1, c[0])

        cands.sort(key=pref)
        first = cands[0]
        base = _key_info(first[1][-1]).base
        same = [c for c in cands if _key_info(c[1][-1]).base == base and c is not first]
        chosen = [first] + sorted(same, key=lambda c: c[0])
        items = [b.figure_item(c[1], c[2]) for c in chosen]
        for i in items:
            if i is not None:
                i.label = label
        return [i for i in items if i is not None]
    # body: the best table row / sentence naming the concept with an amount, cut to its clause
    words = cfg["body"]
    other = [w for k, c in labels()["compare"].items() if k != concept for w in c["body"]]
    best: tuple[float, _Unit, str] | None = None
    for u in b.d.units:
        if b._skip_section(u.sec):
            continue
        f = _fold(u.clean)
        hits = _contains_any(f, words)
        if not hits or not _MONEY.search(nfkc(u.clean)):
            continue
        part = _clause(u.cells() if u.table else [u.clean], words, other)
        if part is None:
            continue
        score = len(hits) + (1.0 if u.line - b.d.doc.body_start_line < TABLE_MAX_LINES else 0.0) - len(u.clean) / 400
        if best is None or score > best[0]:
            best = (score, u, part)
    if best is None:
        return []
    _s, u, part = best
    shown, quote = _truncate(part, 120)
    return [BriefItem(shown, [], [quote], "figure", label, shown, "body", None, [b.body_ref(u.line, u.line, quote)])]


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


def _drop_repeated_cells(rows: list[ComparisonRow]) -> None:
    """A cell repeating an earlier cell of the same column (same text from the same lines) is left
    empty: one statement is never shown for two fields."""
    for side in ("a", "b"):
        seen: set[tuple[str, tuple[tuple[int, int], ...]]] = set()
        for r in rows:
            c = getattr(r, side)
            if c is None:
                continue
            sig = (evidence_key(c.text), tuple((x.start_line, x.end_line) for x in c.refs))
            if sig in seen:
                setattr(r, side, None)
            seen.add(sig)


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
        label = labels()["compare"][concept]["label"][li]
        ca, cb = _one_currency(_concept_items(ba, concept), _concept_items(bb, concept), label, lang)
        rows.append(ComparisonRow(concept, label, ca, cb))
    # other key figures both documents give (same key name, e.g. revenue_growth_yoy_percent)
    fa: dict[str, list[BriefItem]] = {}
    fb: dict[str, list[BriefItem]] = {}
    for builder, into in ((ba, fa), (bb, fb)):
        for i in builder.fm_figures():
            into.setdefault(_key_info(i.key.split(".")[-1]).base, []).append(i)
    taken = {k for r in rows for c in (r.a, r.b) if c for k in c.key.split(", ")}
    for base in [k for k in fa if k in fb]:
        ia = [i for i in fa[base] if i.key not in taken]
        ib = [i for i in fb[base] if i.key not in taken]
        if not ia or not ib:
            continue
        ca, cb = _one_currency(ia, ib, ia[0].label, lang)
        rows.append(ComparisonRow(f"fm:{base}", ia[0].label, ca, cb))
    label_products = ("主力製品", "Flagship products")[li]
    label_japan = ("日本戦略", "Japan strategy")[li]
    rows.append(ComparisonRow("products", label_products, _products_cell(ba), _products_cell(bb)))
    rows.append(ComparisonRow("japan", label_japan, _japan_cell(ba), _japan_cell(bb)))

    _drop_repeated_cells(rows)
    if lang == "en":
        for c in (c for r in rows for c in (r.a, r.b) if c is not None):
            english_item(c)
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
