"""Does a read unit answer what the question asks for? For a question asking for a figure, a date or a
percentage (rag.answer.reader.answer_types kinds), the answer unit must hold a value of that kind (not
a heading or list number, and for a money question an amount, not a bare number) and name what is
measured when the question says it (従業員数 → 従業員, parameters → パラメータ). rag.answer.compose
puts such a unit first, or names the part as missing when no close unit qualifies — instead of
answering with a neighbouring figure of another kind or about another thing.

Measured on the dev sets only (eval/questions/dev.jsonl on 13 documents, dev-more.jsonl on 49).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rag.answer.counters import BOUNDS, JA_COUNTERS
from rag.answer.extractive import analyze
from rag.answer.extractive.question import loan_gloss
from rag.answer.reader import ReadUnit
from rag.answer.reader.answer_types import NUMERIC, compatible, nfkc, typed_spans
from rag.answer.reader.features import period_match, periods
from rag.answer.reader.question_kind import MONEY_ASKED, question_type
from rag.answer.reader.span import enumerators, in_product_name
from rag.answer.units import label_value
from rag.ingest import tokenize
from rag.ingest.japanese import tag
from rag.search.glossary import expand, matches

TYPED_SHARE = 0.5  # a unit of the asked kind is preferred when at least this share of the best unit
PERIOD_SHARE = 0.5  # a unit of the asked period is preferred when at least this share of the best unit
LABEL_SHARE = 0.7  # a "label: value" unit whose label names the asked thing, when this close to the best
STRICT_AMOUNT = True  # a money question needs an amount (currency or magnitude), not a bare number


def value_of_kind(u: ReadUnit, kinds: Sequence[str]) -> str | None:
    """The unit's span when it is of a kind the question asks for, else the first value in the unit of
    such a kind (not a heading, section or list number), else None. A question asking only for money is not
    answered by a bare number (a head count, a year)."""

    def ok(found: str) -> bool:
        if STRICT_AMOUNT and tuple(kinds) == ("amount",):
            return found == "amount"
        return any(compatible(k, found) for k in kinds)

    t = nfkc(u.text)
    if u.span_kind != "unit" and ok(u.span_kind) and not _rate_for_often(kinds, u.span_kind, t, nfkc(u.span or "")):
        return u.span
    # the source unit's kind: the unit scorer's units (scored_units.from_scored) carry it only there
    enum = enumerators(t, (u.unit.kind if u.unit is not None else u.kind) == "heading")
    for sp in typed_spans(t):
        # not a heading or list number, nor a value that starts with one ("9.2 顧客企業の…" is no 9.2 customers)
        if ok(sp.kind) and not any(a <= sp.start < b for a, b in enum) and not in_product_name(t, sp):
            if not _rate_for_often(kinds, sp.kind, t, sp.text, sp.start):
                return sp.text  # nor the number of a product name ("Microsoft 365 Copilot")
    return None


_RATE_BEFORE = re.compile(r"(?:年間|月間|週間|毎[日週月年]|\d*[日週月年]|あたり|当たり)\s*$")
_RATE_AFTER = re.compile(r"^\s*(?:[/／]|あたり|当たり|per\b|an? (?:day|week|month|year)\b)", re.I)


def _rate_for_often(kinds: Sequence[str], kind: str, text: str, value: str, start: int = -1) -> bool:
    """For "how often" (a frequency, else an interval: 8週間): a duration that is an amount of time per
    period (年間9,000時間, 600時間/年, 月20時間) says how much, not how often."""
    if not kinds or kinds[0] != "frequency" or kind != "duration":
        return False
    if re.match(r"(?:年間|月間|週間|毎)", value):
        return True
    at = start if start >= 0 else text.find(value)
    if at < 0:
        return False
    return bool(_RATE_BEFORE.search(text[:at]) or _RATE_AFTER.match(text[at + len(value) :]))


_PEOPLE = frozenset({"人", "名", "people", "persons", "employees", "staff", "workers", "members"})
_SAME_COUNTER = {"店舗": "店", "ヶ国": "国", "か国": "国", "カ国": "国", "か所": "所", "箇所": "所", "カ所": "所"}
_SAME_COUNTER |= {"ヶ所": "所", "名": "人", "才": "歳", "種類": "種"}
_VALUE_COUNTER = re.compile(rf"({JA_COUNTERS})\s*(?:{BOUNDS}|程度|前後|ほど|強|弱)?$")


def counter_clash(part: str, value: str) -> bool:
    """The question counts one thing and the value another: 「何名のスタッフ」 is not answered by 1,000件
    (success cases), "how many people" not by 500社. Only counters a value carries are compared (a bare
    number may count anything), and only people counters for English questions."""
    asked = question_type(part).counter
    found = _VALUE_COUNTER.search(nfkc(value).strip()) if value else None
    if not asked or not found:
        return False
    if asked in _PEOPLE:
        return found.group(1) not in ("人", "名")
    return not asked.isascii() and _SAME_COUNTER.get(asked, asked) != _SAME_COUNTER.get(found.group(1), found.group(1))


def answering_value(u: ReadUnit, part: str, kinds: Sequence[str], measure: Sequence[str] = ()) -> str | None:
    """The unit's value answering `part`: of the asked kind, in a unit naming what is measured (fits), and
    counting what the question counts (counter_clash); None when it has none."""
    v = value_of_kind(u, kinds)
    if v is None or not _names_measure(u, measure) or counter_clash(part, v):
        return None
    return v


def fits(u: ReadUnit, kinds: Sequence[str], measure: Sequence[str] = ()) -> bool:
    """A value of the asked kind, in a unit that names what is measured (when the question says it)."""
    return value_of_kind(u, kinds) is not None and _names_measure(u, measure)


def _names_measure(u: ReadUnit, measure: Sequence[str]) -> bool:
    if not measure:
        return True
    hay = nfkc(" ".join([u.text, *u.heading_path])).casefold()
    return any(m.casefold() in hay or _loan_in(m, hay) for m in measure)


def _loan_in(term: str, hay: str) -> bool:
    """A katakana loanword written in English in the unit: スター (star) in "121,000 stars"."""
    src = loan_gloss(term)
    return bool(src) and re.search(rf"\b{re.escape(src.casefold())}(?:s|es)?\b", hay) is not None


_JA_COUNTED = re.compile(rf"何\s*(?:{JA_COUNTERS})\s*の\s*([\u30a1-\u30fa\u30fc\u4e00-\u9fff]{{2,}})")
_JA_TOPIC = re.compile(r"(?:は|って)(?=\s*(?:何|いくら|いつ|どれ|どの|誰|どこ|[?？]|$))")
# "How much did (staff) attrition drop …?": what changed is the last word before the change verb
_EN_CHANGED = re.compile(
    r"\bhow much (?:did|does|has|have|had|will|was|is) (?:[\w'’\-]+ ){0,4}?([a-z][a-z\-]+) "
    r"(?:drop|fall|fell|rise|rose|grow|grew|increase|decrease|decline|improve|shrink|shrank|change)\b",
    re.I,
)
_EN_MEASURE = re.compile(
    r"\b(revenue|revenues|sales|profit|profits|income|earnings|valuation|share price|stock price)\b", re.I
)


# words that only name a kind of value (「投じる金額は」): the asked kind says as much; a unit need not repeat them
_KIND_WORDS = frozenset({"金額", "総額", "数値", "数字", "値", "数"})


def measure_terms(part: str) -> list[str]:
    """What a question asks to be measured, in the forms a document may use: the head noun before
    「は何…/はいくら/は？」 (従業員数 → 従業員, 純利益 → 利益, 企業評価額 → 評価); the counted or money
    word of an English question with its glossary forms (parameters → パラメータ, revenue → 売上).
    [] when the question does not say, or (English) when the glossary has no Japanese form for it."""
    q = nfkc(part)
    counted = _JA_COUNTED.search(q)
    if counted:
        return [counted.group(1)]  # 「何名のスタッフ」: the staff are counted
    m = _JA_TOPIC.search(q)
    if m and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", q):
        toks: list[str] = []
        for surface, _sp, feat in tag(q[: m.start()]):
            f = feat.split(",")
            if f[0] == "接尾辞" and toks:
                toks[-1] += surface
            elif f[0] in ("名詞", "接頭辞", "形状詞") and f[1] not in ("数詞", "固有名詞"):
                toks.append(surface)
            else:
                toks = []
        # a head that only names the kind of value (件数, 人数, 割合, 時期) says nothing about what is
        # counted: the noun before it does (顧客法務質問の件数 → 質問); money words (利益, 売上) do
        heads = [
            t
            for t in toks
            if len(t) >= 2
            and not re.fullmatch(r"[\dA-Za-z]+", t)
            and question_type(t + "は？", "ja").kind in ("other", "amount")
            and t not in _KIND_WORDS
        ]
        return heads[-1:]
    qt = question_type(q)
    word = qt.counter if qt.counter and qt.counter.isascii() else ""
    mm = _EN_MEASURE.search(q) if not word else None
    word = word or (mm.group(1).lower() if mm else "")
    ch = _EN_CHANGED.search(q) if not word else None
    word = word or (ch.group(1).lower() if ch else "")  # "How much did staff attrition drop…": attrition
    if not word:
        return []
    forms = [word] + ([word[:-1]] if word.endswith("s") else [])
    # the glossary phrase the word is part of ("annual recurring revenue" → ARR), else the word's own terms
    phrase = [terms for words, terms in matches(q) if word in words.split()]
    ja = [t for t in phrase[0] if not t.isascii() or t.isupper()] if phrase else []
    ja = ja or [t for w in forms for t in expand(w) if not t.isascii()]
    return list(dict.fromkeys(forms + ja)) if ja else []


# a change (a cut, a saving, a speed-up) is often a share or a multiple, even of a cost
_CHANGE_ASKED = re.compile(
    r"\b(?:cut|cuts|reduce[sd]?|reduction|reductions|save[sd]?|saving|savings|lower(?:ed|s)?|drop(?:ped|s)?|"
    r"decrease[sd]?|increase[sd]?|improve[sd]?|improvement|grow|grew|growth|speed-up|faster|cheaper)\b|削減|短縮|改善|増加|減少|向上",
    re.I,
)
_HOW_MUCH_TIME = re.compile(r"\bhow much (?:more |less |working |work |staff )?time\b", re.I)


def asked_kinds(part: str) -> list[str]:
    """The value kinds (figure, date, percentage…) a question part asks for; [] for names and others."""
    kinds = [k for k in question_type(part).kinds if k in NUMERIC]
    if _HOW_MUCH_TIME.search(part) and not re.search(r"%|percent|proportion|share", part, re.I):
        # "How much time do personal agents save on reading?": hours or a share of them (読解時間30～50%削減),
        # not a bare number ("2層エージェント戦略")
        return ["duration", "percent"]
    if kinds[:1] == ["duration"]:
        return ["duration"]  # "how many minutes a day…": a store count is no answer
    if kinds[:1] == ["amount"] and MONEY_ASKED.search(part) and not _CHANGE_ASKED.search(part):
        return ["amount"]  # "How much did it spend up front?": money, not the ROI percentage beside it
    # "how many …" also reads as a bare "number" question, which a percentage or an amount answers; a
    # count is asked (80%+ is no number of interactions)
    return [k for k in kinds if k != "number"] if "count" in kinds else kinds


def typed_first(part: str, units: Sequence[ReadUnit]) -> list[ReadUnit]:
    """For a question asking for a figure, a date or a percentage: the best unit holding a value of that
    kind first, when it is not much weaker than the reader's best (TYPED_SHARE); [] when no close unit
    holds one — the part is then missing rather than answered with a neighbouring value of another
    kind ("How many hotels…?" → a section number; "従業員数は何人？" → a book title)."""
    if not units:
        return []
    kinds = asked_kinds(part)
    if not kinds or units[0].answer_type not in NUMERIC:
        return list(units)
    measure = measure_terms(part)
    best = units[0].probability
    for u in units:
        if u.probability < TYPED_SHARE * best:
            break
        v = answering_value(u, part, kinds, measure)
        if v is not None:
            if u.span_kind == "unit" or not any(compatible(k, u.span_kind) for k in kinds):
                # the span model found no value in the unit; the value of the asked kind is the span
                u = replace(u, span=v, span_kind=_kind_of(v, kinds))
            return [u] + [x for x in units if x.text != u.text or x.heading_path != u.heading_path]
    return []


def _kind_of(value: str, kinds: Sequence[str]) -> str:
    found = [s.kind for s in typed_spans(value, names=False)]
    return next((f for f in found if any(compatible(k, f) for k in kinds)), kinds[0])


def asked_terms(part: str) -> set[str]:
    """What a question asks about, in every form the glossary gives (CEO → ceo, 最高経営責任者;
    customers → 顧客), casefolded; company names are left out (their concepts carry the entity weight)."""
    return {
        a.casefold()
        for c in analyze(part).concepts
        if not c.phrase and not c.number and c.weight < 4.0
        for a in c.alts
        if len(a) >= 2
    }


def _label(u: ReadUnit) -> str:
    if u.kind not in ("profile", "sentence", "bullet"):  # a row's "header: cell / …" is no label
        return ""
    head = label_value(u.text)[0]
    return head.casefold() if len(head) <= 30 else ""


def labelled_first(part: str, units: Sequence[ReadUnit]) -> list[ReadUnit]:
    """For a question not asking for a figure: a close unit written as "label: value" whose label names
    what is asked ("Who is Harvey's CEO?" → "CEO: Winston Weinberg") before the reader's best when that
    one's label names something else ("企業名: Counsel AI Corporation")."""
    if not units or asked_kinds(part):
        return list(units)
    terms = asked_terms(part)

    def named(u: ReadUnit) -> bool:
        lab = _label(u)
        return bool(lab) and any(t in lab for t in terms)

    if not terms or named(units[0]):
        return list(units)
    best = units[0].probability
    for u in units:
        if u.probability < LABEL_SHARE * best:
            break
        if named(u):
            return [u] + [x for x in units if x is not u]
    return list(units)


