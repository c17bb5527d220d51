"""The reader's unit features: one row of numbers per (question, candidate unit) for the unit scorer.

    qi = question_info(question, lang)
    X = features(qi, qvec, cands, unit_vecs)           # (n_units, len(FEATURES)) float64
    model = load_model()                              # rag/answer/reader/weights.json
    p = model.predict(X)                               # P(unit carries the answer)

Features (one row per candidate unit; candidates = every unit of the top sections):
  cos, cos_gap     e5 cosine between "query: question" and "passage: unit", and its gap to the best
                   candidate's cosine (e5 cosines are compressed; the gap says more than the value)
  lex, lex_gap     idf-weighted share of the question's content tokens (rag.japanese.tokenize) found in
                   the unit, and its gap to the best; for an English question each glossary word counts
                   once, found when one of its Japanese alternatives is whole in the unit (structured
                   query translation): 最高科学責任者 (CSO) holds 最高 and 責任 of CEO's 最高経営責任者, and
                   with flat tokens it outscored "Arthur Mensch（CEO・共同創業者）" for "Who is the CEO…?"
  bigram           the same over character bigrams (matches across segmentation differences)
  head             idf-weighted share of question tokens found only in the section's title / heading
                   path / lead-in line (context that the unit itself does not repeat)
  type_match       the question asks for a typed value (amount, count, percentage, date, duration,
                   quantity, name: rag.answer.reader.answer_types) and the unit holds one that the question does not
                   (a table row: in the columns whose header the question names, when there are such)
  type_miss        it asks for one and the unit holds none
  type_near        exp(-gap/8): how close such a value sits to the question's words in the unit
  rank             1 / (1 + rank of the unit's section in retrieval)
  log_len          log(1 + characters) of the unit
  kind_*           bullet / row / profile / heading (sentence is the reference)
  row_cell         a table row whose column named by the question (header_scores) holds a value of the
                   asked kind (+1) or holds no value at all (-1: 非公開, —); 0 otherwise
  en_cos_gap, en_lex_gap   cos_gap and lex_gap again for English questions (0 for Japanese ones): an
                   English question meets Japanese text through e5 and the glossary only
  period           the question names a period (a year, a month of a year, a funding round: "in
                   October 2025", "2024年の", "Series F") and the unit — or, when it names none, its
                   heading path — holds all of them (+1) or only other periods of those kinds (-1)
Unit tokens include the English source words of katakana loanwords (unidic lemmas), so English
question words meet them.
The idf is computed over the candidate units of the question themselves (a unit is a document), so
the features mean the same on JSQuAD paragraphs and on a case library, and need no index.
The scorer over these rows is rag.answer.reader.model (weights fitted by eval/train_reader.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.answer.reader.answer_types import compatible, nfkc, typed_spans
from rag.answer.reader.question_kind import QType, question_type
from rag.answer.units import Unit
from rag.ingest import char_bigrams, detect_language, tokenize
from rag.ingest.japanese import loan_source, tag
from rag.search.glossary import expand_groups

KIND_FEATURES = ("kind_bullet", "kind_row", "kind_profile", "kind_heading")
DENSE_FEATURES = ("cos", "cos_gap")
EN_FEATURES = ("en_cos_gap", "en_lex_gap")
FEATURES = (
    DENSE_FEATURES
    + ("lex", "lex_gap", "bigram", "head", "type_match", "type_miss", "type_near", "rank", "log_len")
    + KIND_FEATURES
    + ("row_cell",)
    + EN_FEATURES
    + ("period",)
)


# ----------------------------------------------------------------------------- text pieces


@lru_cache(maxsize=50000)
def content_tokens(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


@lru_cache(maxsize=50000)
def loan_glosses(text: str) -> frozenset[str]:
    """English source words of the katakana loanwords in `text` (unidic lemma "リテンション-retention")."""

    out = set()
    try:
        words = tag(nfkc(text))
    except Exception:  # noqa: BLE001
        return frozenset()
    for _surf, _ws, feat in words:
        g = loan_source(feat)
        if g:
            out.add(g)
    return frozenset(out)


@lru_cache(maxsize=50000)
def unit_tokens(text: str) -> frozenset[str]:
    """content_tokens plus the English glosses of the text's loanwords ("strategy" meets ストラテジー)."""
    return content_tokens(text) | loan_glosses(text)


def _en_forms(tok: str) -> set[str]:
    out = {tok}
    if tok.isascii() and tok.isalpha() and len(tok) > 3:
        if tok.endswith("ies"):
            out.add(tok[:-3] + "y")
        elif tok.endswith("s") and not tok.endswith("ss"):
            out.add(tok[:-1])
    return out


@lru_cache(maxsize=50000)
def bigrams(text: str) -> frozenset[str]:
    return frozenset(b for b in char_bigrams(text) if len(b) == 2)


