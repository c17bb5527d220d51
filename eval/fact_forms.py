"""The English forms of a fact spelled the Japanese way, for scoring English answer lines (and the
Japanese forms of an amount spelled the Latin way, for Japanese ones: `japanese_forms`).

Question sets spell facts as the documents do ("350人", "2024年10月", "130億ドル", "約30〜40分"), while
an English answer line states them in English ("350 people", "October 2024", "$13 billion", "about
30–40 minutes"). Without these forms `answer_line_fact_recall` counts a correct English answer line
as a miss. The conversion is written here, apart from the answer path (rag.answer.value_text), so
the metric does not inherit that code's mistakes: it only knows how a figure is written in English.

Only figures are converted: numbers with a Japanese scale (万 / 億 / 兆) and a currency, counts with a
counter word (人, 件, 店舗…: the bare number), multiples (倍), durations, percentages and dates. Words
and names are left to the question set's own alternatives.
"""

from __future__ import annotations

import re
import unicodedata

_MONTHS = ("January February March April May June July August September October November December").split()
_SCALES = {"万": 10**4, "億": 10**8, "兆": 10**12}
_CURRENCY = {"円": ("¥", "yen", "JPY"), "ドル": ("$", "dollars", "USD"), "ユーロ": ("€", "euros", "EUR")}
_DURATIONS = {
    "分": ("minutes", "minute"),
    "分間": ("minutes", "minute"),
    "秒": ("seconds", "second"),
    "時間": ("hours", "hour"),
    "日": ("days", "day"),
    "日間": ("days", "day"),
    "週": ("weeks", "week"),
    "週間": ("weeks", "week"),
    "ヶ月": ("months", "month"),
    "か月": ("months", "month"),
    "カ月": ("months", "month"),
    "ヵ月": ("months", "month"),
    "箇月": ("months", "month"),
    "年間": ("years", "year"),
}
# counter words after a count: in English the number stands with a noun of its own (350人 → 350 people)
_COUNTERS = (
    "人分|人|名|件|社|店舗|店|台|種類|種|個|回|本|枚|拠点|か国|ヶ国|カ国|国|校|品目|項目|言語|部署|部門|チーム|"
    "病院|施設|都市|機能|モデル|アプリ|ユーザー|職員"
)
_QUAL_BEFORE = re.compile(r"^(?:約|およそ|最大|最大で|累計|合計|計|年間|月間|年|月|毎月|毎年)+")
_QUAL_AFTER = re.compile(r"(?:以上|以下|超え?|強|弱|程度|前後|余り|余|未満|近く|ほど|分)$")
_NUM = r"\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^({_NUM})\s*[~〜～\-–—]\s*({_NUM})$")


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _amount_forms(value: float) -> list[str]:
    """`value` as English writes it: 1.3 billion / 1.3B / 1,300 million; 15,000; 2.5 trillion."""
    out: list[str] = []
    for scale, word, letter in ((10**12, "trillion", "T"), (10**9, "billion", "B"), (10**6, "million", "M")):
        if value >= scale:
            v = _fmt(value / scale)
            out += [f"{v} {word}", f"{v}{letter}"]
    if value < 10**9 or value == int(value):
        out.append(_fmt(value))
    return out


def _money(num: str, scale: str, currency: str) -> list[str]:
    value = float(num) * _SCALES.get(scale, 1)
    return _in_currency(_amount_forms(value), currency)


def _in_currency(forms: list[str], currency: str) -> list[str]:
    """`forms` of an amount written with the currency's symbol, word and code (as they are without one)."""
    if not currency:
        return forms
    sym, word, code = _CURRENCY[currency]
    return [f"{sym}{f}" for f in forms] + [f"{f} {word}" for f in forms] + [f"{code} {f}" for f in forms]


def _money_range(lo: str, hi: str, scale: str, currency: str) -> list[str]:
    """A range of money in English: both ends in the largest scale the lower end reaches (1-5億円 →
    ¥100-500 million, 135～205億円 → ¥13.5-20.5 billion)."""
    a, b = float(lo) * _SCALES[scale], float(hi) * _SCALES[scale]
    word, letter, unit = next(
        (
            (w, x, u)
            for u, w, x in ((10**12, "trillion", "T"), (10**9, "billion", "B"), (10**6, "million", "M"))
            if a >= u
        ),
        ("", "", 1),
    )
    nums = f"{_fmt(a / unit)}-{_fmt(b / unit)}"
    return _in_currency([f"{nums} {word}".strip(), f"{nums}{letter}"], currency)


def _date(s: str) -> list[str]:
    m = re.fullmatch(r"(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?(?:頃|ごろ|時点)?", s)
    if not m:
        return []
    y, mo, d = m.group(1), m.group(2), m.group(3)
    if not mo:
        return [y]
    month = _MONTHS[int(mo) - 1]
    if not d:
        return [f"{month} {y}", f"{month[:3]} {y}", f"{y}-{int(mo):02d}"]
    return [f"{month} {int(d)}, {y}", f"{int(d)} {month} {y}", f"{y}-{int(mo):02d}-{int(d):02d}"]


