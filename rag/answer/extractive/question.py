"""Question analysis (`analyze` → `QuestionInfo`): language, idf-weighted content concepts
(English words matched with their Japanese glossary terms and katakana loanwords, Japanese
compounds, multi-word names), the companies it names, its numbers, what kind of value it asks for
(an amount / count / percentage, a date, a name), the counter it expects, and whether it asks for
several things or for the latest value. Also the patterns that recognise those kinds of values in
a text."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rag.answer.counters import JA_COUNTERS
from rag.answer.extractive.companies import doc_names, find_companies
from rag.answer.extractive.text import _jp, fold, nfkc, squash, toks
from rag.answer.value_text import MONTH_RE, MONTHS, month_no
from rag.search import glossary as g
from rag.search import snapshot_index

_Q_STOP = frozenset(
    """many much what which who whom when where how does did do is are was were get got give gave
    make made put take took use used using have has had can could will would should there their
    they its it this that these those please tell about also each both respectively compare
    いくら いくつ 何 どれ どの どこ 誰 だれ いつ どれだけ どれくらい どのくらい 教える 知る 言う それぞれ
    場合 比べる 比較 的 について 名前 名称
    every each all only first new next run runs running called call report reports reported led lead leads
    hit hits go goes going went become became want wants wanted aim aims plan plans planned able since
    最新 現在 latest current currently
    after before over under between among versus give gives given offer offers offering start started
    starting make makes total kind type way ways thing things currently now today latest""".split()
)
_MULTI = re.compile(
    r"それぞれ|比べ|比較|から.*まで|から.*に|と.*の(?:両方|違い)|(?<![a-z])(compare|compared|versus|vs|both|respectively|"
    r"or|and (?:what|who|how|when|where|which|at what|its|their))(?![a-z])"
)
_QWORD_IN = re.compile(r"いくら|いくつ|何|どれ|どの|誰|いつ|どこ")
_GENERIC_WEAK = frozenset("数 年 月 日 額 率 人 名 社 件 回 時間 割合 企業 会社 company companies firm".split())

_COUNTER_JA = re.compile(
    r"何\s*(時間|人|名|分|秒|日|週間|週|ヶ月|か月|カ月|ヵ月|年|回|件|個|店舗|店|種類|言語|ページ|倍|[%％]|項目|社|台|枚|ドル|円|億|万|品目|チップ|基|モデル|点)"
)
# "how many X": units of time and words for people; any other X goes through the glossary (_noun_counters)
_EN_COUNTERS: dict[str, tuple[str, ...]] = {
    "hour": ("時間", "hour"),
    "minute": ("分", "minute"),
    "second": ("秒", "second"),
    "day": ("日", "day"),
    "week": ("週間", "週", "week"),
    "month": ("ヶ月", "か月", "カ月", "month"),
    "year": ("年", "year"),
    "people": ("人", "名", "people"),
    "person": ("人", "名"),
    "employee": ("人", "名", "employee"),
    "staff": ("人", "名"),
    "user": ("人", "名", "user"),
    "time": ("倍", "回", "times"),
    "point": ("点", "ポイント", "point"),
    "case": ("件",),
}
_WANT_DATE = re.compile(
    r"いつ|何年(?!間)|何月|時期|年月|(?<![a-z])(when|what year|which year|what date|since when|founded|established)(?![a-z])"
)
_WANT_NAME = re.compile(
    r"誰|だれ|どこ|どの|何という|名前|名称|(?<![a-z])(who|whom|whose|which|called|named|name of|what is the name|what service|"
    r"what platform|what tool|what model|what product|what project|what company)(?![a-z])"
)
_WANT_NUM = re.compile(
    r"いくら|いくつ|何[^年月日とをがはもで]|何[%％]|どれだけ|どれくらい|どのくらい|どの程度|割合|比率|[率額数]|"
    r"(?<![a-z])(how many|how much|how long|how big|how large|what percentage|what share|what rate|percent|rate|score|"
    r"price|valuation|revenue|arr|number of|amount|size|cost|budget|share)(?![a-z])"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_DATE_IN = re.compile(
    r"(?:1[5-9]|20)\d\d\s*年|\d{1,2}\s*月|(?:19|20)\d\d[-/]\d{1,2}|"
    r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?(?:19|20)\d\d|"
    r"(?<!\d)(?:19|20)\d\d(?!\d)"
)
_AMOUNT_IN = re.compile(
    r"[$€¥£]\s*\d|\d\s*(?:億|万|兆|円|ドル|ユーロ|%|％|倍|[kKmMbB](?![a-zA-Z])|billion|million|times|x(?![a-zA-Z0-9]))|"
    rf"\d[\d,.]*\s*(?:の\s*)?(?:時間|分|日|週間|ヶ月|か月|カ月|チップ|ポイント|{JA_COUNTERS})"
)


_PERSON = re.compile(r"(?:員|者|師|家|士|人材|スタッフ|ユーザー|メンバー)$")


def _noun_counters(word: str, stem: str) -> tuple[str, ...]:
    """Counters after a number for "how many WORD": the word's Japanese glossary terms and the word
    itself; 人/名 when the terms name people (…員, …者, …師), else the general counters 件, 個 and 種類."""
    table = g.load()
    terms = table.get(word) or table.get(stem) or ()
    if not terms:
        return ()
    if any(_PERSON.search(t) for t in terms):
        return (*terms, "人", "名", stem)
    return (*terms, "件", "個", "種類", stem)


# lower-cased English month names and abbreviations → 1-12 (question tokens are lower-cased)
_MONTH_NO = {m.lower(): i for i, m in enumerate(MONTHS, 1)} | {m[:3].lower(): i for i, m in enumerate(MONTHS, 1)}
_EN_MONTH_YEAR = re.compile(rf"(?i)({MONTH_RE})\s+(?:\d{{1,2}},?\s+)?((?:19|20)\d\d)")


@dataclass
class Concept:
    label: str
    alts: frozenset[str]
    weight: float
    en_only: bool = False  # an English word with no Japanese translation in the glossary
    number: bool = False
    phrase: str = ""  # a multi-word name ("Series F", "Dose ID GPT"): matched on squashed text


_NUM_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
    "twenty": "20",
    "hundred": "100",
}
_PHRASE = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9&\-.]*(?:\s+(?:[A-Z0-9][A-Za-z0-9&\-.]*))+")
_Q_LEAD = re.compile(
    r"^(?:How|What|Which|Who|Whom|Whose|When|Where|Why|Did|Does|Do|Is|Are|Was|Were|Among|And|Compare)\s+"
)


@dataclass
class QuestionInfo:
    text: str
    lang: str
    concepts: list[Concept]
    companies: list[tuple[str, str]]  # (doc key, name as written)
    numbers: list[str]
    wants: set[str]  # subset of {"num", "date", "name"}
    counters: tuple[str, ...]
    entity_tokens: frozenset[str]
    multi: bool = False  # asks for several things (two companies, "from … to …", "and who…")
    latest: bool = False  # asks for the latest/current value (最新, 現在の, latest, current…)

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.concepts) or 1.0


def _idf(snapshot: Any) -> Mapping[str, float]:
    if snapshot is None:
        return {}
    try:
        return snapshot_index(snapshot).idf
    except Exception:  # noqa: BLE001 — retrieval internals may change; uniform weights then
        return {}


_KATA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_loan_lock = threading.Lock()
_loan_cache: dict[int, tuple[Any, dict[str, frozenset[str]]]] = {}


@lru_cache(maxsize=50000)
def loan_gloss(token: str) -> str | None:
    """English source word of a katakana loanword (unidic lemma "リテンション-retention"), else None."""
    if not _KATA.fullmatch(token or ""):
        return None
    try:
        words = _jp().tag(token)
    except Exception:  # noqa: BLE001
        return None
    return _jp().loan_source(words[0][2]) if len(words) == 1 else None


def loan_map(snapshot: Any) -> dict[str, frozenset[str]]:
    """English word → katakana loanwords of the library's vocabulary (マーケティング ← marketing)."""
    if snapshot is None:
        return {}
    key = id(snapshot)
    with _loan_lock:
        got = _loan_cache.get(key)
        if got is not None and got[0] is snapshot:
            return got[1]
    m: dict[str, set[str]] = {}
    for term in _idf(snapshot):
        g = loan_gloss(term)
        if g:
            m.setdefault(g, set()).add(term)
    out = {k: frozenset(v) for k, v in m.items()}
    with _loan_lock:
        if len(_loan_cache) > 8:
            _loan_cache.clear()
        _loan_cache[key] = (snapshot, out)
    return out