@lru_cache(maxsize=100000)
def squash(s: str) -> str:
    return re.sub(r"[\W_]+", "", nfkc(s).casefold())


@lru_cache(maxsize=50000)
def _typed(text: str) -> tuple[tuple[str, str, int, int], ...]:
    """(kind, squashed text, start, end) of the typed spans of nfkc(text)."""
    return tuple((s.kind, squash(s.text), s.start, s.end) for s in typed_spans(nfkc(text)))


_WH_TOKENS = frozenset(
    """何 なに なん 誰 だれ どなた どこ いつ いくら いくつ どれ どの どんな どう 如何 くらい ぐらい
程度 what which who whom whose when where why how much many long""".split()
)


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    lang: str
    tokens: frozenset[str]  # content tokens (+ glossary terms for English), interrogatives removed
    bigrams: frozenset[str]
    qtype: QType
    squashed: str  # squash(text), for "the question already says it" checks (see _question_squashed)
    # English questions: the question's own content tokens, and per glossary word the token sets of
    # its Japanese alternatives ("ceo" → {CEO}, {最高, 経営, 責任}); see _lex_share
    own: frozenset[str] = frozenset()
    concepts: tuple[tuple[frozenset[str], ...], ...] = ()


def _question_squashed(question: str) -> str:
    """squash(question), and again without English possessives after a space: "Hugging Face's Enterprise
    Hub" states the name "Hugging Face Enterprise Hub" (a space never occurs in a squashed value, so no
    match straddles the two)."""
    plain = squash(question)
    bare = squash(re.sub(r"(?<=\w)['’]s\b", "", question))
    return plain if bare == plain else f"{plain} {bare}"


def question_info(question: str, lang: str | None = None) -> QuestionInfo:
    lang = lang or detect_language(question)
    toks = set(content_tokens(question)) - _WH_TOKENS
    own: frozenset[str] = frozenset()
    concepts: tuple[tuple[frozenset[str], ...], ...] = ()
    if lang == "en":
        toks = {f for t in toks for f in _en_forms(t)}
        own = frozenset(toks)
        try:
            groups = (tuple(a for a in (content_tokens(t) for t in g) if a) for g in expand_groups(question))
            concepts = tuple(alts for alts in groups if alts)
        except Exception:  # noqa: BLE001 — no glossary: the question's own words
            pass
        toks |= {t for alts in concepts for a in alts for t in a}  # the glossary terms' tokens
    wh_free = re.sub(r"何|なに|誰|だれ|どこ|いつ|いくら|いくつ|どれ|どの|どんな", " ", nfkc(question))
    return QuestionInfo(
        question,
        lang,
        frozenset(toks),
        bigrams(wh_free),
        question_type(question, lang),
        _question_squashed(question),
        own,
        concepts,
    )


@dataclass
class Candidate:
    """One unit of one retrieved section."""

    unit: Unit
    section: int  # index of the section among the hits
    rank: int  # retrieval rank of the section (0 = best)
    context: str  # title, heading path and lead-in line of the unit


# ----------------------------------------------------------------------------- features


def _idf(docs: Sequence[frozenset[str]], terms: frozenset[str]) -> dict[str, float]:
    n = len(docs)
    out = {}
    for t in sorted(terms):  # a fixed order: float sums do not depend on the hash seed
        df = sum(1 for d in docs if t in d)
        out[t] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
    return out


def _share(weights: dict[str, float], found: frozenset[str] | set[str]) -> float:
    tot = sum(weights.values())
    if tot <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in found) / tot  # weights is built in sorted order


def _lex_share(qi: QuestionInfo, idf: dict[str, float], found: frozenset[str] | set[str]) -> float:
    """`_share` of the question's tokens found in a unit; for an English question with glossary words,
    each such word counts once, found when one of its alternatives is whole in the unit: 最高 and 責任
    of 最高科学責任者 (CSO) are no half of CEO's 最高経営責任者."""
    if not qi.concepts:
        return _share(idf, found)
    tot = got = 0.0
    for t in sorted(qi.own):
        w = idf.get(t, 0.0)
        tot += w
        got += w if t in found else 0.0
    for alts in qi.concepts:
        w = max(sum(idf.get(t, 0.0) for t in a) / len(a) for a in alts)
        tot += w
        got += w if any(a <= found for a in alts) else 0.0
    return got / tot if tot > 0 else 0.0


def type_match(qi: QuestionInfo, text: str) -> bool:
    """The unit holds a value of the asked kind that the question does not already state."""
    kinds = qi.qtype.kinds
    if kinds == ("other",):
        return False
    for kind, sq, _a, _b in _typed(text):
        if sq and sq in qi.squashed or not any(compatible(k, kind) for k in kinds):
            continue
        return True
    return False


