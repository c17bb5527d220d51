"""Extractive answerer (the offline default): quote the sentences that answer the question.

    ans = answer_extractive(question, hits, snapshot)   # → Extraction (text, citations, features)

1. Question analysis (`analyze`): language (rag.japanese.detect_language), content concepts
   (rag.japanese.tokenize; for English questions each word also matches its Japanese glossary
   terms, rag.glossary), the companies it names (the library's company names and aliases), the
   numbers it contains, and what it asks for: an amount / count / percentage (いくら, 何%,
   どれくらい, how many/much…), a date (いつ, 何年, when…), a name (誰, どの, who, which…),
   plus the counter it expects (何時間 → 時間, "how many stores" → 店舗).
2. Units (`section_units`): each retrieved section is re-read from its source file (line numbers
   exact; falls back to the hit text when the file changed): sentences of paragraphs, bullet items,
   table rows (kept WITH the table's header row), front-matter profile fields (one per list item).
3. Scoring: idf-weighted coverage of the question's concepts by the unit (the section's heading
   path counts half), a bonus when the unit carries what the question asks for (a new number with
   the right counter/unit, a date, a proper name not in the question), the section's rank, a penalty
   for units of another company than the one asked about, for link lists and for very long units.
4. Selection: the best unit, then (up to MAX_UNITS) units that cover concepts or companies still
   uncovered or score close to the best; near-duplicates dropped.
5. Rendering: one lead line in the question's language, then one bullet per quote (source language)
   with its [n]; citations numbered in order of first use, one per section, the line range narrowed
   to the quoted lines (`Citation.start_line/end_line`), quotes = the chosen units.

The same analysis feeds the refusal gate (rag.refusal) through `Extraction.features`.
"""

from __future__ import annotations

import math
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rag.ingest import japanese
from rag.ingest.chunking import chunk_body
from rag.ingest.documents import read_text
from rag.schema import Citation, Hit
from rag.search import glossary as g
from rag.search.retrieval import snapshot_index

LEAD = {"ja": "ライブラリの該当箇所によると：", "en": "According to the library:"}
MAX_UNITS = 3  # quotes in one answer (4 when the question names several companies)
UNIT_SECTIONS = 6  # top sections whose sentences are candidates

# ----------------------------------------------------------------------------- small helpers


def _jp():
    return japanese


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s or "")


def fold(s: str) -> str:
    return re.sub(r"\s+", " ", nfkc(s)).strip().casefold()


def squash(s: str) -> str:
    return re.sub(r"[\s\-‐‑–—_・･.,。、()（）'’&]+", "", fold(s))


@lru_cache(maxsize=20000)
def toks(text: str) -> frozenset[str]:
    return frozenset(_jp().tokenize(text))


_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:https?://|/)[^)]*\)")
_URL = re.compile(r"https?://\S+")


def clean_md(s: str) -> str:
    """Text of a markdown line for display: bold/italic/code markers and link targets removed."""
    s = _MD_LINK.sub(r"\1", s)
    s = re.sub(r"^[\s│├└┌┐┘┬┴┼─━┃┣┗┏→←↓↑▶►•]+", "", s)
    s = re.sub(r"[\s│┃]+$", "", s)
    s = re.sub(r"\*\*|__|`", "", s)
    s = re.sub(r"(?<![\w*])\*(?=\S)([^*]+)(?<=\S)\*(?![\w*])", r"\1", s)
    return s.strip()


# ----------------------------------------------------------------------------- companies in the library


@dataclass
class DocNames:
    key: str  # uid (doc_id when absent)
    doc_id: str
    company: str
    names: list[str]  # display names, longest first
    ja_name: str | None
    en_name: str | None


_names_lock = threading.Lock()
_names_cache: dict[int, tuple[Any, list[DocNames], list[tuple[str, re.Pattern[str], str]]]] = {}
_GENERIC_NAMES = {
    "ai",
    "the",
    "inc",
    "corp",
    "bank",
    "group",
    "japan",
    "ジャパン",
    "株式会社",
    "open",
    "openai",
    "google",
    "microsoft",
    "nvidia",
    "meta",
}