def widened(units: Sequence[ReadUnit], pool: Sequence[ReadUnit]) -> list[ReadUnit]:
    """`units`, then the units of `pool` not among them (by identity: a dataclass comparison of every
    field, pool against units, cost a part with 200 read units tens of thousands of comparisons)."""
    seen = {id(u) for u in units}
    return [*units, *(x for x in pool if id(x) not in seen)]


def _period(asked: frozenset[tuple[str, ...]], u: ReadUnit) -> float:
    return period_match(asked, u.text, " ".join(u.heading_path))


def period_first(part: str, units: Sequence[ReadUnit], pool: Sequence[ReadUnit] = ()) -> list[ReadUnit]:
    """For a question naming a period ("ARR in October 2025", "its Series F"): a close unit of that period
    before the best one when that one is of another period ("2024年3月: $35M") — the figure of another
    period is no answer to it (the reader's `period` feature weighs it, this makes it binding). `pool`: the
    units the reader read before the unit scorer's sections narrowed them (one of those may hold it)."""
    asked = periods(part)
    if not units or not asked or _period(asked, units[0]) == 1.0:
        return list(units)
    best = units[0].probability
    kinds, measure = asked_kinds(part), measure_terms(part)
    # a unit from the wider pool must hold the asked kind of value naming what is measured
    more = [x for x in widened(units, pool)[len(units) :] if kinds and fits(x, kinds, measure)]
    for u in sorted([*units, *more], key=lambda x: -x.probability):
        if u.probability < PERIOD_SHARE * best:
            break
        if _period(asked, u) == 1.0:
            return [u] + [x for x in units if x is not u]
    return list(units)