def _glossary_groups(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """(English key as matched, Japanese terms) for glossary keys in an English question."""
    try:
        return g.matches(question)
    except Exception:  # noqa: BLE001
        return []


@lru_cache(maxsize=1)
def ja_synonyms() -> dict[str, frozenset[str]]:
    """Japanese term → the other Japanese terms of the glossary entries it translates first
    (founded: [設立, 創業] → 設立 also matches 創業), so a Japanese question matches the words an
    English question of the same meaning matches. The terms of the "founded" entry match each other
    both ways (創業 also matches 設立: rag.answer.founding answers either from the recorded founding
    date); other entries only one way, since a further term is often broader (月額 → 月)."""
    out: dict[str, set[str]] = {}
    table = g.load()
    for vals in table.values():
        for v in vals[1:]:
            if v != vals[0]:
                out.setdefault(vals[0], set()).add(v)
    founded = table.get("founded", ())
    for v in founded:
        out.setdefault(v, set()).update(x for x in founded if x != v)
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=4096)
def ja_compounds(text: str) -> tuple[str, ...]:
    """Runs of two or more nominal morphemes (prefix + nouns + nominal suffixes), kana/kanji only."""
    try:
        words = _jp().tag(nfkc(text))
    except Exception:  # noqa: BLE001
        return ()
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 2:
            comp = "".join(run)
            if len(comp) >= 3 and re.search(r"[\u3040-\u30ff\u3400-\u9fff]", comp) and not comp.isascii():
                out.append(comp)
        run.clear()

    for surf, ws, feat in words:
        f = feat.split(",")
        pos1, pos2 = f[0], (f[1] if len(f) > 1 else "")
        nominal = (
            (pos1 == "名詞" and pos2 not in ("数詞",)) or pos1 == "接頭辞" or (pos1 == "接尾辞" and pos2 in ("名詞的",))
        )
        if ws or not nominal or surf.isascii():
            flush()
        if nominal and not surf.isascii():
            run.append(surf)
    flush()
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=20000)
def _is_verb(token: str) -> bool:
    try:
        words = _jp().tag(token)
    except Exception:  # noqa: BLE001
        return False
    return bool(words) and words[0][2].split(",")[0] in ("動詞", "形容詞")


