"""How often: Japanese frequency expressions as one value, and their English rendering.

    FREQUENCY.findall("監査は月1回、モデルは四半期ごとに更新")   # → ["月1回", "四半期ごと"]
    frequency_en("年4回以上")   # → "at least 4 times a year"
    frequency_en("3ヶ月ごと")   # → "every 3 months"

A frequency is a period and a count (月1回, 年4回以上, 1日2回, 週3-5回), an interval (3ヶ月ごと, 8週間おき)
or a word (毎日, 四半期ごと, 月次). Without the period "1回" says nothing about how often; without "ごと"
"3ヶ月" reads as a duration. General Japanese, not phrases of any question set.
"""

from __future__ import annotations

import re

_NUM = r"\d+(?:\.\d+)?(?:\s*[-~〜～–]\s*\d+(?:\.\d+)?)?"
_BOUND = r"(?:以上|以下|程度|前後|ほど|未満)?"
_PERIOD_EN = {"日": "day", "1日": "day", "一日": "day", "週": "week", "月": "month", "年": "year", "四半期": "quarter"}
_PERIOD_EN |= {"年間": "year", "月間": "month", "週間": "week"}
_UNIT_EN = {
    "日": "day",
    "週": "week",
    "週間": "week",
    "か月": "month",
    "ヶ月": "month",
    "カ月": "month",
    "ヵ月": "month",
    "箇月": "month",
    "年": "year",
    "時間": "hour",
    "分": "minute",
}
_WORD_EN = {
    "毎日": "daily",
    "日次": "daily",
    "毎週": "weekly",
    "週次": "weekly",
    "毎月": "monthly",
    "月次": "monthly",
    "毎年": "yearly",
    "年次": "yearly",
    "毎四半期": "quarterly",
    "四半期ごと": "quarterly",
    "四半期毎": "quarterly",
    "半期ごと": "every half year",
    "半年ごと": "every six months",
    "毎時": "hourly",
}
_BOUND_EN = {
    "以上": "at least ",
    "以下": "up to ",
    "程度": "about ",
    "前後": "about ",
    "ほど": "about ",
    "未満": "under ",
}

# a period and a count: 月1回, 年4回以上, 1日2回, 週3-5回, 毎月2回
_COUNT = re.compile(
    rf"(?<![\u4e00-\u9fff])(?:毎|各)?(1日|一日|四半期|年間|月間|週間|[日週月年])\s*(?:に)?\s*(約)?({_NUM})\s*回({_BOUND})"
)
# an interval: 3ヶ月ごと, 8週間おき, 2年毎
_EVERY = re.compile(rf"(約)?({_NUM})\s*(週間|か月|ヶ月|カ月|ヵ月|箇月|時間|[日週年分])\s*(?:ごと|毎|おき)(?:に)?")
_WORD = re.compile(
    r"(?<![\u4e00-\u9fff])(?:毎四半期|四半期(?:ごと|毎)|半期ごと|半年ごと|毎[日週月年時](?![間刻])|[日週月年]次(?![元第])"
    r"(?=[でのにはと、。/ ）)]|$))"
)
FREQUENCY = re.compile(f"{_COUNT.pattern}|{_EVERY.pattern}|{_WORD.pattern}")


def _times(n: str) -> str:
    return "once" if n == "1" else "twice" if n == "2" else f"{n.replace('-', '–')} times"


def _plural(unit: str, n: str) -> str:
    return unit if n == "1" else f"{unit}s"


def frequency_en(text: str) -> str:
    """Each Japanese frequency in `text` in English; the rest of the text as it is."""

    def count(m: re.Match[str]) -> str:
        n = re.sub(r"\s+", "", m.group(3)).replace("〜", "-").replace("～", "-").replace("~", "-")
        about = "about " if m.group(2) else ""
        return f"{_BOUND_EN.get(m.group(4), '')}{about}{_times(n)} a {_PERIOD_EN[m.group(1)]}"

    def every(m: re.Match[str]) -> str:
        n = re.sub(r"\s+", "", m.group(2)).replace("〜", "-").replace("～", "-").replace("~", "-")
        about = "about " if m.group(1) else ""
        unit = _UNIT_EN[m.group(3)]
        return f"{about}every {n.replace('-', '–')} {_plural(unit, n)}" if n != "1" else f"{about}every {unit}"

    text = _COUNT.sub(count, text)
    text = _EVERY.sub(every, text)
    return _WORD.sub(lambda m: _WORD_EN.get(m.group(0), m.group(0)), text)
