"""The topic sections (products, customers, outcomes, differentiators, risks, Japan angle): a
front-matter list or value named for the topic, then the body sentences with the highest keyword
density from sections whose headings match the topic, quoted as written; with an LLM, the candidate
sentences are summarised instead (see llm_summary)."""

from __future__ import annotations

from typing import Any

from rag.brief.builder_base import _BuilderBase
from rag.brief.document import _Unit
from rag.brief.key_labels import _fm_label, figure_label
from rag.brief.labels import MAX_TOPIC_ITEMS, labels
from rag.brief.llm_summary import _llm_topic
from rag.brief.own_facts import foreign_lines
from rag.brief.records import BriefItem, _Ref
from rag.brief.text import _DIGITS, _contains_any, _fold, _truncate, evidence_key


class _TopicsMixin(_BuilderBase):
    """Topic items of one document: front-matter values, then the best-matching body sentences."""

    def heading_score(self, si: int, topic: str) -> float:
        cfg = labels()["topics"][topic]
        path = self.d.sections[si].heading_path
        if not path:
            return 0.0
        last = _fold(path[-1])
        anc = _fold(" ".join(path[:-1]))
        score = 0.0
        if cfg.get("headings_not") and _contains_any(_fold(" ".join(path)), cfg["headings_not"]):
            return 0.0
        if _contains_any(last, cfg["headings"]):
            score = 3.0
        elif anc and _contains_any(anc, cfg["headings"]):
            score = 2.0
        if score and topic != "japan" and _contains_any(last, labels()["topics"]["japan"]["headings"]):
            score -= 2.0  # "日本での課題" is about Japan first
        return score

    def topic_candidates(self, topic: str) -> list[tuple[float, _Unit]]:
        cfg = labels()["topics"][topic]
        words = cfg["content"]
        hs = {si: self.heading_score(si, topic) for si in range(len(self.d.sections))}
        any_heading = any(v > 0 for v in hs.values())
        # rows about competitors / other technologies are not the company's (a Japan topic compares markets)
        foreign = foreign_lines(self.d) if topic != "japan" else set()
        out: list[tuple[float, _Unit]] = []
        for u in self.d.units:
            if u.line in self.used_lines or u.line in foreign or self._skip_section(u.sec):
                continue
            h = hs.get(u.sec, 0.0)
            hits = _contains_any(_fold(u.clean), words)
            lead_hits = [w for w in _contains_any(_fold(u.lead[1]), words) if w not in hits] if u.lead else []
            if h <= 0 and (any_heading or len(hits) < 2):
                continue
            n = len(u.clean)
            score = h + 1.5 * len(hits) + 0.5 * len(lead_hits) + 2.0 * len(hits) / (n / 40.0 + 1.0)
            if u.first and not u.table:
                score += 1.0
            if _DIGITS.search(u.clean):
                score += 0.3
            if n < 12:
                score -= 4
            elif n < 20:
                score -= 1.5
            if n > 220:
                score -= 1
            if u.table:
                score -= 2.5
            if u.lead is None and u.bullet and n < 30:
                score -= 1
            out.append((score, u))
        out.sort(key=lambda t: (-t[0], t[1].line))
        return out

    def fm_topic_item(self, topic: str) -> BriefItem | None:
        keys = labels()["topics"][topic]["fm_keys"]
        order = {k: i for i, k in enumerate(keys)}
        best: tuple[int, list[str], Any] | None = None

        def walk(v: Any, path: list[str]) -> None:
            nonlocal best
            if isinstance(v, dict):
                for k, x in v.items():
                    walk(x, path + [str(k)])
                return
            if not path:
                return
            k = path[-1]
            if k not in order or v in (None, "", []) or ".".join(path) in self.shown_keys:
                return
            if isinstance(v, list) and not all(isinstance(x, (str, int, float)) for x in v):
                return
            if best is None or order[k] < best[0]:
                best = (order[k], path, v)

        walk(self.d.fm, [])
        if best is None:
            return None
        _o, path, v = best
        block = self.d.fm_block(path)
        if block is None:
            return None
        label = (
            figure_label(path[-1], self.lang)
            if path[-1] in labels()["figures"]["keys"]
            else _fm_label(path[-1], self.lang)
        )
        sep = ": " if self.lang == "en" else "："
        if isinstance(v, list):
            shown_items: list[str] = []
            refs: list[_Ref] = []
            for x in v[:4]:
                line = self.d.fm_item_line(block, str(x))
                if line is None:
                    continue
                shown_items.append(str(x).strip())
                refs.append(_Ref(self.d, (), line, line, str(x).strip()))
            if not refs:
                return None
            lo, hi = min(r.start_line for r in refs), max(r.end_line for r in refs)
            ref = _Ref(self.d, (), lo, hi, shown_items[0])
            joiner = "、" if self.lang == "ja" else "; "
            shown = joiner.join(shown_items)
            more = len(v) - len(shown_items)
            if more > 0:
                shown += f"（ほか{more}件）" if self.lang == "ja" else f" (+{more} more)"
            return BriefItem(f"{label}{sep}{shown}", [], shown_items, "fact", label, shown, ".".join(path), v, [ref])
        text = str(v).strip()
        shown, quote = _truncate(text)
        ref = _Ref(self.d, (), block[0], block[1], quote)
        return BriefItem(f"{label}{sep}{shown}", [], [quote], "fact", label, shown, ".".join(path), v, [ref])

    def topic(self, topic: str, llm: Any = None) -> list[BriefItem]:
        items: list[BriefItem] = []
        fm_item = self.fm_topic_item(topic)
        if fm_item is not None:
            items.append(fm_item)
        cands = self.topic_candidates(topic)
        if llm is not None and cands:
            summary = _llm_topic(llm, self, topic, [u for _s, u in cands[:6]])
            if summary:
                return items[:1] + summary
        per_sec: dict[int, int] = {}
        picked: list[_Unit] = []
        for score, u in cands:
            if len(items) + len(picked) >= MAX_TOPIC_ITEMS or score <= 0.5:
                break
            if per_sec.get(u.sec, 0) >= 2 or u.line in self.used_lines:
                continue
            if any(evidence_key(u.clean) == evidence_key(p.clean) for p in picked):
                continue
            per_sec[u.sec] = per_sec.get(u.sec, 0) + 1
            picked.append(u)
            self.used_lines.add(u.line)
        items += [self.quote_item(u, topic) for u in sorted(picked, key=lambda u: u.line)]
        return items