def analyze(question: str, snapshot: Any = None) -> QuestionInfo:
    jp = _jp()
    q = (question or "").strip()
    lang = jp.detect_language(q)
    idf = _idf(snapshot)
    maxidf = max(idf.values()) if idf else 5.0
    companies = find_companies(q, snapshot)
    ent_toks: set[str] = set()
    for _, name in companies:
        ent_toks |= set(toks(name))
    docs, _ = doc_names(snapshot) if snapshot is not None else ([], [])
    for key, _ in companies:
        for d in docs:
            if d.key == key:
                for n in d.names:
                    ent_toks |= set(toks(n))
    # possessives: cohere's → cohere
    qtok = [re.sub(r"'s$", "", t) for t in jp.tokenize(q)]
    gl = _glossary_groups(q) if lang == "en" else []
    gl_words: dict[str, set[str]] = {}
    for word, terms in gl:
        ts: set[str] = set()
        for t in terms:
            # the term as a whole, not its parts: 最高経営責任者, not 経営 (matched as a substring)
            tt = toks(t)
            if len(tt) == 1:
                ts |= tt
            ts.add(fold(t))
        for w in toks(word) or {word}:
            gl_words.setdefault(w, set()).update(ts)
            gl_words[w].add(w)
        gl_words.setdefault(fold(word), set()).update(ts)
    loans = loan_map(snapshot) if lang == "en" else {}
    concepts: list[Concept] = []
    seen: set[str] = set()
    numbers: list[str] = []
    for t in qtok:
        if not t or t in seen or t in _Q_STOP or _QWORD_IN.search(t):
            continue
        seen.add(t)
        if t in ent_toks:
            continue
        is_num = bool(re.fullmatch(r"[\d.,]+(?:[万億兆])?%?", t))
        if is_num:
            numbers.append(t)
        w = idf.get(t, maxidf * 0.8 if lang == "en" else maxidf * 0.6)
        if t in _GENERIC_WEAK:
            w *= 0.3
        elif lang == "ja" and _is_verb(t):
            w *= 0.3  # 使う, 増える, 参加する: phrasing more than content
        alts = {t}
        en_only = False
        if lang == "en" and t.isascii() and not is_num:
            base = (
                re.sub(r"(ies|es|s|ed|ing)$", "", t)
                if len(t) > 4
                else (t[:-1] if len(t) == 4 and t.endswith("s") else t)
            )
            alts |= {base}
            if t in _NUM_WORDS:
                alts.add(_NUM_WORDS[t])
            if t in _MONTH_NO:
                alts.add(f"{_MONTH_NO[t]}月")  # january → 1月: the documents write dates in Japanese
            tr = set(gl_words.get(t) or gl_words.get(base) or set())
            tr |= loans.get(t, frozenset()) | loans.get(base, frozenset())
            alts |= tr
            if not tr:
                en_only = True
            if tr:
                w = max([idf.get(x, 0.0) for x in tr] + [w * 0.5])
        if lang == "ja":
            g = loan_gloss(t)
            if g:
                alts.add(g)  # リテンション also matches "Retention"
            alts |= ja_synonyms().get(t, frozenset())  # 設立 also matches 創業 (both "founded")
        concepts.append(Concept(t, frozenset(a for a in alts if a), max(w, 0.05), en_only, is_num))
    # Japanese compounds (開発費, 東京オフィス, 総パラメータ数): the tokenizer emits their parts only;
    # the compound itself is matched as a substring and says more than its parts
    if lang == "ja":
        for comp in ja_compounds(q):
            lab = fold(comp)
            if lab in seen or lab in ent_toks or any(lab in fold(n) for _, n in companies) or _QWORD_IN.search(lab):
                continue
            seen.add(lab)
            parts = [c for c in concepts if c.label in lab]
            w = max([c.weight for c in parts] + [maxidf * 0.5])
            concepts.append(Concept(lab, frozenset({lab}), w))
    # multi-word names: "Series F", "Claude 3.5 Sonnet", "Dose ID GPT"
    ent_sq = {squash(n) for _, n in companies}
    for m in re.finditer(r"(?:series|シリーズ)\s*([a-z])(?![a-z])", fold(q)):
        concepts.append(Concept(f"series {m.group(1)}", frozenset(), maxidf * 0.8, phrase=f"series{m.group(1)}"))
    for m in _PHRASE.finditer(re.sub(r"['’]s\b", "", q)):
        words = _Q_LEAD.sub("", m.group(0)).strip().split()
        # drop the company's own words ("Cohere Chief AI Officer" → "Chief AI Officer")
        while words and (squash(words[0]) in ent_toks or any(squash(words[0]) in e for e in ent_sq)):
            words = words[1:]
        while words and (squash(words[-1]) in ent_toks or any(squash(words[-1]) in e for e in ent_sq)):
            words = words[:-1]
        ph = " ".join(words)
        sq = squash(ph)
        date = _EN_MONTH_YEAR.fullmatch(ph)
        if date:  # "January 2026" is found as 2026年1月
            mo, yr = month_no(date.group(1)), date.group(2)
            concepts.append(Concept(ph, frozenset({f"{yr}年{mo}月", f"{yr}/{mo}", f"{yr}-{mo:02d}"}), maxidf * 0.6))
            continue
        if len(words) < 2 or sq in ent_sq or any(c.phrase == sq for c in concepts) or re.match(r"(?i)series\s", ph):
            continue
        concepts.append(Concept(ph, frozenset(), maxidf * 0.6, phrase=sq))
    # compound tokens that only restate parts already present get a smaller weight
    labels = {c.label for c in concepts}
    for c in concepts:
        parts = [x for x in labels if x != c.label and len(x) >= 2 and x in c.label]
        if len(parts) >= 2:
            c.weight *= 0.5
    qf = fold(q)
    wants: set[str] = set()
    if _WANT_DATE.search(qf):
        wants.add("date")
    if _WANT_NAME.search(qf):
        wants.add("name")
    if _WANT_NUM.search(qf) and not ("date" in wants and not re.search(r"いくら|how much|how many|何[%％人名]", qf)):
        wants.add("num")
    counters: list[str] = []
    for m in _COUNTER_JA.finditer(nfkc(q)):
        c = m.group(1)
        counters += {
            "%": ["%"],
            "％": ["%"],
            "ヶ月": ["ヶ月", "か月", "カ月"],
            "か月": ["ヶ月", "か月", "カ月"],
            "カ月": ["ヶ月", "か月", "カ月"],
            "人": ["人", "名"],
            "名": ["人", "名"],
            "店": ["店舗", "店"],
            "週": ["週間", "週"],
        }.get(c, [c])
    if [c for c in counters if c not in ("年",)]:
        wants.add("num")
    if lang == "en":
        for m in re.finditer(
            r"how many ([a-z\- ]+?)(?:\s+(?:did|does|do|is|are|was|were|will|has|have|per|in|at|of|got)\b|[?,.]|$)", qf
        ):
            phrase = m.group(1).strip()
            words = phrase.split()
            for w in [phrase] + words[::-1]:
                stem = re.sub(r"(ies)$", "y", w)
                stem = re.sub(r"(s)$", "", stem)
                got = _EN_COUNTERS.get(w) or _EN_COUNTERS.get(stem) or _noun_counters(w, stem)
                if got:
                    counters += list(got)
                    break
        if re.search(r"percent|percentage|what share|rate(?![a-z])|what proportion", qf):
            counters.append("%")
        if re.search(r"how long", qf):
            counters += ["分", "時間", "日", "週間", "ヶ月", "minute", "hour", "day", "week", "month"]
        if counters:
            wants.add("num")
    multi = (
        len(companies) >= 2
        or len(wants) >= 2
        or bool(_MULTI.search(qf))
        or len(re.findall(r"何|いくら|いつ|誰|どれ", nfkc(q))) >= 2
    )
    latest = bool(re.search(r"最新|直近|現在の|今の|(?<![a-z])(latest|most recent|current|currently|now)(?![a-z])", qf))
    return QuestionInfo(
        q, lang, concepts, companies, numbers, wants, tuple(dict.fromkeys(counters)), frozenset(ent_toks), multi, latest
    )