def other_period(part: str, u: ReadUnit) -> bool:
    """The unit (or, naming none, its section) states a period of the kind the question names and not the
    one it names: "What was HCA Healthcare's operating revenue in 2022?" was answered with the FY2024
    figure, "Best Buy's revenue in FY2024" with FY2023's (period_first found no close unit of the asked
    period; the figure of another period is no answer to it)."""
    asked = periods(part)
    return bool(asked) and _period(asked, u) == -1.0


def _digits(s: str) -> str:
    return re.sub(r"\D+", " ", nfkc(s or "")).strip()


def fullest_date_first(units: Sequence[ReadUnit], pool: Sequence[ReadUnit] = ()) -> list[ReadUnit]:
    """A date answer written without its year ("同年5月24日に…" → 5月24日): a close unit of `units` or
    `pool` stating the same day with its year ("時期: 2023年5月24日") comes first — the date in full is
    what was asked."""
    if not units or units[0].span_kind != "date" or not units[0].span:
        return list(units)
    b = units[0]
    short = _digits(b.span)
    if not short or re.search(r"(?:19|20)\d\d", short):
        return list(units)
    for u in widened(units, pool)[1:]:
        full = _digits(u.span or "")
        if (
            u.probability >= PERIOD_SHARE * b.probability
            and u.span_kind == "date"
            and full.endswith(" " + short)
            and re.match(r"(?:19|20)\d\d ", full)
        ):
            return [u] + [x for x in units if x is not u]
    return list(units)


