"""The front matter as "profile" chunks (`profile_chunk`).

The front matter rendered as "label (key.path): value" lines (nested keys dotted, lists
joined with 、, lists of mappings one line per item; big numbers also written as 140億ドル /
$14B), heading_path ("プロフィール",), kind "profile", line range 1 … body_start_line-1,
cut at field (line) boundaries into chunks of about target_tokens, so that a question about
the valuation or the founding year meets a short, focused chunk. Profile chunks have
order PROFILE_ORDER_BASE + i (chunk_id "<uid>#100000", …) so they never collide with the
section chunks' ids (order 0, 1, …).
"""

from __future__ import annotations

import re
from typing import Any

from rag.ingest.chunking import DEFAULT_TARGET_TOKENS, chunk_header
from rag.ingest.pieces import CountTokens, _Atom, _chunks_from_atoms, _Counter
from rag.schema import Chunk, Document

PROFILE_HEADING = "プロフィール"
PROFILE_ORDER_BASE = 100_000

_KEY_LABELS = {
    "title": "タイトル",
    "title_ja": "タイトル",
    "case_title": "タイトル",
    "subtitle": "サブタイトル",
    "name": "名称",
    "name_ja": "名称",
    "company_name": "会社名",
    "company": "会社",
    "organization": "組織",
    "aliases": "別名",
    "country": "国",
    "company_country": "国",
    "region": "地域",
    "hq": "本社",
    "headquarters": "本社",
    "hq_location": "本社所在地",
    "industry": "業界",
    "sub_industry": "業界詳細",
    "sector": "業界",
    "category": "カテゴリ",
    "founded": "設立",
    "founded_year": "設立年",
    "founding_year": "設立年",
    "company_founded": "設立",
    "founded_month": "設立月",
    "employees": "従業員数",
    "company_employees": "従業員数",
    "website_url": "ウェブサイト",
    "website": "ウェブサイト",
    "valuation_usd": "評価額（米ドル）",
    "valuation_eur": "評価額（ユーロ）",
    "valuation_jpy": "評価額（円）",
    "funding_total_usd": "資金調達総額（米ドル）",
    "funding_total_eur": "資金調達総額（ユーロ）",
    "total_funding_usd": "資金調達総額（米ドル）",
    "revenue": "売上",
    "company_revenue": "売上",
    "ceo": "CEO",
    "co_founder": "共同創業者",
    "founders": "創業者",
    "founders_team": "創業チーム",
    "key_investors": "主要投資家",
    "lead_investors": "主要投資家",
    "largest_investor": "最大投資家",
    "ai_tool": "AIツール",
    "ai_tools": "AIツール",
    "ai_vendor": "AIベンダー",
    "ai_model": "AIモデル",
    "use_case_primary": "主なユースケース",
    "use_case_secondary": "その他のユースケース",
    "use_cases": "ユースケース",
    "business_impact": "ビジネス効果",
    "tags": "タグ",
}
_WORD_LABELS = {
    "valuation": "評価額",
    "funding": "資金調達",
    "total": "合計",
    "revenue": "売上",
    "arr": "ARR",
    "employees": "従業員数",
    "employee": "従業員",
    "founded": "設立",
    "year": "年",
    "month": "月",
    "date": "日付",
    "country": "国",
    "region": "地域",
    "industry": "業界",
    "investors": "投資家",
    "investor": "投資家",
    "customers": "顧客",
    "customer": "顧客",
    "clients": "顧客",
    "client": "顧客",
    "major": "主要",
    "partners": "パートナー",
    "partner": "パートナー",
    "users": "ユーザー",
    "user": "ユーザー",
    "growth": "成長",
    "rate": "率",
    "percent": "％",
    "cost": "コスト",
    "savings": "削減",
    "time": "時間",
    "hours": "時間",
    "series": "シリーズ",
    "seed": "シード",
    "round": "ラウンド",
    "amount": "金額",
    "market": "市場",
    "share": "シェア",
    "japan": "日本",
    "score": "スコア",
    "products": "製品",
    "product": "製品",
    "models": "モデル",
    "model": "モデル",
    "risk": "リスク",
    "challenges": "課題",
    "success": "成功",
    "factors": "要因",
    "impact": "効果",
    "team": "チーム",
    "ceo": "CEO",
    "cto": "CTO",
    "headquarters": "本社",
    "hq": "本社",
    "contracts": "契約",
    "usd": "米ドル",
    "eur": "ユーロ",
    "jpy": "円",
    "yen": "円",
    "million": "百万",
    "billion": "十億",
}
_CURRENCY = {
    "usd": ("ドル", "$"),
    "dollar": ("ドル", "$"),
    "dollars": ("ドル", "$"),
    "eur": ("ユーロ", "€"),
    "euro": ("ユーロ", "€"),
    "jpy": ("円", "¥"),
    "yen": ("円", "¥"),
}
_NOT_AMOUNT = re.compile(r"(year|month|date|id|version|score|count_|_count|stars|rank)")


