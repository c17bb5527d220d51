"""Values of an English briefing stated in English: numbers, currencies, dates and counts written the
Japanese way are rendered for an English reader (600億円 → ¥60 billion, 2023年4月 → April 2023,
350名 → 350 people, 18-24ヶ月 → 18-24 months), and a name given in Latin script with a Japanese
reading keeps the Latin form ("Arthur Mensch（アルチュール・メンシュ）" → "Arthur Mensch"). Words
are not translated; what is not a number, date or name is left as written.

Note: issue #14's answer line needs the same ja → en rendering; this module is the briefing's own
minimal version (rag/answer had no shared renderer when it was written)."""

from __future__ import annotations

import re

from rag.brief.records import BriefItem
from rag.brief.text import _MONTHS, nfkc

_KANA_ONLY = r"[\u3040-\u30ff・ー\s]+"
# "Arthur Mensch（アルチュール・メンシュ）" / "アルチュール・メンシュ（Arthur Mensch）"
_LATIN_THEN_KANA = re.compile(r"([A-Za-z][A-Za-z0-9 .&'\-]*?)\s*[（(]" + _KANA_ONLY + r"[）)]")
_KANA_THEN_LATIN = re.compile(r"[\u30a0-\u30ff・ー]+\s*[（(]([A-Za-z][A-Za-z0-9 .&'\-]*)[）)]")

_NUM = r"\d[\d,]*(?:\.\d+)?"
_RANGE_SEP = r"\s*[-–~〜～]\s*"
_CURRENCY = {"円": "¥", "ドル": "$", "米ドル": "$", "ユーロ": "€", "ポンド": "£"}
_COUNT_UNITS = {
    "名": "people",
    "人": "people",
    "時間": "hours",
    "分": "minutes",
    "秒": "seconds",
    "ヶ月": "months",
    "ヵ月": "months",
    "か月": "months",
    "カ月": "months",
    "ケ月": "months",
    "週間": "weeks",
    "年間": "years",
    "日間": "days",
    "年": "years",
    "件": "cases",
    "社": "companies",
    "店舗": "stores",
    "店": "stores",
    "カ国": "countries",
    "か国": "countries",
    "言語": "languages",
}
_KANJI_SCALE = {"兆": 1e12, "億": 1e8, "万": 1e4}

# 5兆8,000億円 / 600億円 / 30億5000万ドル / 220万時間 (one big number with 兆/億/万 parts)
_BIG = re.compile(
    r"(?P<about>約|およそ)?\s*"
    r"(?P<big>(?:" + _NUM + r"\s*[兆億万])+(?:" + _NUM + r"(?![\d兆億万]))?)"
    r"\s*(?P<unit>米ドル|ドル|円|ユーロ|ポンド|人|名|時間|件|社)?"
)
# 18-24ヶ月 / 350名 / 2-3倍 / 約30〜40分
_COUNT = re.compile(
    r"(?P<about>約|およそ)?\s*(?P<n>" + _NUM + r"(?:" + _RANGE_SEP + _NUM + r")?)"
    r"(?P<unit>"
    + "|".join(sorted((re.escape(u) for u in list(_COUNT_UNITS) + list(_CURRENCY) + ["倍"]), key=len, reverse=True))
    + r")"
)
_DATE_YMD = re.compile(r"((?:19|20)\d\d)年\s*(\d{1,2})月\s*(\d{1,2})日")
_DATE_YM = re.compile(r"((?:19|20)\d\d)年\s*(\d{1,2})月")
_YEAR_PART = re.compile(r"((?:19|20)\d\d)年(?:\s*(初頭|初め|初|前半|後半|半ば|末|度|代))?(?=(.?))")
_MONTH_ONLY = re.compile(r"(?<![\d年])(\d{1,2})月")
_PUNCT = str.maketrans({"（": " (", "）": ")", "、": ", ", "，": ", ", "：": ": ", "；": "; ", "〜": "–", "～": "–"})


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _scaled(v: float) -> str:
    """60000000000 → "60 billion", 5.8e12 → "5.8 trillion", 220000 → "220,000"."""
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(v) >= size:
            x = v / size
            s = f"{x:.2f}".rstrip("0").rstrip(".")
            return f"{s} {word}"
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


