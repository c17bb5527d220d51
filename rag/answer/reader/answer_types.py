"""Answer types: the kinds of value, and the typed spans a text contains (what kind of value a question
asks for: rag.answer.reader.question_kind).

    spans = typed_spans("2023年4月に設立され、従業員は約350名。")
        # → [Span(0, 7, "date", "2023年4月"), Span(13, 18, "count", "約350名")]

The rules are general Japanese and English writing of values (numbers, scales, units, counters, dates,
ranges, signs), not phrases of any question set.

Kinds, most specific first: percent, frequency (how often: 月1回, 四半期ごと, 毎日; see rag.answer.frequency),
duration, date, amount, count, number (any other quantity: どれくらい, 何倍, how big …), name (people,
organisations, places, products), other.
Every text span is found on NFKC-normalised text; offsets refer to that normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.counters import JA_COUNTERS
from rag.answer.frequency import FREQUENCY
from rag.ingest.japanese import tag

KINDS = ("percent", "frequency", "duration", "date", "amount", "count", "number", "name", "other")
NUMERIC = frozenset({"percent", "frequency", "duration", "date", "amount", "count", "number"})


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s or "")


def compatible(asked: str, found: str) -> bool:
    """A span of kind `found` can answer a question of kind `asked`."""
    if asked == found:
        return True
    if asked == "number":
        return found in NUMERIC and found not in ("date", "frequency")
    if asked == "count":
        return found == "number"
    if asked == "amount":
        return found == "number"
    return False


# ----------------------------------------------------------------------------- text side

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_KNUM = r"(?:[一二三四五六七八九十百千〇両数]+)"
_PRE = r"(?:(?:約|およそ|最大|最低|最高|少なくとも|計|合計|年間|月間|延べ)\s*|(?:about|approximately|around|nearly|over|more than|less than|up to|at least|some)\s+)?"
_MAG = r"(?:\s*(?:万|億|兆|千|百))*"
# 1億4,000万 / 2兆5,000億: a figure written in two scales is one number (the second part right after the scale)
_N1 = rf"(?:{_NUM}|{_KNUM}){_MAG}(?:(?<=[万億兆]){_NUM}(?:億|万|千|百)?)?"
_NR = rf"{_PRE}{_N1}(?:\s*(?:[-~〜～–]|から|to)\s*{_N1})?"
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_ERA = r"(?:紀元前|明治|大正|昭和|平成|令和|西暦)"

_TEXT_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("number", re.compile(rf"{_NUM}\s*分の\s*{_NUM}")),  # 3分の1 (a fraction, not minutes)
    # 情報漏洩ゼロ, 値下げ要求：ゼロ: a count of none (not ゼロから "from scratch", nor ゼロトラスト)
    ("count", re.compile(r"(?:ほぼ)?ゼロ(?!から|ベース|トラスト|ショット|デイ|エミッション|[\u30a1-\u30fa])")),
    # how often, with its period (rag.answer.frequency): 月1回, 年4回以上, 3ヶ月ごと, 毎日, 四半期ごと; only a
    # question asking how often takes one (compatible): "毎日の問い合わせ" answers no "how much time"
    ("frequency", FREQUENCY),
    # 3ヶ月～1年, 2週間〜1ヶ月, 30分～1時間: a range whose ends carry units of their own is one duration
    # (not 3ヶ月 and the date 1年); the first end's unit is never a bare 年 (2023年～2024年 is a period)
    (
        "duration",
        re.compile(
            rf"{_PRE}{_NUM}\s*(?:年間|か月間?|ヶ月間?|カ月間?|ヵ月間?|週間|日間|時間|分間?|秒間?)\s*[-~〜～–]\s*"
            rf"{_NUM}\s*(?:年間|年半|年(?![\d度月])|か月間?|ヶ月間?|カ月間?|ヵ月間?|週間|日間|日|時間|分間?|秒間?)"
        ),
    ),
    # 30日後削除, 3年後に黒字化: the time until something happens is a duration (not the date 3年)
    ("duration", re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d+)?\s*(?:日|年|か月|ヶ月|カ月|ヵ月|週間)後(?![半期])")),
    # 約4.3年, 2.5年で回収: a year is never written with a decimal, so this is a number of years (it was the date 3年)
    ("duration", re.compile(rf"{_PRE}(?<![\d.,])\d+\.\d+\s*年(?![度月\d間])")),
    # 3年未満, 5-7年での採算化, 1年半: a year of one or two digits without an era (令和5年) is a number of years
    # (not the date 7年); 2年目 / 第3年 / 3年度 name a year of something, 3年間 is read below
    (
        "duration",
        re.compile(
            rf"{_PRE}(?<![\d.,第])(?<!令和)(?<!平成)(?<!昭和)(?<!大正)(?<!明治)"
            r"(?:\d{1,2}\s*[-~〜～–]\s*)?\d{1,2}\s*年(?:半)?(?![度目\d月次代間])"
        ),
    ),
    (
        "percent",
        re.compile(
            rf"{_PRE}{_N1}\s*%\s*(?:[-~〜～–]|から|to)\s*{_N1}\s*%|"  # 50%～70%: one range
            rf"{_NR}\s*(?:%|パーセント|ポイント|percent\b|pt\b)|{_N1}割(?:\s*{_N1}分)?"
        ),
    ),
    (
        "amount",
        re.compile(
            rf"{_PRE}(?:US)?[$€¥£]\s*{_NUM}(?:\s*(?:[-~〜～–]|to)\s*[$€¥£]?\s*{_NUM})?(?:\s*(?:K|M|B|T|bn|mn|million|billion|trillion|ミリオン|ビリオン|万|億|兆)(?![A-Za-z]))?|"
            rf"{_NR}\s*(?:円|米ドル|ドル|ユーロ|ポンド|元|ウォン|dollars?\b|euros?\b|yen\b|USD\b|EUR\b|JPY\b)|"
            rf"(?:USD|EUR|JPY)\s*{_NUM}(?:\s*(?:K|M|B|million|billion)(?![A-Za-z]))?|"
            rf"{_PRE}{_NUM}\s*(?:million|billion|trillion)\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"(?<!\d)(?:19|20)\d\d\s*[-–〜～~]\s*(?:19|20)\d\d\s*年?(?:度)?(?!\d)|"  # 2023-2024年: one period
            rf"{_ERA}?\s*(?:\d{{1,4}}|元|{_KNUM})\s*年(?!間|代以上)(?:\s*\d{{1,2}}\s*月(?!間)(?:\s*\d{{1,2}}\s*(?:[-~〜～–]\s*\d{{1,2}}\s*)?日(?!間))?)?(?:\s*(?:頃|ごろ|初頭|末|半ば|前半|後半|代))?|"
            r"\d{1,2}\s*月\s*\d{1,2}\s*(?:[-~〜～–]\s*\d{1,2}\s*)?日(?!間)|(?<![\d.])\d{1,2}\s*月(?!間|額|次|末の)(?=[\s、。にのはからまで)）]|$)|"
            rf"(?:{_KNUM}|\d+)\s*世紀(?:\s*(?:初頭|前半|後半|末|半ば|頃))?|"
            rf"(?:19|20)\d\d[-/]\d{{1,2}}(?:[-/]\d{{1,2}})?(?!\d)|"
            rf"{_MONTHS}\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d\d|(?:\d{{1,2}}\s+)?{_MONTHS}\s+(?:19|20)\d\d|"
            r"(?<![A-Za-z])(?:(?:Q[1-4]|H[12])\s+(?:FY\s*)?(?:19|20)\d\d|FY\s*(?:19|20)?\d\d)(?!\d)|(?<![\d.,$€¥£])(?:19|20)\d\d(?![\d.,%年])(?:s\b)?"
        ),
    ),
    (
        "duration",
        re.compile(
            rf"(?<=週){_NR}\s*日(?!間)|{_NR}\s*営業日|\d+\.\d+\s*日(?![間本])|"  # 週3.5日, 2-5営業日: days, not a date
            rf"(?<![月\d.,]){_NUM}\s*[-~〜～–]\s*{_NUM}\s*日(?!間)|"  # （3-5日）: days; 3月3-5日 stays a date
            # 約60日, 90日で, 45日以内: a number of days (not the 5日 of 3月5日, taken as a date before)
            r"(?<![月\d.,])(?:(?:約|およそ|わずか|最短|最長)\s*\d+|[4-9]\d|3[2-9]|\d{3,})\s*日(?![間本曜付目次])|"
            r"(?<![月\d.,])\d+\s*日(?=\s*(?:で|以内|程度|ほど|前後|かけ|かか|という|を要))|"
            rf"{_NR}\s*(?:年間|か月間?|ヶ月間?|カ月間?|ヵ月間?|箇月間?|週間|日間|時間|分間|分(?!の|野|析|類|散|担|割|配|け|子|解|かれ|布)|秒間?|"
            r"years?\b|months?\b|weeks?\b|days?\b|hours?\b|hrs?\b|minutes?\b|mins?\b|seconds?\b|secs?\b)"
        ),
    ),
    (
        "count",
        re.compile(
            rf"{_NR}\s*(?:[KMB](?![A-Za-z]))?\s*(?:の(?=[\u4e00-\u9fff\u30a1-\u30fa]{{2}}))?(?:{JA_COUNTERS}|従業員|社員|ユーザー|顧客|users?\b|people\b|persons?\b|employees?\b|customers?\b|companies\b|"
            r"stores?\b|times\b|x(?![A-Za-z0-9])|languages?\b|countries\b|hospitals?\b|models?\b|pages?\b)"
        ),
    ),
    ("number", re.compile(rf"(?<![A-Za-z0-9.,\-]){_NR}(?:[KMBT]|\s*[A-Za-z]{{1,4}})?(?![A-Za-z0-9])")),
]
_KATA_NAME = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}(?:[・=][\u30a1-\u30fa\u30fc]{2,})+")  # アルチュール・メンシュ
_LATIN_NAME = re.compile(
    r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9&'\-./]*[A-Za-z0-9]"  # AML/CFT, TCP/IP: one name
    r"(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z0-9](?:[A-Za-z0-9&'\-.]*[A-Za-z0-9])?)*"
)
# a Latin name of two or more words whose number is part of it ("ISO 27001", "Privacy Act 1988")
_LATIN_WITH_NUMBER = re.compile(r"[A-Za-z][A-Za-z\-]*(?:\s+[A-Za-z0-9\-]+)*\s+\d[\dA-Za-z\-.]*(?:\s+[A-Za-z0-9\-]+)*")
_QUOTED = re.compile(r"[「『“\"]([^」』”\"]{1,40})[」』”\"]")
# an acronym with its expansion: "CMA（Competition and Markets Authority）" is one name, not "Markets Authority";
# "PPC（個人情報保護委員会）" too
_ACRONYM_EXPANDED = re.compile(
    r"(?<![A-Za-z0-9/])[A-Z]{2,6}(?:/[A-Z]{2,6})*\s*[（(](?:[A-Z][A-Za-z&'\-. ]{3,60}|[\u30a1-\u30fa\u30fc\u4e00-\u9fff]{3,20})[）)]"
)
NOT_NAMES = frozenset(
    """the a an this that these those it its and or but in on at for with from by to of as is