_AFTER_VALUE = re.compile(rf"\s*(?:{BOUNDS}|程度|前後|強|\+)?\s*(?:の\s*)?")


def measured_span(part: str, u: ReadUnit) -> ReadUnit:
    """The value the unit writes beside what the question measures, when the reader's span is another
    value of the same sentence: 「ホテル数は？」 over "1,520以上のホテル、100カ国以上で展開" → 1,520以上, not
    100カ国以上 (both are counts; only one counts hotels); 「評価額は？」 over "Meta投資:143億ドル、評価額290億
    ドル" → 290億ドル."""
    measure = [m.casefold() for m in measure_terms(part) if m]
    kinds = asked_kinds(part)
    counter = question_type(part).counter
    if not measure or not kinds or not u.span or (counter and nfkc(u.span).endswith(counter)):
        return u  # a span that carries the asked counter (35言語 for 何言語) is the value asked for
    t = nfkc(u.text)

    def beside(sp: Any) -> bool:  # "1,520以上のホテル", "186の病院" / "評価額290億ドル", "評価額: $8B"
        rest = t[_AFTER_VALUE.match(t, sp.end).end() :].casefold()
        head = re.sub(r"[\s:：はが]*(?:約|推定|最大)?$", "", t[: sp.start]).casefold()
        return any(
            m in sp.text.casefold()
            or rest.startswith(m)
            or re.search(re.escape(m) + r"(?:額|数|率|量|高)?$", head)  # 評価 of "評価額$29B"
            for m in measure
        )

    spans = [sp for sp in typed_spans(t, names=False) if any(compatible(k, sp.kind) for k in kinds)]
    inside = [sp for sp in spans if sp.text in nfkc(u.span)]
    # the reader's span: one value (or a part of one); a span holding several values is narrowed
    own = [sp for sp in spans if nfkc(u.span) in sp.text] or (inside if len(inside) == 1 else [])
    if (not own and not inside) or any(beside(sp) for sp in own):
        return u
    same = (u.span_kind, *(sp.kind for sp in own))  # a value of the kind the reader chose: 90% stays a share
    other = next((sp for sp in spans if beside(sp) and any(compatible(k, sp.kind) for k in same)), None)
    if other is None:
        return u
    q = re.match(rf"\s*(?:{BOUNDS}|\+)", t[other.end :])  # "1,520以上": the qualifier stays with it
    return replace(u, span=other.text + (q.group(0).strip() if q else ""), span_kind=other.kind)