def _marks(qi: QuestionInfo, t: str) -> list[tuple[int, int]]:
    """Where the question's tokens occur in nfkc text `t`."""
    out = []
    low = t.lower()
    for tok in qi.tokens:
        if len(tok) < 2 and not tok.isdigit():
            continue
        for m in re.finditer(re.escape(tok), low if tok.isascii() else t):
            out.append((m.start(), m.end()))
    return out


def type_near(qi: QuestionInfo, text: str) -> float:
    """How close a value of the asked kind sits to the question's words in the unit: exp(-gap/8) for the
    closest such value (0 when the question asks for no typed value or the unit has none). A name
    headed by one of the question's words ("CEO Sebastian Siemiatkowski" for "Who is Klarna's CEO?")
    sits at gap 0: the label is written against the value."""
    kinds = qi.qtype.kinds
    if kinds == ("other",):
        return 0.0
    t = nfkc(text)
    marks = _marks(qi, t)
    if not marks:
        return 0.0
    best = 0.0
    for kind, sq, start, end in _typed(text):
        if sq and sq in qi.squashed or not any(compatible(k, kind) for k in kinds):
            continue
        outside = [max(0, a - end, start - e) for a, e in marks if not (a >= start and e <= end)]
        if kind == "name" and any(a == start and e < end for a, e in marks):
            outside.append(0)  # the question's word heads the name: "CEO Sebastian Siemiatkowski"
        if outside:
            best = max(best, math.exp(-min(outside) / 8.0))
    return best


_MONTH_NUM = {
    m: i + 1
    for i, names in enumerate(
        zip(
            "january february march april may june july august september october november december".split(),
            "jan feb mar apr may jun jul aug sep oct nov dec".split(),
        )
    )
    for m in names
}
_YEAR = r"(?:19|20)\d\d"
_PERIOD_RE = re.compile(
    rf"(?P<jy>{_YEAR})\s*年\s*(?:(?P<jm>\d{{1,2}})\s*月)?"
    rf"|(?P<ey>{_YEAR})[-/](?P<em>\d{{1,2}})(?!\d)"
    rf"|(?P<mon>(?i:{'|'.join(_MONTH_NUM)}))\.?\s+(?:\d{{1,2}},?\s+)?(?P<my>{_YEAR})"
    # an extension of a round is a round of its own: 「$100M (Series D追加)」 is not the Series D
    rf"|(?:Series|シリーズ)\s*(?P<round>[A-J])(?P<ext>\s*(?:追加|延長|拡張|エクステンション|[Ee]xtension))?(?![A-Za-z0-9])"
    rf"|(?<![\d.])(?P<y>{_YEAR})(?![\d.%])"
)


_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年?\s*[-~〜～–]\s*((?:19|20)\d\d)(?!\d)")
_MONTH_RANGE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*[-~〜～–]\s*(\d{1,2})\s*月")


@lru_cache(maxsize=50000)
def periods(text: str) -> frozenset[tuple[str, ...]]:
    """The periods `text` names: ("y", "2025"), ("ym", "2025", "10"), ("round", "F")."""
    out: set[tuple[str, ...]] = set()
    for m in _PERIOD_RE.finditer(nfkc(text)):
        g = m.groupdict()
        year = g["jy"] or g["ey"] or g["my"] or g["y"]
        month = g["jm"] or g["em"] or (str(_MONTH_NUM[g["mon"].lower()]) if g["mon"] else None)
        if g["round"]:
            out.add(("round", g["round"] + ("+" if g["ext"] else "")))
        elif year:
            out.add(("y", year))
            if month and 1 <= int(month) <= 12:
                out.add(("ym", year, str(int(month))))
    for m in _YEAR_RANGE.finditer(nfkc(text)):  # （2020-2023）: every year of it (2021 is in it)
        a, b = int(m.group(1)), int(m.group(2))
        if a < b <= a + 10:
            out |= {("y", str(y)) for y in range(a, b + 1)}
    for m in _MONTH_RANGE.finditer(nfkc(text)):  # 2024年4月～6月: April, May and June of 2024
        a, b = int(m.group(2)), int(m.group(3))
        if 1 <= a < b <= 12:
            out |= {("ym", m.group(1), str(x)) for x in range(a, b + 1)}
    return frozenset(out)


def period_match(asked: frozenset[tuple[str, ...]], text: str, context: str = "") -> float:
    """+1 when the unit (or, when it names no period, its context) holds every asked period, -1 when it
    holds periods of the asked kinds but none of the asked ones, 0 otherwise (see the module docstring)."""
    if not asked:
        return 0.0
    have = periods(text) or periods(context)
    kinds = {p[0] for p in asked}
    same = {p for p in have if p[0] in kinds}
    if not same:
        return 0.0
    if asked <= have:
        return 1.0
    return -1.0 if not (asked & have) else 0.0


