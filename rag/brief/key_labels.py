"""Front-matter keys read as figures: a key name split into label words, unit, scale and years
(valuation_usd → 評価額 / Valuation), whether a key/value is a key figure at all, the order key
figures are shown in, and the labels of list-valued topic keys (ai_tools → AIツール / AI tools)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag.brief.amounts import _CURRENCIES, _SCALES, _UNITS
from rag.brief.labels import _li, labels
from rag.brief.text import _DIGITS


def _tokens(key: str) -> list[str]:
    return [t for t in re.split(r"[_\-.\s]+", key.lower()) if t]


@dataclass
class _KeyInfo:
    tokens: list[str]  # label tokens (unit, scale and year tokens removed)
    unit: str | None
    scale: float
    years: list[str]

    @property
    def base(self) -> str:
        return "_".join(self.tokens)


def _key_info(key: str) -> _KeyInfo:
    toks = _tokens(key)
    unit = None
    scale = 1.0
    years: list[str] = []
    rest: list[str] = []
    for t in toks:
        if t in _CURRENCIES or t in _UNITS:
            unit = unit or t
        elif t in _SCALES:
            scale = _SCALES[t]
        elif re.fullmatch(r"(19|20)\d\d", t):
            years.append(t)
        elif re.fullmatch(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(19|20)\d\d", t):
            years.append(t)  # "jun2025"
        else:
            rest.append(t)
    return _KeyInfo(rest, unit, scale, years)


_MON = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _year_text(token: str, lang: str) -> str:
    """ "2024" → 2024年 / 2024; "jun2025" → 2025年6月 / Jun 2025."""
    if token[:3] in _MON:
        m, y = _MON.index(token[:3]) + 1, token[3:]
        return f"{y}年{m}月" if lang == "ja" else f"{token[:3].capitalize()} {y}"
    return f"{token}年" if lang == "ja" else token


def figure_label(key: str, lang: str) -> str:
    """Readable label of a front-matter key: valuation_usd → 評価額 / Valuation."""
    li = _li(lang)
    fig = labels()["figures"]
    info = _key_info(key)
    base = info.base
    label = None
    if base in fig["keys"]:
        label = fig["keys"][base][li]
    else:
        out: list[str] = []
        toks = info.tokens
        i = 0
        phrases = fig["phrases"]
        while i < len(toks):
            for j in range(len(toks), i, -1):
                ph = "_".join(toks[i:j])
                if j - i >= 2 and ph in phrases:
                    out.append(phrases[ph][li])
                    i = j
                    break
                if j - i >= 2 and ph in fig["keys"]:
                    out.append(fig["keys"][ph][li])
                    i = j
                    break
            else:
                t = toks[i]
                w = fig["words"].get(t)
                out.append(w[li] if w else (t.upper() if len(t) <= 3 else t))
                i += 1
        if lang == "ja":
            label = "".join(out) if all(not p.isascii() or len(p) <= 4 for p in out) else " ".join(out)
            label = re.sub(r"\s+", " ", label).strip()
        else:
            label = " ".join(p for p in out if p).strip()
            label = label[:1].upper() + label[1:]
    if info.years:
        label += (
            f"（{'・'.join(_year_text(y, lang) for y in info.years)}）"
            if lang == "ja"
            else f" ({', '.join(_year_text(y, lang) for y in info.years)})"
        )
    return label or key


def _is_figure_key(path: Sequence[str], value: Any) -> bool:
    fig = labels()["figures"]
    exclude = set(fig["exclude"])
    parents = [p.lower() for p in path[:-1]]
    key = path[-1].lower()
    if any(p in exclude for p in parents) or key in exclude:
        return False
    toks = _tokens(key)
    if any(t in exclude for t in toks):
        return False
    in_group = any(p in fig["groups"] for p in parents)
    named = any(t in fig["include"] for t in toks) or key in fig["keys"]
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        if not (in_group or named):
            return False
        info = _key_info(key)
        if 0 < abs(float(value)) < 1 and info.unit not in ("percent", "pct") and info.scale == 1.0:
            return False  # shares and scores written as fractions
        return True
    if isinstance(value, str):
        s = value.strip()
        if not s or len(s) > 120 or not _DIGITS.search(s):
            return False
        if re.fullmatch(r"\d{4}(-\d\d){0,2}", s) or re.fullmatch(r"[\d.]+", s):
            return bool(in_group or named) and not re.fullmatch(r"\d{4}(-\d\d){1,2}", s)
        return bool(in_group or named)
    return False


_PRIORITY = (
    ("valuation",),
    ("funding", "raised", "amount"),
    ("revenue", "arr", "sales"),
    ("customers", "users", "clients", "organizations", "subscribers", "user", "stores"),
    ("savings", "cost", "saved"),
    ("fte",),
    ("time", "hours", "minutes"),
    ("growth", "increase", "improvement", "reduction", "impact", "productivity"),
)


def _priority(key: str) -> int:
    toks = set(_tokens(key))
    for i, group in enumerate(_PRIORITY):
        if toks & set(group):
            return i
    return len(_PRIORITY)


_FM_LABELS = {
    "ai_tool": ("AIツール", "AI tools"),
    "ai_tools": ("AIツール", "AI tools"),
    "ai_tool_primary": ("主なAIツール", "Main AI tool"),
    "ai_tool_secondary": ("その他のAIツール", "Other AI tools"),
    "key_ai_tools": ("主なツール", "Key tools"),
    "ai_model": ("AIモデル", "AI models"),
    "primary_models_used": ("主なモデル", "Main models"),
    "flagship_models": ("フラッグシップモデル", "Flagship models"),
    "enterprise_platforms": ("エンタープライズ製品", "Enterprise platforms"),
    "products": ("製品", "Products"),
    "key_products": ("主要製品", "Key products"),
    "use_case_primary": ("主なユースケース", "Main use case"),
    "use_case_secondary": ("その他のユースケース", "Other use cases"),
    "ai_category": ("AIの種類", "Kind of AI"),
    "ai_core_technology": ("中核技術", "Core technology"),
    "target_process": ("対象業務", "Target processes"),
    "target_users": ("対象ユーザー", "Target users"),
    "use_cases": ("ユースケース", "Use cases"),
    "customers": ("顧客", "Customers"),
    "key_customers": ("主要顧客", "Key customers"),
    "notable_customers": ("主要顧客", "Notable customers"),
    "major_clients": ("主要顧客", "Major clients"),
    "major_customers": ("主要顧客", "Major customers"),
    "key_clients": ("主要顧客", "Key clients"),
    "notable_clients": ("主要顧客", "Notable clients"),
    "clients": ("顧客", "Clients"),
    "key_differentiators": ("差別化要因", "Differentiators"),
    "differentiators": ("差別化要因", "Differentiators"),
    "competitive_advantages": ("競争優位", "Competitive advantages"),
    "strengths": ("強み", "Strengths"),
    "success_factors": ("成功要因", "Success factors"),
    "risks": ("リスク", "Risks"),
    "key_risks": ("主なリスク", "Key risks"),
    "challenges": ("課題", "Challenges"),
    "risk_factors": ("リスク要因", "Risk factors"),
    "limitations": ("制約", "Limitations"),
    "japan_market_entry_readiness": ("日本市場参入の準備状況", "Japan market entry"),
    "japan_presence": ("日本での展開", "Presence in Japan"),
    "japan_strategy": ("日本戦略", "Japan strategy"),
    "japan_angle": ("日本との関わり", "Japan angle"),
    "japan_notes": ("日本に関する記載", "Japan notes"),
    "success_level": ("成功度", "Success level"),
}


def _fm_label(key: str, lang: str) -> str:
    got = _FM_LABELS.get(key)
    if got:
        return got[_li(lang)]
    return figure_label(key, lang)
