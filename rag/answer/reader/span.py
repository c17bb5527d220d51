"""Typed span extraction inside a chosen unit.

    qi = reader_model.question_info(question, lang)
    got = extract_span(qi, unit)          # → SpanChoice(text, kind, prob) ; whole unit when nothing fits

Candidates of a unit:
  * typed values (rag.answer.reader.answer_types.typed_spans: amounts with currency/magnitude, counts with their
    counter, percentages, dates, durations, names);
  * noun phrases: maximal runs of fugashi nouns / prefixes / noun suffixes (the answer to "何…" is
    usually one); capitalised Latin word runs;
  * table rows: each cell, read with its column header.

Text units: a small logistic regression (SPAN_FEATURES, fitted on JSQuAD train articles by
eval/train_reader.py, stored under "span" in rag/answer/reader/weights.json) scores the candidates:
  type_match     the candidate is of the asked kind (amount/count/…/name)
  type_other     the question asks for a typed value and the candidate is not one
  in_question    share of the candidate's characters (bigrams) the question already contains
  near           closeness to the question's words in the unit (exp(-distance/8))
  left, right    character-bigram overlap between the candidate's left/right neighbourhood in the unit
                 and the interrogative's neighbourhood in the question (a Japanese question usually
                 keeps the sentence's wording around the asked part: 何季の一種 ↔ 雨季の一種)
  counter        the candidate ends with the counter the question asks with (何季 → 雨季, 何人 → 350人;
                 "how many stores" → 店舗 through the glossary)
  proper         the candidate holds a proper noun (fugashi) or is a capitalised Latin run
  quoted         the candidate is the whole of a 「」『』“” quotation
  log_len        log(1 + characters)
Table rows (_cell_choice): among the columns whose header the question names (English words via the
glossary), the cell holding a value of the asked kind; else the cell holding no value (非公開: the
document's own word that the figure is not given); else the row's only cell of that kind; else the
span scorer over the row text.
Before scoring (filter_candidates), candidates the question already contains are dropped, and a
question asking for a typed value keeps only values of a compatible kind (and, when it asks with a
counter, the values carrying it) — each rule only when something is left.
When the best candidate's probability is below the fitted threshold, the whole unit is the span.
`SpanChoice.alternatives` holds up to three further spans scoring at least half the best (for
questions with several parts: 総パラメータ数とアクティブパラメータ数).

Names for English askers: when the chosen name has a form in the other script right beside it in
parentheses ("Arthur Mensch（アルチュール・メンシュ）"), the Latin form is returned for lang "en"
and the form the document puts first otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from rag.answer.counters import BOUNDS
from rag.answer.reader.answer_types import ORDINAL_BEFORE, Span, compatible, nfkc, typed_spans
from rag.answer.reader.features import HEADER_MATCH, _typed, header_scores, kind_match, squash
from rag.answer.reader.model import WEIGHTS_FILE, load_weights_file
from rag.answer.reader.name_forms import name_variant, without_label
from rag.answer.reader.role_names import HONORIFIC, role_name
from rag.answer.units import Unit
from rag.ingest.japanese import loan_source, tag
from rag.search.glossary import expand

SPAN_FEATURES = (
    "type_match",
    "type_other",
    "in_question",
    "near",
    "left",
    "right",
    "counter",
    "proper",
    "quoted",
    "log_len",
)
CTX = 6  # characters of neighbourhood compared on each side


@dataclass(frozen=True)
class SpanChoice:
    text: str
    kind: str  # the span's kind (rag.answer.reader.answer_types.KINDS), "unit" when the whole unit is returned
    prob: float  # the span scorer's probability (1.0 for a table cell chosen by header, 0 for "unit")
    start: int = -1  # offsets in nfkc(unit.text); -1 for a table cell or the whole unit
    end: int = -1
    alternatives: tuple[str, ...] = ()  # other likely spans of the unit (a question with several parts)


# ----------------------------------------------------------------------------- candidates


@lru_cache(maxsize=20000)
def noun_runs(t: str) -> tuple[Span, ...]:
    """Runs of nominal words without spaces in `t`, "name" when one of them is a proper noun
    (三井 住友 フィナンシャル グループ)."""
    out: list[Span] = []
    pos = 0
    run: list[tuple[int, int, bool]] = []

    def flush() -> None:
        if run:
            a, b = run[0][0], run[-1][1]
            out.append(Span(a, b, "name" if any(p for _, _, p in run) else "other", t[a:b]))
        run.clear()

    try:
        words = tag(t)
    except Exception:  # noqa: BLE001
        return ()
    for surf, ws, feat in words:
        i = t.find(surf, pos)
        if i < 0:
            flush()
            continue
        f = feat.split(",")
        if ws or (i > pos and t[pos:i].strip()):
            flush()
        p1 = f[0]
        p2 = f[1] if len(f) > 1 else ""
        nominal = (
            p1 == "名詞"
            or p1 == "接頭辞"
            or (p1 == "接尾辞" and p2 in ("名詞的", "形状詞的"))
            or (p1 == "補助記号" and surf in "・" and run)
        )
        if nominal and not (surf.isascii() and not surf.isalnum()):
            run.append((i, i + len(surf), p2 == "固有名詞"))
        else:
            flush()
        pos = i + len(surf)
    flush()
    return tuple(s for s in out if s.text.strip("・"))


# the number of a numbered heading or list item ("## 7. Meeting…", "### 3.1 企業概要", "- 5. 2024年7月…"):
# an enumerator, never a value
_ENUM = re.compile(r"(?m)^\s*#+\s*(\d+(?:\.\d+)*)\.?(?=\s)|^[\s>*\-+]*(\d{1,2})[.)](?=\s)")


_SECTION_NO = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?(?=\s)")
# "ポイント2：…", "課題3：…", "項目1：…": the number of an item label, not a value
_ITEM_NO = re.compile(r"^\s*[\u30a0-\u30ff\u4e00-\u9fffA-Za-z]{1,8}?(\d{1,2})\s*[：:]")


def enumerators(t: str, heading: bool = False) -> list[tuple[int, int]]:
    """(start, end) offsets in `t` of heading / list-item numbers; `heading`: `t` is a heading's text
    without its #s, whose leading number ("7.1 既存課題") is its section number."""
    out = [m.span(1) if m.group(1) else m.span(2) for m in _ENUM.finditer(t)]
    m = _SECTION_NO.match(t) if heading else None
    if m and m.span(1) not in out:
        out.insert(0, m.span(1))
    m = _ITEM_NO.match(t)
    if m and m.span(1) not in out:
        out.insert(0, m.span(1))
    return out


