"""Scoring and selection of answer units: idf-weighted coverage of the question's concepts (the
heading path counts half), a bonus when the unit carries the asked-for kind of value and counter,
the section's rank, penalties for another company's units, link lists and long units
(`score_units`); then the best unit plus units that cover what is still missing (`select`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.extractive.question import _AMOUNT_IN, _DATE_IN, _NUMBER, QuestionInfo
from rag.answer.extractive.text import _jp, fold, nfkc, squash, toks
from rag.answer.extractive.units import Unit, section_units
from rag.answer.reader.span import noun_runs
from rag.schema import Hit

MAX_UNITS = 3  # quotes in one answer (4 when the question names several companies)
UNIT_SECTIONS = 6  # top sections whose sentences are candidates


@dataclass
class Scored:
    unit: Unit
    hit_index: int  # index into hits
    score: float
    coverage: float
    covered: frozenset[str]  # concept labels covered
    type_ok: bool
    counter_ok: bool
    doc_key: str
    types: frozenset[str] = frozenset()


def _hit_key(h: Hit) -> str:
    return str(h.metadata.get("uid") or h.doc_id)


def _covered(info: QuestionInfo, tokens: frozenset[str], text_fold: str) -> set[str]:
    out = set()
    sq = None
    for c in info.concepts:
        if c.phrase:
            if sq is None:
                sq = squash(text_fold)
            if c.phrase in sq:
                out.add(c.label)
            continue
        if c.alts & tokens:
            out.add(c.label)
        elif c.number and c.label in text_fold:
            out.add(c.label)
        elif any(len(a) >= 2 and a in text_fold for a in c.alts if not a.isascii()):
            out.add(c.label)
        elif c.label.isascii() and len(c.label) >= 4 and re.search(rf"(?<![a-z0-9]){re.escape(c.label)}", text_fold):
            out.add(c.label)
    return out


_NOT_NAMES = frozenset(
    """series phase tier ceo cto cfo coo cio caio ai api llm gpt pass fail yes no q1 q2 q3 q4 arr kpi roi
    usd eur jpy yoy fy note total the this that and for with from www http https pdf faq saas b2b b2c
    llms genai dx it hr ok""".split()
)


@lru_cache(maxsize=20000)
def proper_nouns(text: str) -> tuple[str, ...]:
    """Names in `text`: fugashi proper nouns (人名/組織名/地名…), 「quoted」 terms, capitalised Latin words."""
    out: list[str] = []
    t = nfkc(text)
    try:
        out += [surf for surf, _ws, feat in _jp().tag(t) if feat.split(",")[1:2] == ["固有名詞"] and len(surf) >= 2]
        # a run of nouns holding one is a name too: 三井 住友 フィナンシャル グループ
        out += [s.text for s in noun_runs(t) if s.kind == "name"]
    except Exception:  # noqa: BLE001
        pass
    for m in re.finditer(r"[「『“\"]([^」』”\"]{2,40})[」』”\"]", text):
        out.append(m.group(1))
    for m in re.finditer(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9&\-]*[A-Za-z0-9](?:\s+[A-Z0-9][A-Za-z0-9&\-]*)*", text):
        w = m.group(0)
        if w.lower() not in _NOT_NAMES and not re.fullmatch(r"[A-Z]\d*", w):
            out.append(w)
    for m in re.finditer(r"[\u30a1-\u30fa\u30fc]{2,}(?:・[\u30a1-\u30fa\u30fc]{2,})+", text):
        out.append(m.group(0))
    return tuple(dict.fromkeys(out))


def _type_match(info: QuestionInfo, u: Unit) -> tuple[frozenset[str], bool]:
    """(answer types the unit carries among info.wants, counter matched)."""
    t = nfkc(u.text)
    qnums = set(info.numbers)
    got: set[str] = set()
    if "num" in info.wants:
        nums = [x.replace(",", "") for x in _NUMBER.findall(t)]
        new = [x for x in nums if x not in qnums and not any(x in e for e in info.entity_tokens)]
        if new and (_AMOUNT_IN.search(t) or u.kind in ("row", "profile")):
            got.add("num")
    if "date" in info.wants and _DATE_IN.search(t):
        ds = {re.sub(r"\s", "", x) for x in _DATE_IN.findall(t)}
        if ds - {f"{n}年" for n in qnums} - qnums:
            got.add("date")
    if "name" in info.wants:
        qf = squash(info.text)
        new = [x for x in proper_nouns(t) if squash(x) and squash(x) not in qf and squash(x) not in info.entity_tokens]
        if new:
            got.add("name")
    counter_ok = False
    for c in info.counters:
        if c == "%":
            if re.search(r"\d\s*[%％]", t):
                counter_ok = True
        elif re.search(
            r"\d[\d,.]*\s*(?:万|億)?\s*(?:[-~〜～]\s*\d[\d,.]*\s*(?:万|億)?\s*)?(?:の\s*)?" + re.escape(c), t, re.I
        ):
            counter_ok = True
        if counter_ok:
            break
    return frozenset(got), counter_ok


W_COVER, W_TYPE, W_COUNTER, W_HEADING = 1.0, 0.45, 0.3, 0.5
HEADING_FACTOR = 0.8
TYPED_HEADING_FACTOR = 1.0
LATEST_BONUS = 0.3
_FORECAST = re.compile(r"予想|予定|見込|計画|目標|予測|expected|forecast|planned|projected|target|estimate", re.I)
SAME_SECTION_CLOSE, NEW_SECTION_CLOSE, NEW_SECTION_GAIN, NEAR_TIE = 0.7, 0.6, 0.15, 0.95
_COUNTED = re.compile(r"\d[\d,.]*\s*(?:万|億)?\s*(?:%|％|[^\s\d/|:：,、。()（）\-~〜～]{1,3})")


def score_units(info: QuestionInfo, hits: Sequence[Hit], n_sections: int = UNIT_SECTIONS) -> list[Scored]:
    focus = {k for k, _ in info.companies}
    soft = None
    if not focus and not info.multi and len(hits) >= 2 and _hit_key(hits[0]) == _hit_key(hits[1]):
        soft = _hit_key(hits[0])  # no company named, but retrieval is sure which document it is about
    total = info.total_weight
    weights = {c.label: c.weight for c in info.concepts}
    out: list[Scored] = []
    for hi, h in enumerate(hits[:n_sections]):
        hk = _hit_key(h)
        head_text = " ".join(h.heading_path)
        head_cov = _covered(info, toks(head_text), fold(head_text)) if head_text else set()
        prior = 1.0 / (1.0 + 0.12 * hi)
        for u in section_units(h):
            tf = fold(u.text)
            cov = _covered(info, u.tokens, tf)
            ctx_cov = _covered(info, toks(u.context), fold(u.context)) if u.context else set()
            c_w = sum(weights[c] for c in cov) / total
            h_w = sum(weights[c] for c in (head_cov | ctx_cov) - cov) / total
            coverage = c_w + W_HEADING * h_w
            types, counter_ok = _type_match(info, u)
            type_ok = bool(types)
            tw = (len(types) / len(info.wants)) if info.wants else 0.0
            s = W_COVER * coverage + W_TYPE * (0.6 + 0.4 * tw if type_ok else 0.0) + (W_COUNTER if counter_ok else 0.0)
            if not cov and not type_ok:
                s *= 0.3
            if u.kind == "heading":
                s *= TYPED_HEADING_FACTOR if type_ok else HEADING_FACTOR * 0.7
            if info.multi and counter_ok and len(_COUNTED.findall(nfkc(u.text))) >= 2:
                s += 0.15
            L = len(u.text)
            if L > 260:
                s *= 0.75 if L < 450 else 0.55
            elif L < 8:
                s *= 0.6
            if u.is_link:
                s *= 0.35
            if focus and hk not in focus:
                s *= 0.35
            elif soft and hk != soft:
                s *= 0.7
            if h.kind == "profile":
                s *= 0.9
            s *= prior
            out.append(Scored(u, hi, s, coverage, frozenset(cov | head_cov | ctx_cov), type_ok, counter_ok, hk, types))
    if info.latest and out:
        # "the latest valuation": among the candidates carrying the asked-for value, prefer the most recent year
        def year(sc: Scored) -> int:
            ys = [int(y) for y in re.findall(r"(?<!\d)(20\d\d|19\d\d)(?!\d)", nfkc(sc.unit.text))]
            return max(ys) if ys else 0

        cands = [sc for sc in out if sc.type_ok and sc.coverage > 0 and not _FORECAST.search(sc.unit.text)]
        top_year = max((year(sc) for sc in cands), default=0)
        if top_year:
            for sc in cands:
                if year(sc) == top_year:
                    sc.score += LATEST_BONUS
    out.sort(key=lambda x: -x.score)
    return out


def _near_dup(a: Unit, b: Unit) -> bool:
    sa, sb = squash(a.text), squash(b.text)
    if not sa or not sb:
        return False
    if sa in sb or sb in sa:
        return True
    ta, tb = a.tokens, b.tokens
    if ta and tb:
        j = len(ta & tb) / len(ta | tb)
        if j >= 0.7:
            return True
    return False


def select(info: QuestionInfo, scored: list[Scored], max_units: int | None = None) -> list[Scored]:
    """The best unit, one per further company named, one per answer type still missing, then close
    runners-up that add something (see the module docstring)."""
    if not scored:
        return []
    limit = max_units or (MAX_UNITS + 1 if len(info.companies) >= 2 else MAX_UNITS)
    best = scored[0]
    chosen = [best]
    weights = {c.label: c.weight for c in info.concepts}
    total = info.total_weight
    pool = [c for c in scored[1:60] if c.score >= 0.2 * best.score]

    def ok(c: Scored) -> bool:
        return c not in chosen and not any(_near_dup(c.unit, x.unit) for x in chosen)

    # 1. every company the question names
    focus = [k for k, _ in info.companies]
    if len(focus) >= 2:
        for k in focus:
            if len(chosen) >= limit or any(c.doc_key == k for c in chosen):
                continue
            cands = [c for c in pool if c.doc_key == k and ok(c)]
            cands.sort(key=lambda c: (-(c.type_ok), -c.score))
            if cands:
                chosen.append(cands[0])
    # 2. every answer type asked for (an amount AND a name, a date AND a name…)
    for t in sorted(info.wants):
        if len(chosen) >= limit or any(t in c.types for c in chosen):
            continue
        cands = [
            c
            for c in pool
            if t in c.types and ok(c) and c.score >= 0.4 * best.score and (not focus or c.doc_key in focus)
        ]
        if cands:
            chosen.append(cands[0])
    # 3. close runners-up that add a concept or carry the asked-for kind of value; a unit of a
    #    section not cited yet must add more (every extra section is one more citation to check)
    covered = set().union(*(c.covered for c in chosen))
    for cand in pool:
        if len(chosen) >= limit:
            break
        if not ok(cand):
            continue
        gain = sum(weights.get(c, 0.0) for c in cand.covered - covered) / total
        same_section = any(cand.hit_index == c.hit_index for c in chosen)
        if same_section:
            take = cand.score >= SAME_SECTION_CLOSE * best.score and (cand.type_ok or not info.wants)
        else:
            take = (
                (gain >= NEW_SECTION_GAIN and cand.score >= NEW_SECTION_CLOSE * best.score)
                or (info.multi and gain >= 0.08 and cand.score >= 0.3 * best.score)
                or (cand.score >= NEAR_TIE * best.score and cand.type_ok and (gain > 0.0 or cand.counter_ok))
            )
        if not take:
            continue
        chosen.append(cand)
        covered |= cand.covered
    # present sections in rank order, units in document order
    chosen.sort(key=lambda c: (c.hit_index, c.unit.order))
    return chosen