def header_scores(qi: QuestionInfo, header: Sequence[str]) -> list[float]:
    """How well each column header matches the question: share of the header's tokens among the question's
    (English questions: through the glossary) plus half the character-bigram overlap (Japanese)."""
    out = []
    qb = qi.bigrams
    for h in header:
        ht = unit_tokens(h)
        s = len(ht & qi.tokens) / len(ht) if ht else 0.0
        if qi.lang == "ja":
            hb = bigrams(h)
            s += 0.5 * (len(hb & qb) / len(hb) if hb else 0.0)
        out.append(s)
    return out


def kind_match(qi: QuestionInfo, text: str, kind: str) -> bool:
    """`text` holds a value compatible with `kind` that the question does not already state."""
    return any(not (sq and sq in qi.squashed) and compatible(kind, k) for k, sq, _a, _b in _typed(text))


HEADER_MATCH = 0.5  # header_scores at or above this: the column is the one the question names


def row_cell(qi: QuestionInfo, u: Unit) -> float:
    """A table row, for a question asking for a typed value: +1 when a column whose header matches the
    question holds a value of the (first) asked kind, -1 when none does and one of them holds no value
    at all (非公開, —: the table says the figure is not given), 0 otherwise."""
    if u.kind != "row" or not u.header or len(u.header) != len(u.cells) or qi.qtype.kind == "other":
        return 0.0
    hs = header_scores(qi, u.header)
    matched = [j for j, h in enumerate(hs) if h >= HEADER_MATCH]
    if not matched:
        return 0.0
    if any(kind_match(qi, u.cells[j], qi.qtype.kind) for j in matched):
        return 1.0
    if any(not _typed(u.cells[j]) for j in matched):
        return -1.0
    return 0.0


def value_text(qi: QuestionInfo, u: Unit) -> str:
    """Where a unit's answer value must be: for a table row whose header names what the question asks
    (header_scores), only those columns ("評価額: 非公開" holds no amount even if the row's other cells
    do); the unit's text otherwise."""
    if u.kind != "row" or not u.header or len(u.header) != len(u.cells):
        return u.text
    hs = header_scores(qi, u.header)
    matched = [j for j, h in enumerate(hs) if h >= HEADER_MATCH]
    if not matched:
        return u.text
    return " / ".join(f"{u.header[j]}: {u.cells[j]}" for j in matched)


def features(
    qi: QuestionInfo, qvec: np.ndarray | None, cands: Sequence[Candidate], unit_vecs: np.ndarray | None
) -> np.ndarray:
    """Feature rows (in FEATURES order) of the candidates of one question."""
    n = len(cands)
    X = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return X
    col = {f: i for i, f in enumerate(FEATURES)}
    asked = periods(qi.text)
    utoks = [unit_tokens(c.unit.text) for c in cands]
    ubig = [bigrams(c.unit.text) for c in cands]
    idf_t = _idf(utoks, qi.tokens)
    idf_b = _idf(ubig, qi.bigrams)
    if qvec is not None and unit_vecs is not None and len(unit_vecs) == n:
        cos = unit_vecs @ qvec
        X[:, col["cos"]] = cos
        X[:, col["cos_gap"]] = cos - cos.max()
    for i, c in enumerate(cands):
        u = c.unit
        X[i, col["lex"]] = _lex_share(qi, idf_t, utoks[i])
        X[i, col["bigram"]] = _share(idf_b, ubig[i])
        ctx = unit_tokens(c.context) if c.context else frozenset()
        X[i, col["head"]] = _lex_share(qi, idf_t, ctx - utoks[i])
        typed = qi.qtype.kind != "other"
        vt = value_text(qi, u) if typed else u.text
        if vt is u.text:
            tm = type_match(qi, vt) if typed else False
        else:  # the named columns of a row: a value of the first asked kind
            tm = kind_match(qi, vt, qi.qtype.kind)
        X[i, col["type_match"]] = float(tm)
        X[i, col["type_miss"]] = float(typed and not tm)
        X[i, col["type_near"]] = type_near(qi, vt) if tm else 0.0
        X[i, col["rank"]] = 1.0 / (1.0 + c.rank)
        X[i, col["log_len"]] = math.log1p(len(u.text))
        k = f"kind_{u.kind}"
        if k in col:
            X[i, col[k]] = 1.0
        X[i, col["row_cell"]] = row_cell(qi, u)
        X[i, col["period"]] = period_match(asked, u.text, c.context)
    X[:, col["lex_gap"]] = X[:, col["lex"]] - X[:, col["lex"]].max()
    if qi.lang == "en":
        X[:, col["en_cos_gap"]] = X[:, col["cos_gap"]]
        X[:, col["en_lex_gap"]] = X[:, col["lex_gap"]]
    return X