SCOPE_SHARE = 0.15  # a unit labelled with the asked scope (a total, a per-head figure) when this close to the best
_TOTAL_Q = re.compile(r"\b(?:total|overall|all told|in all|altogether|combined)\b|合計|総額|総計|累計|全体で", re.I)
_TOTAL_U = re.compile(r"(?:^|[:：/|]\s*)(?:総|合計|累計|total\b|overall\b|grand total\b)", re.I)
_PER_HEAD_Q = re.compile(
    r"\b(?:each|per|every|an? (?:average|typical))\s+(?:[A-Za-z][\w\-]*\s+){0,2}?(?:employee|person|user|staff|worker|"
    r"member|head|salesperson|engineer)s?\b|1人(?:当たり|あたり)|一人(?:当たり|あたり)|1名あたり|社員一人",
    re.I,
)
_PER_HEAD_U = re.compile(
    r"(?:1|一)\s*(?:人|名)\s*(?:当たり|あたり|当り)|per (?:employee|person|user|head|capita)|"
    # right after its value: $200–300/ユーザー・年 (not a cell separator " / ユーザー数: …")
    r"(?<=[0-9円ドル万億千MBKk])[/／](?:ユーザー?|人|名|社員|従業員|席|seat|user|person|employee)(?!数)",
    re.I,
)