def _derived_names(names: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for n in names:
        n = nfkc(n).strip()
        if not n:
            continue
        out.add(n)
        n2 = re.sub(
            r"^(株式会社|有限会社)\s*|\s*(株式会社|Inc\.?|Corp\.?|Corporation|Co\.,? Ltd\.?|Ltd\.?|AB|N\.?V\.?)$", "", n
        ).strip()
        out.add(n2)
        m = re.search(r"[（(]([^）)]+)[）)]", n2)
        if m:
            out.add(m.group(1).strip())
            out.add(re.sub(r"\s*[（(][^）)]*[）)]", "", n2).strip())
        for part in re.split(r"\s*/\s*", n2):
            out.add(part.strip())
        # "セブン-イレブン・ジャパン" → "セブン-イレブン"; "Seven-Eleven Japan" → "Seven-Eleven"
        out.add(re.split(r"・", n2)[0].strip())
        first = n2.split(" ")[0]
        if len(first) >= 4:
            out.add(first)
        # "ミストラルAI" → "ミストラル"
        m2 = re.fullmatch(r"([\u30a0-\u30ffー]{3,})\s*AI", n2)
        if m2:
            out.add(m2.group(1))
    return {x for x in out if x and squash(x) not in _GENERIC_NAMES and len(squash(x)) >= 2}


def doc_names(snapshot: Any) -> tuple[list[DocNames], list[tuple[str, re.Pattern[str], str]]]:
    """Companies of the library and the patterns that find them in a question (cached per snapshot)."""
    key = id(snapshot)
    with _names_lock:
        got = _names_cache.get(key)
        if got is not None and got[0] is snapshot:
            return got[1], got[2]
    by_doc: dict[str, dict[str, Any]] = {}
    for m in (getattr(snapshot, "metas", {}) or {}).values():
        k = m.get("uid") or m.get("doc_id")
        if not k or k in by_doc:
            continue
        by_doc[k] = m
    docs: list[DocNames] = []
    owners: dict[str, set[str]] = {}
    cand: dict[str, set[str]] = {}
    for k, m in by_doc.items():
        raw = [m.get("company"), m.get("company_ja"), *(m.get("company_aliases") or [])]
        title = str(m.get("title") or "")
        head = re.split(r"\s+[-–—:：|｜]\s+|[：:｜|]", title)[0].strip()
        if head and len(head) <= 30 and not re.search(r"case study", head, re.I):
            raw.append(head)
        names = _derived_names([str(x) for x in raw if x])
        cand[k] = names
        for n in names:
            owners.setdefault(squash(n), set()).add(k)
    pats: list[tuple[str, re.Pattern[str], str]] = []
    for k, m in by_doc.items():
        names = sorted({n for n in cand[k] if len(owners[squash(n)]) == 1}, key=len, reverse=True)
        comp = str(m.get("company") or (names[0] if names else k))
        ja = m.get("company_ja") or next((n for n in names if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", n)), None)
        en = next((n for n in sorted(names, key=len) if n.isascii() and len(n) >= 3), None)
        docs.append(DocNames(k, str(m.get("doc_id") or k), comp, names, ja, en))
        for n in names:
            sq = squash(n)
            if len(sq) < 2 or (sq.isascii() and len(sq) < 3):
                continue
            if sq.isascii():
                pat = re.compile(rf"(?<![a-z0-9]){re.escape(sq)}(?![a-z0-9])")
            else:
                pat = re.compile(re.escape(sq))
            pats.append((k, pat, n))
    pats.sort(key=lambda x: -len(x[2]))
    with _names_lock:
        if len(_names_cache) > 8:
            _names_cache.clear()
        _names_cache[key] = (snapshot, docs, pats)
    return docs, pats


def _squash_words(text: str) -> str:
    """fold() with separators removed but word boundaries between ASCII words kept as one space."""
    f = fold(text)
    f = re.sub(r"[\-‐‑–—_・･.,()（）'’&]+", "", f)
    f = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", f)
    return f


def find_companies(text: str, snapshot: Any) -> list[tuple[str, str]]:
    """(doc key, matched name) for each library company named in `text`, in order of appearance."""
    if snapshot is None or not text:
        return []
    _, pats = doc_names(snapshot)
    text = re.sub(r"(?<=[A-Za-z])['’]s?(?![A-Za-z])", "", text)  # Cohere's → Cohere
    words = _squash_words(text)
    flat = words.replace(" ", "")
    found: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for k, pat, name in pats:
        if k in seen:
            continue
        m = pat.search(flat if not squash(name).isascii() else words) or (pat.search(flat) if " " in name else None)
        if m:
            seen.add(k)
            found.append((m.start(), k, name))
    found.sort()
    return [(k, n) for _, k, n in found]


def company_display(snapshot: Any, key: str, lang: str) -> str:
    docs, _ = doc_names(snapshot)
    for d in docs:
        if d.key == key or d.doc_id == key:
            if lang == "ja" and d.ja_name:
                return d.ja_name
            return d.en_name or d.company
    return key


# ----------------------------------------------------------------------------- question analysis

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
    r"何\s*(時間|人|名|分|秒|日|週間|週|ヶ月|か月|カ月|ヵ月|年|回|件|個|店舗|店|種類|言語|ページ|倍|[%％]|項目|社|病院|台|枚|ドル|円|億|万|品目|チップ|基|モデル|点)"
)
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
    "doctor": ("人", "名"),
    "physician": ("人", "名"),
    "lawyer": ("人", "名", "lawyer"),
    "specialist": ("人", "名"),
    "nurse": ("人", "名"),
    "store": ("店舗", "店", "store"),
    "shop": ("店舗", "店"),
    "page": ("ページ", "page"),
    "language": ("言語", "language"),
    "model": ("モデル", "種類", "model"),
    "hospital": ("病院", "施設", "hospital"),
    "chip": ("チップ", "基", "chip"),
    "gpu": ("GPU", "基", "枚"),
    "inquiry": ("件", "inquir"),
    "inquiries": ("件", "inquir"),
    "conversation": ("件", "回", "conversation"),
    "time": ("倍", "回", "times"),
    "point": ("点", "ポイント", "point"),
    "medicine": ("医薬品", "品目", "medicine"),
    "use case": ("件", "ユースケース", "use case"),
    "case": ("件",),
    "gpt": ("GPT", "個"),
}
_WANT_DATE = re.compile(
    r"いつ|何年(?!間)|何月|時期|年月|(?<![a-z])(when|what year|which year|what date|since when|founded|established)(?![a-z])"
)
_WANT_NAME = re.compile(
    r"誰|だれ|どこ|どの|何という|名前|名称|(?<![a-z])(who|whom|whose|which|called|named|name of|what is the name|what service|"
    r"what cloud|what platform|what tool|what model|what product|what project|what company)(?![a-z])"
)
_WANT_NUM = re.compile(
    r"いくら|いくつ|何[^年月日とをがはもで]|何[%％]|どれだけ|どれくらい|どのくらい|どの程度|割合|比率|[率額数]|"
    r"(?<![a-z])(how many|how much|how long|how big|how large|what percentage|what share|what rate|percent|rate|score|"
    r"price|valuation|revenue|arr|number of|amount|size|cost|budget|speed-up|speedup|reduction|share)(?![a-z])"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_DATE_IN = re.compile(
    r"(?:19|20)\d\d\s*年|\d{1,2}\s*月|(?:19|20)\d\d[-/]\d{1,2}|"
    r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?(?:19|20)\d\d|"
    r"(?<!\d)(?:19|20)\d\d(?!\d)"
)
_AMOUNT_IN = re.compile(
    r"[$€¥£]\s*\d|\d\s*(?:億|万|兆|円|ドル|ユーロ|%|％|倍|[kKmMbB](?![a-zA-Z])|billion|million|times|x(?![a-zA-Z0-9]))|"
    r"\d[\d,.]*\s*(?:の\s*)?(?:人|名|時間|分|日|週間|ヶ月|か月|カ月|件|回|個|店舗|種類|言語|ページ|病院|台|チップ|点|ポイント|品目|社|項目)"
)
_NAME_IN = re.compile(r"(?<![A-Za-z])[A-Z][A-Za-z0-9&.\-]+(?:\s+[A-Z][A-Za-z0-9&.\-]+)*|[\u30a1-\u30fa\u30fc・]{3,}")


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
        words = _jp()._tag(token)
    except Exception:  # noqa: BLE001
        return None
    if len(words) != 1:
        return None
    f = words[0][2].split(",")
    if len(f) > 12 and f[12] == "外" and "-" in f[7]:
        eng = f[7].split("-", 1)[1].strip().lower()
        if re.fullmatch(r"[a-z][a-z\-]{2,}", eng):
            return eng
    return None


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
        table = g.load()
        pat = g._pattern()
        out = []
        q = question.lower().replace("’", "'")
        for m in pat.finditer(q):
            k = g._key_of(m.group(0), table)
            if k and table.get(k):
                out.append((m.group(0), table[k]))
        return out
    except Exception:  # noqa: BLE001
        return []


@lru_cache(maxsize=4096)
def ja_compounds(text: str) -> tuple[str, ...]:
    """Runs of two or more nominal morphemes (prefix + nouns + nominal suffixes), kana/kanji only."""
    try:
        words = _jp()._tag(nfkc(text))
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
        words = _jp()._tag(token)
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
                got = _EN_COUNTERS.get(w) or _EN_COUNTERS.get(stem)
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


# ----------------------------------------------------------------------------- source files and units

_file_lock = threading.Lock()
_file_cache: dict[str, tuple[tuple[float, int], list[str]]] = {}


def file_lines(path: str) -> list[str] | None:
    """Lines of a library file (decoded like the indexer does), cached by mtime/size; None if unreadable."""
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    stamp = (st.st_mtime, st.st_size)
    with _file_lock:
        got = _file_cache.get(path)
        if got and got[0] == stamp:
            return got[1]
    try:
        text, _enc, _issues = read_text(path)
    except Exception:  # noqa: BLE001 — a vanished or now-broken file: use the indexed text
        return None
    lines = text.split("\n")
    with _file_lock:
        if len(_file_cache) > 256:
            _file_cache.clear()
        _file_cache[path] = (stamp, lines)
    return lines


@dataclass
class Unit:
    text: str  # display text (markdown cleaned)
    quote: list[str]  # what the citation quotes (header row + row for tables)
    kind: str  # sentence | bullet | row | profile
    start: int | None  # file lines (1-based, inclusive), None when unknown
    end: int | None
    order: int
    tokens: frozenset[str] = frozenset()
    context: str = ""  # preceding lead-in (the line a bullet list hangs from)
    is_link: bool = False  # a reference/link line (a URL or a markdown link)


_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+•・]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


def _is_link(raw: str) -> bool:
    """A reference line: a URL or markdown link with little other content."""
    if not (_URL.search(raw) or _MD_LINK.search(raw)):
        return False
    rest = _URL.sub("", _MD_LINK.sub("", raw))
    return len(re.findall(r"[0-9A-Za-z\u3040-\u30ff\u3400-\u9fff]", rest)) < 12


def _cells(row: str) -> list[str]:
    r = row.strip()
    if r.startswith("|"):
        r = r[1:]
    if r.endswith("|"):
        r = r[:-1]
    return [clean_md(c.strip()) for c in re.split(r"(?<!\\)\|", r)]


_SOURCE_HEADERS = frozenset({"ソース", "出典", "source", "sources", "参考", "参照", "リンク", "link", "url", "引用元"})


def _row_text(header: list[str] | None, row: list[str]) -> str:
    if header and len(header) == len(row):
        pairs = [
            f"{h}: {v}" if h else v
            for h, v in zip(header, row)
            if v and v not in ("-", "—") and h.strip().lower() not in _SOURCE_HEADERS
        ]
        return " / ".join(pairs)
    return " | ".join(c for c in row if c)


def units_from_lines(lines: Sequence[str], first_line: int) -> list[Unit]:
    """Units of markdown lines; `first_line` is the file line number of lines[0]."""
    jp = _jp()
    out: list[Unit] = []
    header: list[str] | None = None
    header_raw: str | None = None
    header_line = 0
    in_table = False
    lead_in = ""
    in_fence = False
    i = 0
    n = len(lines)
    while i < n:
        raw = lines[i]
        ln = first_line + i
        s = raw.strip()
        i += 1
        if s.startswith("```") or s.startswith("~~~"):
            in_fence = not in_fence
            continue
        if not s or not jp.has_word_chars(s):
            if not s:
                in_table = False
            continue
        if _HEADING.match(raw):
            in_table = False
            lead_in = ""
            h = clean_md(re.sub(r"^\s*#+\s*|\s*#+\s*$", "", raw))
            if h and jp.has_word_chars(h):
                out.append(Unit(h, [h], "heading", ln, ln, len(out)))
            continue
        if s.startswith("|"):
            if not in_table:
                # a table starts: this row is the header when the next line is a separator
                nxt = lines[i].strip() if i < n else ""
                if _TABLE_SEP.match(nxt):
                    header, header_raw, header_line = _cells(s), s, ln
                    in_table = True
                    i += 1
                    continue
                header, header_raw = None, None
                in_table = True
            if _TABLE_SEP.match(s):
                continue
            cells = _cells(s)
            text = _row_text(header, cells)
            quote = [header_raw, s] if header_raw else [s]
            out.append(
                Unit(
                    text,
                    quote,
                    "row",
                    header_line if header_raw else ln,
                    ln,
                    len(out),
                    context=lead_in,
                    is_link=_is_link(s),
                )
            )
            continue
        in_table = False
        m = _BULLET.match(raw)
        if m:
            body = raw[m.end() :]
            end = ln
            # indented continuation lines belong to the item
            while (
                i < n
                and lines[i].strip()
                and not _BULLET.match(lines[i])
                and lines[i].startswith((" ", "\t"))
                and not lines[i].strip().startswith("|")
            ):
                body += " " + lines[i].strip()
                end = first_line + i
                i += 1
            text = clean_md(body)
            if text and jp.has_word_chars(text):
                out.append(
                    Unit(
                        text,
                        [clean_md(raw.strip())],
                        "bullet",
                        ln,
                        end,
                        len(out),
                        context=lead_in,
                        is_link=_is_link(body),
                    )
                )
            continue
        for sent in jp.split_sentences(raw):
            t = clean_md(sent)
            if t and jp.has_word_chars(t):
                out.append(Unit(t, [t], "sentence", ln, ln, len(out), context=lead_in, is_link=_is_link(sent)))
        lead_in = clean_md(s)[:80]
    return out


_PROFILE_LINE = re.compile(r"^(?P<label>[^:：]{1,60}?)(?:\s*\((?P<key>[\w.]+)\))?\s*[:：]\s*(?P<value>.+)$")


_PROFILE_SKIP = frozenset(
    {
        "id",
        "title",
        "category",
        "tier",
        "type",
        "version",
        "created_at",
        "updated_at",
        "doc_id",
        "schema_version",
        "language",
        "lang",
    }
)


def _profile_units(hit: Hit, flines: list[str] | None) -> list[Unit]:
    """Front-matter profile lines → units (list values split into one unit per item)."""

    text = hit.text
    if "\n" in text:  # a one-line profile text is the profile line itself
        text = chunk_body(text)
    out: list[Unit] = []
    rng = (max(1, hit.start_line or 1), hit.end_line or 0)
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        m = _PROFILE_LINE.match(line)
        if not m:
            continue
        label = m.group("label").strip()
        key = m.group("key") or (label if re.fullmatch(r"[\w.]+", label) else "")
        value = m.group("value").strip()
        if key in _PROFILE_SKIP or key.startswith(("quality.", "fm.quality")) or label in _PROFILE_SKIP:
            continue
        shown_label = label
        if shown_label == key and "." in key:
            shown_label = key.split(".")[-1]
        items = [value]
        parts = [p.strip() for p in value.split("、") if p.strip()]
        if len(parts) >= 3 and len(value) > 60:
            items = parts
        elif key.endswith("founders_team") or value.startswith("name:"):
            items = [value]
        for it in items:
            text_u = f"{shown_label}: {it}"
            s, e = _locate_profile(flines, rng, key, it)
            out.append(Unit(text_u, [text_u], "profile", s, e, len(out), is_link=bool(_URL.search(it))))
    return out


def _locate_profile(
    flines: list[str] | None, rng: tuple[int, int], key: str, value: str
) -> tuple[int | None, int | None]:
    if not flines:
        return (None, None)
    lo, hi = rng
    hi = min(hi or len(flines), len(flines))
    leaf = key.split(".")[-1] if key else ""
    probe = re.sub(r"（[^）]*）$", "", value).strip()  # "14000000000（140億ドル / $14B）" → "14000000000"
    if probe.startswith("name:"):
        probe = probe.split(";")[0].split(":", 1)[1].strip()
    cands = [probe[:60]] if probe else []
    for i in range(lo - 1, hi):
        ln = flines[i]
        if cands and cands[0] and cands[0] in ln:
            if not leaf or leaf in ln or not re.match(r"^\s*[\w.]+\s*:", ln) or probe in ln:
                return (i + 1, i + 1)
    if leaf:
        for i in range(lo - 1, hi):
            if re.match(rf"^\s*-?\s*{re.escape(leaf)}\s*:", flines[i]):
                return (i + 1, i + 1)
    return (None, None)


_units_lock = threading.Lock()
_units_cache: dict[tuple, list[Unit]] = {}


def section_units(hit: Hit) -> list[Unit]:
    """Candidate units of one retrieved section (cached per file version and range)."""
    flines = file_lines(hit.source)
    stamp = None
    if hit.source:
        try:
            st = os.stat(hit.source)
            stamp = (st.st_mtime, st.st_size)
        except OSError:
            stamp = None
    key = (hit.source, stamp, hit.start_line, hit.end_line, hit.kind, len(hit.text), hash(hit.text))
    with _units_lock:
        got = _units_cache.get(key)
    if got is not None:
        return got
    if hit.kind == "profile":
        units = _profile_units(hit, flines)
    else:
        units = []
        if flines and hit.start_line and hit.end_line and hit.end_line <= len(flines):
            seg = flines[hit.start_line - 1 : hit.end_line]
            units = units_from_lines(seg, hit.start_line)
            # the file must still hold the indexed text: most unit texts occur in the hit text
            if units and not _consistent(units, hit.text):
                units = []
        if not units:
            units = units_from_lines(hit.text.split("\n"), 0)
            for u in units:
                u.start = u.end = None
    for u in units:
        u.tokens = toks(u.text)
    with _units_lock:
        if len(_units_cache) > 4096:
            _units_cache.clear()
        _units_cache[key] = units
    return units


def _consistent(units: list[Unit], text: str) -> bool:
    t = re.sub(r"[|*`#>\-]", "", squash("\n".join(clean_md(x) for x in text.split("\n"))))
    body = [u for u in units if u.kind != "heading"]
    if not body:
        return True
    sample = body[:: max(1, len(body) // 8)][:8]
    ok = sum(
        1
        for u in sample
        if re.sub(r"[|*`#>\-]", "", squash(clean_md(u.quote[-1]) if u.kind == "row" else u.text))[:30] in t
    )
    return ok >= max(1, math.ceil(len(sample) * 0.6))


# ----------------------------------------------------------------------------- scoring


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
    try:
        for surf, _ws, feat in _jp()._tag(nfkc(text)):
            f = feat.split(",")
            if len(f) > 1 and f[1] == "固有名詞" and len(surf) >= 2:
                out.append(surf)
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


# ----------------------------------------------------------------------------- rendering


@dataclass
class Extraction:
    text: str
    citations: list[Citation]
    chosen: list[Scored]
    info: QuestionInfo
    scored: list[Scored] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # answer lines (for streaming)


def make_citation(n: int, hit: Hit, units: Sequence[Unit]) -> Citation:
    quote: list[str] = []
    for u in units:
        for q in u.quote:
            if q not in quote:
                quote.append(q)
    starts = [u.start for u in units if u.start]
    ends = [u.end for u in units if u.end]
    start = min(starts) if starts else hit.start_line
    end = max(ends) if ends else hit.end_line
    return Citation(
        n=n,
        doc_id=hit.doc_id,
        title=hit.title,
        company=str(hit.metadata.get("company") or ""),
        heading_path=tuple(hit.heading_path),
        source=hit.source,
        start_line=int(start or 0),
        end_line=int(end or 0),
        quote=quote,
    )


def render(info: QuestionInfo, hits: Sequence[Hit], chosen: list[Scored]) -> tuple[str, list[Citation], list[str]]:
    n_of: dict[int, int] = {}
    units_of: dict[int, list[Unit]] = {}
    for c in chosen:
        if c.hit_index not in n_of:
            n_of[c.hit_index] = len(n_of) + 1
        units_of.setdefault(c.hit_index, []).append(c.unit)
    lines = [LEAD.get(info.lang, LEAD["en"]), ""]
    for c in chosen:
        u = c.unit
        text = u.text
        if u.kind == "bullet" and u.context and len(text) < 40 and c.unit.context.endswith(("：", ":")):
            text = f"{u.context} {text}"
        lines.append(f"- {text} [{n_of[c.hit_index]}]")
    citations = [make_citation(n, hits[hi], units_of[hi]) for hi, n in sorted(n_of.items(), key=lambda kv: kv[1])]
    return "\n".join(lines), citations, lines


def answer_extractive(
    question: str, hits: Sequence[Hit], snapshot: Any = None, info: QuestionInfo | None = None
) -> Extraction:
    info = info or analyze(question, snapshot)
    scored = score_units(info, hits)
    chosen = select(info, scored)
    text, cites, lines = render(info, hits, chosen)
    return Extraction(text, cites, chosen, info, scored, lines)


def cite_units_for_claim(claim: str, hit: Hit, k: int = 1) -> list[Unit]:
    """The unit(s) of `hit` that best support `claim` (used to quote LLM answers' citations)."""
    units = section_units(hit)
    if not units:
        return []
    ct = toks(claim)
    cf = squash(claim)
    scored = []
    for u in units:
        ov = len(ct & u.tokens) / (len(ct) or 1)
        nums = set(_NUMBER.findall(nfkc(u.text)))
        nb = sum(1 for x in nums if x in nfkc(claim)) * 0.2
        sub = 0.5 if squash(u.text)[:25] and squash(u.text)[:25] in cf else 0.0
        scored.append((ov + nb + sub, -u.order, u))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    best = [u for s, _, u in scored[:k] if s > 0]
    if not best:
        for s in hit.sentences[:1]:
            for u in units:
                if squash(s)[:25] in squash(u.text):
                    return [u]
        return units[:1]
    return best