def _fmt_sig(x: float) -> str:
    s = f"{x:.4g}"
    if "e" in s:
        s = f"{x:.0f}"
    return s


def _human_number(key: str, value: float) -> str:
    """ "140億ドル / $14B" style renderings of a large amount, "" when not useful."""
    parts = key.lower().split("_")
    mult = 1.0
    if "billion" in parts:
        mult = 1e9
    elif "million" in parts:
        mult = 1e6
    v = float(value) * mult
    cur = next((_CURRENCY[p] for p in parts if p in _CURRENCY), None)
    if (abs(v) < 10_000 and mult == 1.0) or _NOT_AMOUNT.search(key.lower()):
        return ""
    if abs(v) >= 1e12:
        ja = _fmt_sig(v / 1e12) + "兆"
    elif abs(v) >= 1e8:
        ja = _fmt_sig(v / 1e8) + "億"
    elif abs(v) >= 1e4:
        ja = _fmt_sig(v / 1e4) + "万"
    else:
        ja = _fmt_sig(v)
    if abs(v) >= 1e9:
        en = _fmt_sig(v / 1e9) + "B"
    elif abs(v) >= 1e6:
        en = _fmt_sig(v / 1e6) + "M"
    elif abs(v) >= 1e3:
        en = _fmt_sig(v / 1e3) + "K"
    else:
        en = _fmt_sig(v)
    if cur:
        return f"{ja}{cur[0]} / {cur[1]}{en}"
    return f"{ja} / {en}"


def _label(path: list[str]) -> str:
    key = path[-1]
    lab = _KEY_LABELS.get(key)
    if lab is None:
        parts = key.lower().split("_")
        if any(w in _WORD_LABELS for w in parts):
            lab = "".join(_WORD_LABELS.get(w, w.upper() if len(w) <= 2 and w.isalnum() else "") for w in parts)
        else:
            lab = ""
    dotted = ".".join(path)
    return f"{lab} ({dotted})" if lab else dotted


_PERCENT_KEY = {"percent", "percentage", "pct"}
_BARE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:\s*[-〜～~]\s*[0-9]+(?:\.[0-9]+)?)?")


def _scalar(key: str, v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    percent = bool(_PERCENT_KEY & set(key.lower().split("_")))
    if isinstance(v, (int, float)):
        text = f"{v:g}" if isinstance(v, float) else str(v)
        if percent:  # picking_time_reduction_percent: 30 → 30%
            return text + "%"
        human = _human_number(key, v)
        return f"{text}（{human}）" if human else text
    text = " ".join(str(v).split())
    return text + "%" if percent and _BARE_NUMBER.fullmatch(text) else text


def profile_lines(front_matter: dict[str, Any]) -> list[str]:
    """The front matter as readable "label (key.path): value" lines."""
    out: list[str] = []

    def walk(value: Any, path: list[str]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + [str(k)])
            return
        key = path[-1] if path else ""
        if isinstance(value, (list, tuple)):
            items = [x for x in value if x is not None and x != ""]
            if not items:
                return
            if all(not isinstance(x, (dict, list, tuple)) for x in items):
                out.append(f"{_label(path)}: " + "、".join(_scalar(key, x) for x in items))
                return
            for x in items:
                if isinstance(x, dict):
                    kv = "; ".join(f"{k}: {_flat(v, str(k))}" for k, v in x.items() if v is not None and v != "")
                    out.append(f"{_label(path)}: {kv}")
                else:
                    out.append(f"{_label(path)}: {_flat(x, key)}")
            return
        if value is None or value == "":
            return
        if path:
            out.append(f"{_label(path)}: {_scalar(key, value)}")

    def _flat(v: Any, key: str) -> str:
        if isinstance(v, dict):
            return ", ".join(f"{k}: {_flat(x, str(k))}" for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return "、".join(_flat(x, key) for x in v)
        return _scalar(key, v)

    walk(front_matter or {}, [])
    return out


def profile_chunk(
    doc: Document,
    count_tokens: CountTokens,
    max_tokens: int = 512,
    target_tokens: int = DEFAULT_TARGET_TOKENS,
) -> list[Chunk]:
    """The front matter as "profile" chunk(s) (see module docstring); [] without front matter."""
    if not doc.front_matter or doc.body_start_line <= 1:
        return []
    plines = profile_lines(doc.front_matter)
    if not plines:
        return []
    counter = _Counter(count_tokens, max_tokens)
    end = doc.body_start_line - 1
    atoms = [_Atom(t, 1, end, q=1) for t in plines]
    _tables: dict[int, list[str]] = {}
    path = (PROFILE_HEADING,)
    # cut at field (line) boundaries; a field is only cut when alone longer than the window
    pieces = _chunks_from_atoms(
        atoms, _tables, chunk_header(doc.title, path), counter, max(8, min(target_tokens, max_tokens))
    )
    out = []
    for i, (text, n, _s, _e) in enumerate(pieces):
        order = PROFILE_ORDER_BASE + i
        out.append(Chunk(f"{doc.uid}#{order:04d}", doc.doc_id, path, text, 1, end, order, "profile", n))
    return out
