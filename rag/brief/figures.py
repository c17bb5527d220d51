"""The key-figures section: numeric (and figure-like) front-matter fields with readable labels and
units, in priority order without duplicates, plus a few sentences with amounts from the sections
about results, funding or KPIs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rag.brief.amounts import _CURRENCIES, _UNITS, format_amount
from rag.brief.builder_base import _BuilderBase
from rag.brief.document import _Unit
from rag.brief.key_labels import _is_figure_key, _key_info, _priority, figure_label
from rag.brief.labels import labels
from rag.brief.own_facts import foreign_lines
from rag.brief.records import BriefItem, _Ref
from rag.brief.text import _AMOUNT, _contains_any, _fold, evidence_key, nfkc

MAX_FIGURES = 10
MAX_BODY_FIGURES = 3


class _FiguresMixin(_BuilderBase):
    """Key figures of one document: front-matter fields, then body sentences with amounts."""

    def fm_figures(self) -> list[BriefItem]:
        found: list[tuple[int, int, BriefItem, tuple[Any, str | None]]] = []

        def walk(v: Any, path: list[str]) -> None:
            if isinstance(v, dict):
                for k, x in v.items():
                    walk(x, path + [str(k)])
                return
            if not path or isinstance(v, list) or not _is_figure_key(path, v):
                return
            item = self.figure_item(path, v)
            if item is not None:
                info = _key_info(path[-1])
                sig = (float(v) * info.scale if isinstance(v, (int, float)) else _fold(str(v)), info.unit)
                found.append((_priority(path[-1]), item.refs[0].start_line, item, sig))

        walk(self.d.fm, [])
        found.sort(key=lambda t: (t[0], t[1]))
        out: list[BriefItem] = []
        seen: set[Any] = set()
        for _p, _l, item, sig in found:
            if sig in seen:
                continue
            seen.add(sig)
            out.append(item)
            self.shown_keys.add(item.key)
            if len(out) >= MAX_FIGURES:
                break
        return out

    def figure_item(self, path: Sequence[str], v: Any) -> BriefItem | None:
        block = self.d.fm_block(path)
        if block is None:
            return None
        key = path[-1]
        info = _key_info(key)
        label = figure_label(key, self.lang)
        raw_text = self.d.fm_raw_text(block[0]) or str(v)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            shown = format_amount(v, info.unit, self.lang, scale=info.scale)
            quote = raw_text if evidence_key(raw_text) else str(v)
        else:
            shown = str(v).strip()
            bare = bool(re.fullmatch(r"[\d.,]+(?:\s*[-–~〜]\s*[\d.,]+)?", shown))
            if info.unit in _CURRENCIES and not re.search(r"[$€¥￥£円ドル]|usd|eur|jpy", shown, re.I):
                shown += f" ({info.unit.upper()})"
            elif info.unit in _UNITS and bare:
                shown += _UNITS[info.unit][0] if self.lang == "ja" else _UNITS[info.unit][1]
            quote = str(v).strip()
        ref = _Ref(self.d, (), block[0], block[1], quote)
        sep = ": " if self.lang == "en" else "："
        return BriefItem(f"{label}{sep}{shown}", [], [quote], "figure", label, shown, ".".join(path), v, [ref])

    def body_figures(self) -> list[BriefItem]:
        heads = labels()["figure_headings"]
        cands: list[tuple[float, _Unit]] = []
        foreign = foreign_lines(self.d)  # rows about competitors / other technologies are not key figures
        for u in self.d.units:
            if u.line in self.used_lines or u.line in foreign or self._skip_section(u.sec):
                continue
            path = self.d.sections[u.sec].heading_path
            if not path or not _contains_any(_fold(" ".join(path)), heads):
                continue
            amounts = {a.strip() for a in _AMOUNT.findall(nfkc(u.clean))}
            if not amounts or len(u.clean) < 12:
                continue
            own = bool(_contains_any(_fold(path[-1]), heads))
            score = min(len(amounts), 4) + (3.0 if own else 0.0)
            if u.table:
                score -= 2.0
            if u.lead is not None:
                score -= 0.5
            cands.append((score, u))
        cands.sort(key=lambda t: (-t[0], t[1].line))
        chosen: list[_Unit] = []
        per_sec: dict[int, int] = {}
        for _s, u in cands:
            if per_sec.get(u.sec, 0) >= 2:
                continue
            per_sec[u.sec] = per_sec.get(u.sec, 0) + 1
            chosen.append(u)
            if len(chosen) >= MAX_BODY_FIGURES:
                break
        return [self.quote_item(u, "figures") for u in sorted(chosen, key=lambda u: u.line)]