def _big_value(big: str) -> float:
    total = 0.0
    rest = big
    for m in re.finditer(r"(" + _NUM + r")\s*([兆億万])", big):
        total += _num(m.group(1)) * _KANJI_SCALE[m.group(2)]
        rest = rest.replace(m.group(0), "", 1)
    rest = rest.strip()
    if rest:
        total += _num(rest)
    return total


def _with_unit(amount: str, unit: str | None) -> str:
    if not unit:
        return amount
    if unit in _CURRENCY:
        return f"{_CURRENCY[unit]}{amount}"
    if unit == "倍":
        return f"{amount}x"
    return f"{amount} {_COUNT_UNITS[unit]}"


def _about(m: re.Match[str]) -> str:
    return "about " if m.group("about") else ""


def _big_sub(m: re.Match[str]) -> str:
    return _about(m) + _with_unit(_scaled(_big_value(m.group("big"))), m.group("unit"))


def _count_sub(m: re.Match[str]) -> str:
    n = re.sub(_RANGE_SEP, "–", m.group("n")) if re.search("[〜～~]", m.group("n")) else m.group("n")
    return _about(m) + _with_unit(n, m.group("unit"))


def _year_part(m: re.Match[str]) -> str:
    y, part = m.group(1), m.group(2)
    gap = " " if re.match(r"[\u3040-\u30ff\u4e00-\u9fff]", m.group(3) or "") else ""  # "2025年人員" ≠ 2025 people
    return (
        gap
        + {
            None: y,
            "初": f"early {y}",
            "初頭": f"early {y}",
            "初め": f"early {y}",
            "前半": f"first half of {y}",
            "後半": f"second half of {y}",
            "半ば": f"mid-{y}",
            "末": f"end of {y}",
            "度": f"FY{y}",
            "代": f"{y}s",
        }[part]
        + gap
    )


def latin_name(text: str) -> str:
    """The Latin-script form of a name the document gives in both scripts, else the text."""
    s = _LATIN_THEN_KANA.sub(lambda m: m.group(1).strip(), text)
    return _KANA_THEN_LATIN.sub(lambda m: m.group(1).strip(), s)


def english_value(text: str) -> str:
    """A value as an English briefing states it (see the module doc); idempotent on English text."""
    s = latin_name(str(text).strip())
    s = nfkc(s.replace("（", " (").replace("）", ")")).strip()
    s = _DATE_YMD.sub(lambda m: f"{_MONTHS[int(m.group(2)) - 1]} {int(m.group(3))}, {m.group(1)}", s)
    s = _DATE_YM.sub(lambda m: f"{_MONTHS[int(m.group(2)) - 1]} {m.group(1)}", s)
    s = _YEAR_PART.sub(_year_part, s)
    s = _BIG.sub(_big_sub, s)
    s = _COUNT.sub(_count_sub, s)
    s = _MONTH_ONLY.sub(lambda m: _MONTHS[int(m.group(1)) - 1] if 1 <= int(m.group(1)) <= 12 else m.group(0), s)
    s = s.translate(_PUNCT)
    s = re.sub(r"\s+([,.;:)])", r"\1", s)
    s = re.sub(r"\(\s+", "(", s)
    return re.sub(r"\s{2,}", " ", s).strip()


def english_item(item: BriefItem) -> None:
    """Render a fact / figure item's value for an English briefing (quotes and citations unchanged)."""
    if item.kind not in ("fact", "figure") or not item.value:
        return
    new = english_value(item.value)
    if new == item.value:
        return
    if item.text == item.value:
        item.text = new
    elif item.text.endswith(item.value):
        item.text = item.text[: len(item.text) - len(item.value)] + new
    item.value = new