are was were be has have had ai api llm ceo cto cfo coo q1 q2 q3 q4 fy usd eur jpy kpi roi yes no
founder co-founder cofounder chairman chairwoman president director chief officer head vice vp manager
executive partner""".split()
)


_WORD_CHAR = re.compile(r"[\u4e00-\u9fff\u30a1-\u30fa\u30fc]")


def _in_word(t: str, a: int, b: int) -> bool:
    """A span written in kanji numerals that a kanji or katakana word continues on either side."""
    return bool(a > 0 and _WORD_CHAR.match(t[a - 1]) or b < len(t) and _WORD_CHAR.match(t[b]))


ORDINAL_BEFORE = re.compile(
    r"(?i)(?:(?<![A-Za-z])(?:phase|step|stage|tier|level|wave|gen|version|ver\.?|no\.|#)\s*|第\s*)$"
)


_JUUBUN_AFTER = ("な", "に", "だ", "と", "で", "。", "、", "")  # 十分な / 十分に …: じゅうぶん, "enough"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    text: str


def _tag(text: str) -> list[tuple[str, str, str]]:
    return tag(text)


@lru_cache(maxsize=20000)
def _name_spans(t: str) -> tuple[Span, ...]:
    """Names in `t` (already NFKC): runs of nouns holding a fugashi proper noun, katakana names,
    capitalised Latin words, 「quoted」 terms."""
    out: list[Span] = []
    pos = 0
    run: list[tuple[int, int, bool]] = []

    def flush() -> None:
        if run and any(p for _, _, p in run):
            a, b = run[0][0], run[-1][1]
            out.append(Span(a, b, "name", t[a:b]))
        run.clear()

    try:
        words = _tag(t)
    except Exception:  # noqa: BLE001 — no tagger: the script-based rules below still run
        words = []
    for surf, ws, feat in words:
        i = t.find(surf, pos)
        if i < 0:
            flush()
            continue
        f = feat.split(",")
        if ws or i > pos and t[pos:i].strip():
            flush()
        nominal = (
            f[0] == "名詞" and (len(f) < 2 or f[1] != "数詞") or (f[0] == "接尾辞" and len(f) > 1 and f[1] == "名詞的")
        )
        if nominal:
            run.append((i, i + len(surf), len(f) > 1 and f[1] == "固有名詞"))
        else:
            flush()
        pos = i + len(surf)
    flush()
    for m in _KATA_NAME.finditer(t):
        out.append(Span(m.start(), m.end(), "name", m.group(0)))
    for m in _LATIN_NAME.finditer(t):
        w = m.group(0).rstrip(".")
        if w.lower() in NOT_NAMES or re.fullmatch(r"[A-Z]\d*|\d.*|[A-Z](?:/[A-Z])+", w):  # not A/B
            continue
        out.append(Span(m.start(), m.start() + len(w), "name", w))
    for m in _QUOTED.finditer(t):
        out.append(Span(m.start(1), m.end(1), "name", m.group(1)))
    for m in _ACRONYM_EXPANDED.finditer(t):
        out.append(Span(m.start(), m.end(), "name", m.group(0)))
    # one span per stretch: drop a name inside a longer one (アルチュール in アルチュール・メンシュ)
    out = sorted(set(out), key=lambda s: (s.start, -s.end))
    keep: list[Span] = []
    for s in out:
        if any(k.start <= s.start and s.end <= k.end for k in keep):
            continue
        keep.append(s)
    return tuple(keep)


_SIGNED = frozenset({"percent", "amount", "number"})
_VALUE_END = frozenset("万億兆千百円%")  # ¥500万-2,000万円: the dash of a range after a value, no sign


@lru_cache(maxsize=20000)
def typed_spans(text: str, names: bool = True) -> tuple[Span, ...]:
    """Typed value spans of nfkc(text), most specific kind first where spans overlap."""
    t = nfkc(text)
    taken = [False] * (len(t) + 1)
    out: list[Span] = []
    for kind, pat in _TEXT_RULES:
        for m in pat.finditer(t):
            a, b = m.start(), m.end()
            while a < b and t[a].isspace():
                a += 1
            while b > a and t[b - 1].isspace():
                b -= 1
            if b <= a or any(taken[a:b]):
                continue
            if (
                kind in _SIGNED
                and a > 0
                and t[a - 1] in "-−+"
                and (
                    a == 1
                    or not (t[a - 2].isdigit() or t[a - 2].isascii() and t[a - 2].isalnum() or t[a - 2] in _VALUE_END)
                )
                and not taken[a - 1]
            ):
                a -= 1  # 「累積ROI: -67%」, "+30%": the sign is part of the value (not a range's dash: 50-76%)
            if kind == "number" and not re.search(r"\d|[一二三四五六七八九十百千]", t[a:b]):
                continue
            if kind in ("number", "count", "amount") and not re.search(r"\d|ゼロ", t[a:b]) and _in_word(t, a, b):
                continue  # 統一, 一般, 三菱, 一元管理: a kanji numeral inside a word is no value
            if t[a:b] == "一部":
                continue  # "part of", never a count of 部
            if kind in ("number", "count") and ORDINAL_BEFORE.search(t, 0, a) and re.fullmatch(r"\d+", t[a:b]):
                for i in range(a, b):  # "Phase 3", "Step 2", "第2段階": the name of a stage, never a value
                    taken[i] = True
                continue
            if kind == "date" and re.fullmatch(r"\d{4}", t[a:b]) and not re.match(r"(19|20)", t[a:b]):
                continue
            if kind == "duration" and t[a:b] == "十分" and (t[b : b + 1] in _JUUBUN_AFTER or t[a - 1 : a] == "不"):
                for i in range(a, b):  # 十分な / 十分に / 十分だ: じゅうぶん ("enough"), no value at all
                    taken[i] = True
                continue
            for i in range(a, b):
                taken[i] = True
            out.append(Span(a, b, kind, t[a:b]))
    if names:
        for s in _name_spans(t):
            if not any(taken[s.start : s.end]) or _LATIN_WITH_NUMBER.fullmatch(s.text):
                out.append(s)  # "SOC 2 Type II", "Banking Act 1959": the name as well as the number in it
    out.sort(key=lambda s: (s.start, -s.end))
    return tuple(out)
