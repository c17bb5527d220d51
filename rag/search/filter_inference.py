"""Filters suggested by a question (`infer_filters`, never applied by retrieval): a country named
as the subject of a set of companies (「米国企業の…」, "Swedish fintech", "cases from France") and
industries named in it, restricted to values that occur in the index."""

from __future__ import annotations

import re
from typing import Any

from rag.search.filter_clauses import fold
from rag.search.filter_index import filter_index

# ------------------------------------------------------------------------------- suggestions

_COUNTRY_WORDS: dict[str, tuple[str, ...]] = {
    "日本": ("日本", "国内", "japan", "japanese"),
    "米国": ("米国", "アメリカ", "米", "usa", "u.s.", "us", "united states", "american", "america"),
    "フランス": ("フランス", "仏", "france", "french"),
    "カナダ": ("カナダ", "canada", "canadian"),
    "スウェーデン": ("スウェーデン", "sweden", "swedish"),
    "英国": ("英国", "イギリス", "uk", "britain", "british", "united kingdom"),
    "ドイツ": ("ドイツ", "germany", "german"),
    "中国": ("中国", "china", "chinese"),
}
_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "小売": ("小売", "retail", "retailer", "コンビニ", "convenience store"),
    "金融": ("金融", "銀行", "bank", "banking", "financial", "finance", "fintech", "フィンテック"),
    "医療": ("医療", "ヘルスケア", "healthcare", "health care", "hospital", "病院", "medical"),
    "製薬": ("製薬", "pharma", "pharmaceutical", "biotech", "バイオ"),
    "通信": ("通信", "telecom", "telecommunications", "carrier"),
    "法務": ("法務", "リーガル", "legal", "law firm", "lawyers"),
}


def _country_pattern(word: str) -> re.Pattern[str]:
    if re.fullmatch(r"[a-z. ]+", word):
        return re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])")
    if word in ("米", "仏"):  # only as a prefix of 国/企業/系…: 米企業, 仏スタートアップ
        return re.compile(rf"{word}(?=国|企業|系|大手|スタートアップ|の?(?:企業|会社))")
    return re.compile(re.escape(word))


def infer_filters(question: str, snapshot: Any = None) -> dict[str, Any]:
    """Filters suggested by the question (never applied by retrieve()): a from_dict() mapping.

    「米国企業の…」→ {"country": "米国"}; "Swedish fintech" → {"country": "スウェーデン",
    "industry": {"contains": ["金融"]}}; "retail cases" → industry containing 小売;
    "Japanese companies" → {"country": "日本"}. With a snapshot, only values that occur in the
    index are suggested (a country nobody is from is not a useful filter).
    """
    q = fold(question)
    countries_in_index: set[Any] = set()
    industries_in_index: set[Any] = set()
    if snapshot is not None and getattr(snapshot, "metas", None):
        fi = filter_index(snapshot)  # distinct values per key, grouped once per snapshot
        countries_in_index = {v for v, _ in fi.groups("country").values if v}
        industries_in_index = {v for v, _ in fi.groups("industry").values if v}
    out: dict[str, Any] = {}
    countries: list[str] = []
    # a country as the subject of a set ("Japanese companies", 「米国企業」, "cases from France")
    for country, words in _COUNTRY_WORDS.items():
        for w in words:
            wf = fold(w)
            pat = _country_pattern(wf)
            for m in pat.finditer(q):
                tail = q[m.end() : m.end() + 24]
                head = q[max(0, m.start() - 24) : m.start()]
                if _set_context(tail, head, wf):
                    countries.append(country)
                    break
            if country in countries:
                break
    if countries_in_index:
        countries = [c for c in countries if c in countries_in_index]
    if countries:
        out["country"] = countries[0] if len(countries) == 1 else countries
    inds: list[str] = []
    for stem, words in _INDUSTRY_WORDS.items():
        if any(_word_in(fold(w), q) for w in words):
            if not industries_in_index or any(stem in fold(i) for i in industries_in_index):
                inds.append(stem)
    if inds:
        out["industry"] = {"contains": inds}
    return out


def _word_in(w: str, q: str) -> bool:
    if re.fullmatch(r"[a-z. ]+", w):
        return re.search(rf"(?<![a-z]){re.escape(w)}s?(?![a-z])", q) is not None
    return w in q


_SET_TAIL = re.compile(
    r"^\s*(?:(?:の|系)?[\w・ー]{0,12}?(?:企業|会社|事例|ケース|スタートアップ|銀行|大手|勢|発)|"
    r"(?:companies|company|firms?|businesses|cases?|case studies|startups?|banks?|fintechs?|retailers?|"
    r"enterprises?|providers?|vendors?|organi[sz]ations?|players?|corporations?)\b|"
    r"(?:[a-z]+ ){1,2}(?:companies|firms|startups|cases|businesses|providers|vendors|players)\b|"
    r"(?:ai|tech|fintech|healthcare|retail|banking)\b)"
)
_SET_HEAD = re.compile(
    r"(?:from|based in|headquartered in|(?:companies|firms|cases|startups|businesses) in)\s*(?:the\s*)?$"
)


def _set_context(tail: str, head: str, word: str) -> bool:
    if word in ("日本", "国内") and re.match(r"^\s*(?:で|市場|語|での展開|における)", tail):
        return False  # 「日本市場での展開」 is about Japan, not about Japanese companies
    return bool(_SET_TAIL.match(tail) or _SET_HEAD.search(head))