def english_forms(fact: str) -> list[str]:
    """Forms `fact` takes in English text (empty when it is no figure this module converts)."""
    s = unicodedata.normalize("NFKC", fact or "").strip().replace(",", "")
    s = s.replace("ヶ月", "ヶ月").replace("ケ月", "ヶ月")
    dates = _date(s)
    if dates:
        return dates
    core = _QUAL_BEFORE.sub("", s)
    out: list[str] = []
    m = re.fullmatch(rf"({_NUM})\s*(万|億|兆)?\s*(円|ドル|ユーロ)?", core)
    if m and (m.group(2) or m.group(3)):
        return _money(m.group(1), m.group(2) or "", m.group(3) or "")
    core = _QUAL_AFTER.sub("", core) if not re.search(r"\d分$", core) else core
    m = re.fullmatch(rf"({_NUM})\s*(万|億|兆)?\s*(円|ドル|ユーロ)?", core)
    if m and (m.group(2) or m.group(3)):
        return _money(m.group(1), m.group(2) or "", m.group(3) or "")
    m = re.fullmatch(rf"({_NUM})\s*[~〜～\-–—]\s*({_NUM})\s*(万|億|兆)\s*(円|ドル|ユーロ)?", core)
    if m:  # 135～205億円 → ¥13.5-20.5 billion
        return _money_range(m.group(1), m.group(2), m.group(3), m.group(4) or "")
    m = re.fullmatch(rf"({_NUM})\s*%\s*[~〜～\-–—]\s*({_NUM})\s*%", core)
    if m:  # 50%～70% → 50-70%
        lo, hi = m.group(1), m.group(2)
        return [f"{lo}-{hi}%", f"{lo}% to {hi}%", f"{lo} to {hi} percent", f"{lo}%-{hi}%"]
    m = re.fullmatch(rf"({_NUM}(?:\s*[~〜～\-–—]\s*{_NUM})?)\s*(%|パーセント|倍)", core)
    if m:
        n = m.group(1)
        r = _RANGE.match(n)
        nums = [n] if not r else [f"{r.group(1)}-{r.group(2)}", f"{r.group(1)} to {r.group(2)}"]
        if m.group(2) == "倍":
            return [f for x in nums for f in (f"{x}x", f"{x}×", f"{x} times", f"{x}-fold")]
        return [f"{x}%" for x in nums] + [f"{x} percent" for x in nums]
    m = re.fullmatch(rf"({_NUM})\s*万\s*({'|'.join(map(re.escape, _DURATIONS))})", core)
    if m:  # 13.4万時間 → 134,000 hours
        n = _fmt(float(m.group(1)) * 10**4)
        return [f"{n} {w}" for w in _DURATIONS[m.group(2)]]
    m = re.fullmatch(rf"({_NUM}(?:\s*[~〜～\-–—]\s*{_NUM})?)\s*({'|'.join(map(re.escape, _DURATIONS))})", core)
    if m:
        r = _RANGE.match(m.group(1))
        nums = [m.group(1)] if not r else [f"{r.group(1)}-{r.group(2)}", f"{r.group(1)} to {r.group(2)}"]
        return [f"{x} {w}" for x in nums for w in _DURATIONS[m.group(2)]] + [
            f"{x}-{w}" for x in nums for w in _DURATIONS[m.group(2)][:2]
        ]
    m = re.fullmatch(rf"({_NUM})\s*(万)?\s*(?:{_COUNTERS})", core)
    if m:
        value = float(m.group(1)) * (10**4 if m.group(2) else 1)
        return _amount_forms(value)
    return out


# ------------------------------------------------------------------------------------ Latin → Japanese

_LATIN_SCALES = {"k": 10**3, "m": 10**6, "mn": 10**6, "million": 10**6, "b": 10**9, "bn": 10**9, "billion": 10**9}
_LATIN_SCALES |= {"t": 10**12, "trillion": 10**12}
_CURRENCY_WORD = {"$": "ドル", "us$": "ドル", "€": "ユーロ", "¥": "円", "£": "ポンド"}
_LATIN_AMOUNT = re.compile(
    rf"(?P<sym>US\$|[$€¥£])?\s*(?P<a>{_NUM})(?:\s*[~〜～\-–—]\s*(?:US\$|[$€¥£])?\s*(?P<b>{_NUM}))?"
    r"\s*(?P<scale>million|billion|trillion|bn|mn|[KkMBT])?\+?",
    re.I,
)


def _ja_number(value: float) -> str:
    """1.301e8 → 1億3010万 (兆 / 億 / 万 and the rest; no thousands commas: the folding removes them)."""
    v, out = round(value), ""
    for size, mark in ((10**12, "兆"), (10**8, "億"), (10**4, "万")):
        if v >= size:
            out += f"{v // size}{mark}"
            v %= size
    return out + (str(v) if v else "") if out else _fmt(value)


def japanese_forms(fact: str) -> list[str]:
    """Forms an amount written the Latin way takes in Japanese text ("$130.1M" → 1億3010万ドル, "47B" →
    470億, "$8-12M" → 800万~1200万ドル / 800~1200万ドル); empty for anything else. Only figures with a
    scale (K / M / B / T) are converted: "$0.99" or "25%" read the same in both languages."""
    s = unicodedata.normalize("NFKC", fact or "").strip().replace(",", "")
    m = _LATIN_AMOUNT.fullmatch(s)
    if not m or not m.group("scale"):
        return []
    mult = _LATIN_SCALES[m.group("scale").lower()]
    word = _CURRENCY_WORD.get((m.group("sym") or "").lower(), "")
    lo = _ja_number(float(m.group("a")) * mult)
    if not m.group("b"):
        return [lo + word]
    hi = _ja_number(float(m.group("b")) * mult)
    forms = [f"{lo}~{hi}{word}"]
    shared = re.fullmatch(r"(\d+)([万億兆])", lo)
    if shared and hi.endswith(shared.group(2)) and re.fullmatch(r"\d+[万億兆]", hi):
        forms.append(f"{shared.group(1)}~{hi}{word}")  # 800~1200万ドル: the scale written once
    return forms