def _scoped_first(
    part: str, units: Sequence[ReadUnit], pool: Sequence[ReadUnit], asked: re.Pattern[str], own: re.Pattern[str]
) -> list[ReadUnit]:
    kinds = asked_kinds(part)
    if not units or not kinds or not asked.search(part):
        return list(units)
    m0 = own.search(nfkc(units[0].text))
    if m0 and m0.group(0)[0] not in "/／":  # the best unit states it before its value: its span stands
        return list(units)
    best, measure = units[0].probability, measure_terms(part)
    for u in sorted(widened(units, pool), key=lambda x: -x.probability):
        if u.probability < SCOPE_SHARE * best:
            break
        t = nfkc(u.text)
        m = own.search(t)
        if m and fits(u, kinds, measure):
            # the first value of the asked kind after the scope word ("1人当たり月間削減 — 数値: 約5.5時間")
            ok = [sp for sp in typed_spans(t, names=False) if any(compatible(k, sp.kind) for k in kinds)]
            if m.group(0)[0] in "/／":  # the value just before "/ユーザー"
                after = [sp for sp in ok if m.start() - 2 <= sp.end <= m.start()]
            else:
                after = [sp for sp in ok if sp.start >= m.end()]
            v = after[-1 if m.group(0)[0] in "/／" else 0].text if after else value_of_kind(u, kinds)
            return [replace(u, span=v) if v and u.span != v else u] + [x for x in units if x is not u]
    return list(units)


def total_first(part: str, units: Sequence[ReadUnit], pool: Sequence[ReadUnit] = ()) -> list[ReadUnit]:
    """For a question asking for a total ("the estimated total price tag", "All told, how much…"): a unit
    that states the total ("総投資額: 135～205億円", a row "総投資規模 | 約4,000～6,000億円") before one of
    its items ("AI開発: 推定20～30億円"), when it holds the asked kind of value."""
    return _scoped_first(part, units, pool, _TOTAL_Q, _TOTAL_U)


def per_head_first(part: str, units: Sequence[ReadUnit], pool: Sequence[ReadUnit] = ()) -> list[ReadUnit]:
    """For a question asking per employee ("How many hours a month does AI save each MUFG employee?"): a unit
    that states the figure per head ("1人当たり月間削減: 約5.5時間") before the organisation's total
    ("月間削減時間: 約22万時間")."""
    return _scoped_first(part, units, pool, _PER_HEAD_Q, _PER_HEAD_U)


def _label_words(u: ReadUnit) -> list[str]:
    # words only: a period label ("2025年10月: $150M ARR") narrows nothing period_first does not weigh
    return [t.casefold() for t in tokenize(_label(u)) if len(t) >= 2 and not any(c.isdigit() for c in t)]


def plain_label_first(part: str, units: Sequence[ReadUnit]) -> list[ReadUnit]:
    """For a figure question: a close unit whose label says only what is asked ("年間売上: 約1,000億ドル" for
    "annual sales") before one whose label narrows it to something not asked ("Online sales: $8 billion")."""
    kinds = asked_kinds(part)
    if not units or not kinds or not _label_words(units[0]):
        return list(units)
    terms = asked_terms(part) | set(re.findall(r"[a-z0-9]+", part.casefold()))

    def plain(u: ReadUnit) -> bool:
        words = _label_words(u)
        return bool(words) and all(w in terms for w in words)

    if plain(units[0]):
        return list(units)
    best, measure = units[0].probability, measure_terms(part)
    for u in units[1:]:
        if u.probability < PERIOD_SHARE * best:
            break
        if plain(u) and fits(u, kinds, measure):
            return [u] + [x for x in units if x is not u]
    return list(units)
