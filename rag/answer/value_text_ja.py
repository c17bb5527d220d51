"""English values rewritten in Japanese (used by rag.answer.answer_line): amounts, dates and units
($14B → 140億ドル, April 2023 → 2023年4月, 30 minutes → 30分, "$400k–$600k" → 40万〜60万ドル). The
Japanese → English direction and the number helpers both share are in rag.answer.value_text."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from rag.answer.value_text import _DASH, _MIXED_AMOUNT, _NUM, MONTH_RE, _dec, _iso, _mixed, _plain, ja_number, month_no

_CURRENCY_EN = {"$": "ドル", "US$": "ドル", "€": "ユーロ", "¥": "円", "£": "ポンド"}
_SCALE_EN = {"trillion": 12, "t": 12, "billion": 9, "bn": 9, "b": 9}
_SCALE_EN |= {"million": 6, "mn": 6, "m": 6, "thousand": 3, "k": 3}
_UNIT_JA = {"people": "人", "persons": "人", "person": "人", "employees": "人", "employee": "人", "staff": "人"}
_UNIT_JA |= {"hours": "時間", "hour": "時間", "minutes": "分", "minute": "分", "mins": "分", "min": "分"}
_UNIT_JA |= {"seconds": "秒", "second": "秒", "days": "日", "day": "日", "weeks": "週間", "week": "週間"}
_UNIT_JA |= {"months": "か月", "month": "か月", "years": "年", "year": "年", "times": "倍", "x": "倍"}
_UNIT_JA |= {"companies": "社", "stores": "店舗", "languages": "言語", "hospitals": "病院", "pages": "ページ"}
_PRE_JA = {"about": "約", "around": "約", "approximately": "約", "approx.": "約", "roughly": "約", "up to": "最大"}
_POST_JA = {"over": "超", "more than": "超", "at least": "以上", "under": "未満", "less than": "未満"}

_en_unit_alt = "|".join(sorted(map(re.escape, _UNIT_JA), key=len, reverse=True))
_EN_AMOUNT = re.compile(
    rf"(?i:(?P<pre>about|around|approximately|approx\.|roughly|up to|over|more than|at least|under|less than)\s+)?"
    rf"(?:(?P<sym>US\$|[$€¥£])\s*)?(?P<a>{_NUM})(?:{_DASH}(?:(?P=sym)\s*)?(?P<b>{_NUM}))?"
    rf"\s*(?P<scale>(?i:trillion|billion|million|thousand|bn|mn)(?![a-z])|[TtBbMmKk](?![A-Za-z]))?"
    rf"(?P<pct>%)?(?:\s*(?P<unit>(?i:{_en_unit_alt}))(?![A-Za-z]))?"
)


def _amount_ja(m: re.Match[str]) -> str:
    sym, scale, unit = m.group("sym") or "", (m.group("scale") or "").lower(), (m.group("unit") or "").lower()
    pre = (m.group("pre") or "").lower()
    if not (sym or scale or unit or m.group("pct") or pre):
        return m.group(0)
    if scale in ("t", "m") and not sym and unit:
        scale = ""  # "5 m" next to a unit: not a scale
    mult = Decimal(10) ** _SCALE_EN.get(scale, 0)

    def one(x: str) -> str:
        v = _dec(x) * mult
        return ja_number(v) if v >= 10**4 else _plain(v)

    text = one(m.group("a")) + (f"〜{one(m.group('b'))}" if m.group("b") else "")
    text += "%" if m.group("pct") else ""
    text += _CURRENCY_EN.get(sym, "") + _UNIT_JA.get(unit, "")
    if pre in _PRE_JA:
        return _PRE_JA[pre] + text
    return text + _POST_JA.get(pre, "")


_EN_DATE = re.compile(
    rf"(?i:(?P<part>early|mid-?|late|end of)\s*)?(?P<mon>{MONTH_RE})\s+(?:(?P<d>\d{{1,2}}),?\s+)?(?P<y>(?:19|20)\d\d)"
    rf"|(?P<q>Q[1-4])(?:\s*[-–]\s*(?P<q2>Q[1-4]))?\s+(?P<qy>(?:19|20)\d\d)|FY\s?(?P<fy>(?:19|20)\d\d)"
    rf"|(?P<h>H[12])\s+(?P<hy>(?:19|20)\d\d)"
)


def _date_ja(m: re.Match[str]) -> str:
    if m.group("fy"):
        return f"{m.group('fy')}年度"
    if m.group("q"):
        q2 = f"-{m.group('q2')[1]}" if m.group("q2") else ""
        return f"{m.group('qy')}年第{m.group('q')[1]}{q2}四半期"
    if m.group("h"):
        return f"{m.group('hy')}年{'上' if m.group('h') == 'H1' else '下'}半期"
    s = f"{m.group('y')}年{month_no(m.group('mon'))}月" + (f"{int(m.group('d'))}日" if m.group("d") else "")
    part = (m.group("part") or "").lower().rstrip("-")
    return s + {"early": "上旬", "mid": "中旬", "late": "下旬", "end of": "末"}.get(part, "")


def _mixed_ja(m: re.Match[str]) -> str:
    """$8兆 → 8兆ドル; ¥1-5億円 → 1-5億円 (the currency once, where the document also wrote it after)."""
    word = _CURRENCY_EN[m.group("sym")]
    return m.group("n") + m.group("scale") + ("" if m.string.startswith(word, m.end()) else word)


def to_ja(text: str) -> str:
    s = _iso(_mixed(unicodedata.normalize("NFKC", text)), "ja")
    # "$8兆" is 8兆ドル: the Japanese scale word stays with the number, the currency goes after it
    s = _MIXED_AMOUNT.sub(_mixed_ja, s)
    s = _EN_DATE.sub(_date_ja, s)
    s = re.sub(r"([$€¥£])([\d.,]+)([kKMBT])\s*[-–~]\s*\1([\d.,]+)\3(?![A-Za-z])", r"\1\2-\4\3", s)  # $400k–$600k
    s = _EN_AMOUNT.sub(_amount_ja, s)
    s = re.sub(r"\(([^()]*)\)", r"（\1）", s)
    s = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", s)
    return re.sub(r"\s+(?=[（])|(?<=[）])\s+", "", s).strip()