def _inside(s: Span, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(a <= s.start and s.end <= b for a, b in ranges)


def in_product_name(t: str, s: Span) -> bool:
    """A bare number between two Latin words is part of a name ("Microsoft 365 Copilot"), not a value."""
    return (
        s.kind == "number"
        and re.search(r"[A-Za-z] $", t[max(0, s.start - 2) : s.start]) is not None
        and re.match(r" [A-Za-z]", t[s.end : s.end + 2]) is not None
    )


def _after_enumerator(t: str, s: Span, enum: Sequence[tuple[int, int]]) -> Span | None:
    """`s` without an enumerator it starts with ("3.1 LLM Suite" → "LLM Suite"); None when nothing is
    left. A noun run can swallow the section number in front of it: that number is never part of it."""
    for a, b in enum:
        if a <= s.start < b < s.end:
            start = b + len(t[b : s.end]) - len(t[b : s.end].lstrip(" .)\u3000"))
            return Span(start, s.end, s.kind, t[start : s.end]) if start < s.end else None
    return s


def candidates(text: str, heading: bool = False) -> list[Span]:
    """Typed spans and noun phrases of nfkc(text), deduplicated by offsets; enumerators left out
    (`heading`: the text is a heading's, whose leading number is its section number)."""
    t = nfkc(text)
    seen: dict[tuple[int, int], Span] = {}
    enum = enumerators(t, heading)
    for s in typed_spans(t):
        if not _inside(s, enum) and not any(a == s.start for a, _ in enum) and not in_product_name(t, s):
            seen.setdefault((s.start, s.end), s)
    values = [v for v in seen.values() if v.kind != "name"]
    latin = [v for v in seen.values() if v.kind == "name" and " " in v.text and v.text.isascii()]
    for s in noun_runs(t):
        if s.text.isascii() and any(v.start <= s.start and s.end <= v.end and v.text != s.text for v in latin):
            continue  # "Service" of "Azure OpenAI Service": a word of a longer Latin name is not a name
        s = _after_enumerator(t, s, enum)
        if s is None or _inside(s, enum):
            continue
        if any(v.start < s.end and s.start < v.end for v in values):
            continue  # a noun run cutting through a value ("100兆超" of "年間$100兆超") is no candidate
        if re.fullmatch(r"\d+", s.text) and ORDINAL_BEFORE.search(t, 0, s.start):
            continue  # "Phase 3": the stage's number
        seen.setdefault((s.start, s.end), s)
    return sorted(seen.values(), key=lambda s: (s.start, s.end))


_QUALIFIER = re.compile(rf"{BOUNDS}|強(?![いくさ化力調])|弱(?![いくさ化点])")


# ----------------------------------------------------------------------------- features


def _bigr(s: str) -> set[str]:
    s = re.sub(r"\s+", "", s).lower()
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _overlap(a: str, b: str) -> float:
    ba, bb = _bigr(a), _bigr(b)
    if not ba or not bb:
        return 0.0
    return len(ba & bb) / min(len(ba), len(bb))


@dataclass(frozen=True)
class _QView:
    text: str  # nfkc question
    left: str
    right: str
    counters: tuple[str, ...]
    kinds: tuple[str, ...]
    typed: bool
    bigr: frozenset[str]
    tokens: frozenset[str]


def _qview(qi: Any) -> _QView:
    q = nfkc(qi.text)
    qt = qi.qtype
    text = q if qi.lang == "ja" else q.lower()
    if qt.wh_start >= 0 and qi.lang == "ja":
        left, right = q[max(0, qt.wh_start - CTX) : qt.wh_start], q[qt.wh_end : qt.wh_end + CTX]
    else:
        left = right = ""
    return _QView(
        text, left, right, _counters(qt.counter, qi.lang), qt.kinds, qt.kind != "other", frozenset(_bigr(q)), qi.tokens
    )


@lru_cache(maxsize=4096)
def _counters(counter: str, lang: str) -> tuple[str, ...]:
    """The counter a question asks with: 何店舗 → (店舗,); "how many stores" → (store(s), 店舗 …) through
    the glossary."""
    if not counter:
        return ()
    if lang == "ja":
        return (counter,)
    out = [counter]
    if counter.endswith("ies"):
        out.append(counter[:-3] + "y")
    elif counter.endswith("s"):
        out.append(counter[:-1])
    try:
        for c in list(out):
            out += [t for t in expand(c) if len(t) <= 4]
    except Exception:  # noqa: BLE001
        pass
    return tuple(dict.fromkeys(out))


_AFTER_WORDS = re.compile(r"[^\s、。,;:：/（）()]+")


def _counter_match(qv: _QView, s: Span, text: str = "") -> bool:
    """The span carries the asked counter: written on it (1,100店舗), or, for an English counter word,
    among the three words after it in `text` ("3,072 NVIDIA H100 GPU" for "how many GPUs")."""
    if not qv.counters:
        return False
    t = s.text.rstrip().lower()
    if any(t.endswith(c.lower()) for c in qv.counters):
        return True
    if not text or s.end <= 0:
        return False
    after = re.split(r"[、。,;:：/（）()]", nfkc(text)[s.end : s.end + 40].lower(), maxsplit=1)[0]
    latin = [c.lower() for c in qv.counters if c.isascii()]
    if any(w in latin for w in _AFTER_WORDS.findall(after)[:3]):
        return True
    # a Japanese word for an English counter a few characters on: "2.3M件の顧客対話" (conversations)
    return any(c in after[:8] for c in qv.counters if not c.isascii() and len(c) >= 2)


@lru_cache(maxsize=1024)
def _en_words(question: str) -> frozenset[str]:
    ws = re.findall(r"[a-z][a-z\-]+", nfkc(question).lower())
    return frozenset(ws + [w[:-1] for w in ws if w.endswith("s")])


def _loan_echo(text: str, words: frozenset[str]) -> bool:
    """A katakana candidate made only of loanwords the English question says: コンテキストウィンドウ for
    "what context window …?" names what is asked, not the answer."""
    if not words or not re.fullmatch(r"[\u30a1-\u30fa\u30fc・]+", text):
        return False
    sources = _loan_sources(text)
    return bool(sources) and all(src is not None and src in words for src in sources)


@lru_cache(maxsize=4096)
def _loan_sources(text: str) -> tuple[str | None, ...]:
    """The English source word of each word of a katakana text (None for a word that is no loanword)."""
    return tuple(loan_source(f) for s, _sp, f in tag(text) if s.strip("・"))


_WHO = re.compile(
    r"^\s*(?:who|whom|whose)\b|\bwho (?:is|was|are|were|founded|leads|led|runs|heads)\b|誰|だれ|どなた", re.I
)


def _quoted(text: str, c: Span) -> bool:
    """The span is written inside quotation brackets (「…」, 『…』, “…”)."""
    t = nfkc(text)
    return 0 < c.start and c.end < len(t) and t[c.start - 1] in '「『“"' and t[c.end] in '」』”"'


def filter_candidates(qi: Any, cands: Sequence[Span], text: str = "") -> list[Span]:
    """Hard preferences applied before scoring (each only when it leaves something): a candidate the
    question already contains is dropped; a question asking for a typed value keeps the values of a
    compatible kind; one asking with a counter (何言語, how many stores) keeps the values with it."""

    qv = _qview(qi)
    words = _en_words(qi.text) if qi.lang == "en" else frozenset()
    out = [
        c for c in cands if not (squash(c.text) and squash(c.text) in qi.squashed) and not _loan_echo(c.text, words)
    ] or list(cands)
    if _WHO.search(qi.text) and text:  # a person is not written in quotes: 「…」 is a title, slogan or saying
        t = nfkc(text)
        out = [c for c in out if not _quoted(t, c)] or out
        out = [c for c in out if HONORIFIC.match(t[c.end :])] or out  # 「Aravind Srinivas氏」: a person
    if qv.typed:
        typed = [c for c in out if any(compatible(k, c.kind) for k in qv.kinds)]
        out = typed or out
        counted = [c for c in out if _counter_match(qv, c, text)]
        out = counted or out
    return out


def span_features(qi: Any, text: str, cands: Sequence[Span]) -> np.ndarray:
    """Feature rows (SPAN_FEATURES order) of the candidate spans of one unit."""

    qv = _qview(qi)
    t = nfkc(text)
    # where the question's words occur in the unit
    marks: list[tuple[int, int]] = []
    for tok in qv.tokens:
        if len(tok) < 2 and not tok.isdigit():
            continue
        for m in re.finditer(re.escape(tok), t.lower() if tok.isascii() else t):
            marks.append((m.start(), m.end()))
    X = np.zeros((len(cands), len(SPAN_FEATURES)))
    for i, s in enumerate(cands):
        tm = any(compatible(k, s.kind) for k in qv.kinds) if qv.typed else False
        b = _bigr(s.text)
        inq = (len(b & qv.bigr) / len(b)) if b else float(s.text in qv.text)
        if marks:
            d = (
                min(max(0, a - s.end, s.start - e) for a, e in marks if not (a >= s.start and e <= s.end))
                if any(not (a >= s.start and e <= s.end) for a, e in marks)
                else 50
            )
        else:
            d = 50
        left = _overlap(t[max(0, s.start - CTX) : s.start], qv.left) if qv.left else 0.0
        right = _overlap(t[s.end : s.end + CTX], qv.right) if qv.right else 0.0
        counter = float(_counter_match(qv, s, t))
        proper = float(s.kind == "name")
        quoted = float(_quoted(t, s))
        X[i] = (
            float(tm),
            float(qv.typed and not tm),
            inq,
            math.exp(-d / 8.0),
            left,
            right,
            counter,
            proper,
            quoted,
            math.log1p(len(s.text)),
        )
    return X


# ----------------------------------------------------------------------------- choice


def _cell_choice(qi: Any, unit: Unit) -> SpanChoice | None:
    """A table row: among the columns whose header the question names (rag.answer.reader.features.header_scores),
    the cell holding a value of the (first) asked kind; else the cell holding no value at all (非公開: the
    document's own word that the figure is not given); else the row's only cell of that kind."""

    if not unit.header or len(unit.header) != len(unit.cells):
        return None
    kind = qi.qtype.kind
    hs = header_scores(qi, unit.header)
    usable = [bool(c) and not (squash(c) and squash(c) in qi.squashed) for c in unit.cells]
    matched = sorted((j for j, h in enumerate(hs) if h >= HEADER_MATCH and usable[j]), key=lambda j: -hs[j])
    pick = None
    if kind == "other":
        pick = matched[0] if matched else None
    else:
        pick = next((j for j in matched if kind_match(qi, unit.cells[j], kind)), None)
        if pick is None:
            pick = next((j for j in matched if not _typed(unit.cells[j])), None)
        if pick is None:
            ok = [j for j, c in enumerate(unit.cells) if usable[j] and kind_match(qi, c, kind)]
            pick = ok[0] if len(ok) == 1 else None
    if pick is None:
        return None
    cell = unit.cells[pick]
    spans = [s for s in typed_spans(cell) if compatible(kind, s.kind)]
    if kind == "name" and spans:
        cell = name_variant(unit.cells[pick], spans[0], qi.lang)
    elif kind == "frequency" and spans:
        cell = spans[0].text  # 「毎日のリアルタイムモデル再学習」: how often is 毎日, the rest says what is done
    return SpanChoice(cell, spans[0].kind if spans else "cell", 1.0)


def extract_span(qi: Any, unit: Unit, model: Any = None) -> SpanChoice:
    """The answer span inside `unit` (see the module docstring)."""
    if unit.kind == "row":
        got = _cell_choice(qi, unit)
        if got is not None:
            return got
    text = unit.text
    if unit.kind == "profile" and ":" in text:
        label, value = text.split(":", 1)
        off = len(nfkc(label)) + 1
        sub = value
    else:
        off, sub = 0, text
    cands = filter_candidates(qi, candidates(sub, unit.kind == "heading"), sub)
    if not cands:
        return SpanChoice(text, "unit", 0.0)
    m = model or load_span_model()
    X = span_features(qi, sub, cands)
    z = (X - m["mean"]) / m["scale"] @ m["w"] + m["b"]
    p = 0.5 * (1.0 + np.tanh(0.5 * z))
    order = np.argsort(-p, kind="stable")
    i = int(order[0])
    if p[i] < m["threshold"]:
        return SpanChoice(text, "unit", float(p[i]))

    def shown(s: Span) -> str:
        return without_label(name_variant(sub, s, qi.lang), qi.tokens) if s.kind == "name" else s.text

    s = cands[i]
    if qi.qtype.kind == "name":  # the name next to the asked role word (rag.answer.reader.role_names)
        s = role_name(qi.tokens, sub, cands, p) or s
    t = nfkc(sub)
    if s.kind != "name" and s.kind != "date" and t[s.end : s.end + 1] == "+" and not t[s.end + 1 : s.end + 2].isdigit():
        s = Span(s.start, s.end + 1, s.kind, s.text + "+")  # "30+", "$40B+": the value as written ("or more")
    q = _QUALIFIER.match(t, s.end) if s.kind not in ("name", "other", "cell") else None
    if q:  # "年間$100兆超", "350名以上": the qualifier after the value is part of what the document says
        s = Span(s.start, q.end(), s.kind, t[s.start : q.end()])
    alts = tuple(
        dict.fromkeys(
            shown(cands[j])
            for j in order[1:4]
            if p[j] >= max(m["threshold"], 0.5 * p[i]) and shown(cands[j]) != shown(s)
        )
    )
    return SpanChoice(shown(s), s.kind, float(p[i]), s.start + off, s.end + off, alts)


_span_model: dict[str, Any] = {}


def load_span_model(path: Any = None) -> dict[str, Any]:
    key = str(path or WEIGHTS_FILE)
    got = _span_model.get(key)
    if got is None:
        d = load_weights_file(path)["span"]
        got = _span_model[key] = {
            "mean": np.asarray(d["mean"]),
            "scale": np.asarray(d["scale"]),
            "w": np.asarray(d["weights"]),
            "b": float(d["bias"]),
            "threshold": float(d.get("threshold", 0.0)),
        }
    return got
