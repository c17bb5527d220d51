"""Answer types: what kind of value a question asks for, and the typed spans a text contains.

    qt = question_type("Mistral AIはいつ設立された？")   # → QType(kind="date", counter="", …)
    spans = typed_spans("2023年4月に設立され、従業員は約350名。")
        # → [Span(0, 7, "date", "2023年4月"), Span(13, 18, "count", "約350名")]

The rules are general Japanese and English grammar, not phrases of any question set:
interrogatives (いくら / 何% / 何割 / いつ / 何年 / 何人 / 誰 / どこ / how much / how many /
how long / when / who / where / which …), the counter that follows 何 (何店舗 → 店舗), and generic
nouns that name a kind of value (金額 / 率 / price / valuation / percentage …).

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
from rag.ingest.japanese import detect_language, tag

KINDS = ("percent", "frequency", "duration", "date", "amount", "count", "number", "name", "other")
NUMERIC = frozenset({"percent", "frequency", "duration", "date", "amount", "count", "number"})


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s or "")


# ----------------------------------------------------------------------------- question side

_IN_HOW_LONG = (
    r"\s*(?:分|で(?![はもすしあ])|ほど|くらい|ぐらい|程度|以内|かけて|かかっ|要し|を要)"  # 何日で / 何年分: how long
)
_JA = [
    ("percent", re.compile(r"何\s*(?:%|パーセント|割|ポイント)|割合|比率|シェア|(?<![効])率|レート|リテンション")),
    (
        "duration",
        re.compile(
            r"何\s*(?:年間|か月|ヶ月|カ月|ヵ月|箇月|週間|日間|時間|分間?|秒)|"
            rf"何\s*[年日週](?={_IN_HOW_LONG})|"  # 何日で構築した？ 何年で黒字化？: how long, not which day
            r"(?:どれ|どの)(?:くらい|ぐらい|ほど)の(?:期間|時間|年月)|期間|所要時間|"
            r"(?:時間|日数|年数|月数).{0,10}(?:どれ|どの)(?:くらい|ぐらい|ほど|程度)|"
            r"(?<=[\u4e00-\u9fff])(?:時間|日数|年数|月数)(?=は|を|が|[?？]|$)"  # 削減時間は？
        ),
    ),
    (
        "date",
        re.compile(
            rf"いつ|何\s*(?:年(?!間|{_IN_HOW_LONG})|月|日(?!間|{_IN_HOW_LONG})|曜|世紀|年代|時代)|時期|年月日|西暦|年号|"
            r"(?<=[\u4e00-\u9fff])(?:日|年)(?=は|を|が|[?？]|$)"  # 提供開始日は？ 設立年は？
        ),
    ),
    (
        "amount",
        re.compile(
            r"いくら|何\s*(?:円|ドル|ユーロ|ポンド|元)|金額|価格|値段|費用|コスト|料金|予算|売上|収益|利益|"
            r"収入|[評価調達投資]額|額"
        ),
    ),
    ("count", re.compile(rf"何\s*(?:{JA_COUNTERS})|いくつ|[人件回個社]数|数(?=[はをがも]|$|[?？]|について)")),
    ("number", re.compile(r"(?:どれ|どの)(?:くらい|ぐらい|だけ|ほど)|どの程度|何倍|規模")),
    (
        "name",
        re.compile(
            r"誰|だれ|どなた|何者|どこ|何と(?:いう|いい|呼|言)|何という|名前|名称|"
            r"どの(?:会社|企業|国|都市|人物?|団体|組織|大学|チーム|銀行|投資家|モデル|製品|サービス)"
        ),
    ),
    ("other", re.compile(r"何|なに|なん|どれ|どの|どんな|どう|どのよう")),
]
_NAME_WORD = re.compile(r"(?<=[A-Za-z0-9,;:'’)] )[A-Z][a-z][A-Za-z'’\-]*")
_FREQUENCY_ASKED = re.compile(
    r"頻度|(?:[日週月年]|四半期)(?:に|で)?\s*何\s*回|何\s*(?:日|週間|か月|ヶ月|カ月)(?:ごと|おき|毎)|"
    r"\bhow many times (?:a|an|per|each|every) (?:day|week|month|quarter|year)\b|\bwhat (?:frequency|cadence)\b|"
    r"\bon what (?:schedule|cadence)\b"
)
_EN_MONEY = (
    r"price|prices|cost|costs|amount|valuations?|value|revenue|revenues|sales|profit|profits|income|"
    r"budget|fee|fees|salary|funding|investment|worth|spend|spent|paid|pay|raise|raised|arr|(?<!in )charges?|charged|"
    r"cap|ceiling"
)
# money named in a question (how much it cost, spent, invested …): with "how much" an amount is asked, not a share
# beside it. The verb forms added here do not make a question an amount one ("Who invested in X?" asks names)
MONEY_ASKED = re.compile(
    rf"\b(?:{_EN_MONEY}|costing|spends|pays|invest|invests|invested)\b|費用|コスト|価格|金額|予算|投資額|売上|調達額",
    re.I,
)
_EN = [
    (
        "percent",
        re.compile(
            r"\b(?:percent|percentage|per cent|proportion|share|fraction|rate|accuracy|precision|uptime|margins?|"
            r"retention|churn|roi|return on investment)\b|%"
        ),
    ),
    (
        "duration",
        re.compile(
            r"\bhow long\b|\bhow many (?:[a-z\-]+ ){0,2}?(?:years|months|weeks|days|hours|minutes|seconds)\b|"
            r"\b(?:what|which) (?:period|duration)\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"\bwhen\b|\b(?:what|which) (?:years?|months?|dates?|day|decade|century|time)\b|"
            r"\bin what years?\b|\bsince when\b"
        ),
    ),
    (
        "amount",
        re.compile(
            rf"\bhow much\b(?! (?:longer|shorter|faster|slower|more|less|time|bigger|larger))|\b(?:{_EN_MONEY})\b"
        ),
    ),
    # "how many", "number of", "parameter counts", "headcount" (not "counts on" / "counts as")
    ("count", re.compile(r"\bhow many\b|\bnumber of\b|\b(?:head|[a-z\-]+ )counts?\b(?! (?:on|as)\b)")),
    (
        "number",
        re.compile(
            r"\bhow (?:big|large|small|fast|far|high|tall|old|often|heavy|much|many)\b|"
            r"\bwhat (?:[a-z\-]+ ){0,2}(?:size|speed|scale|score|multiple|rating|volume|threshold)\b|\bby how\b|\btimes\b|"
            r"\bwhat (?:[a-z\-]+ ){0,2}(?:results?|outcomes?|impacts?|effects?|benefits?|gains?|savings)\b"
        ),
    ),
    (
        "name",
        re.compile(
            r"\bwho(?:m|se)?\b|\bwhere\b|\bname(?:d|s)?\b|\bcalled\b|\btitled\b|"
            r"\b(?:which|what) (?:(?!of\b)[a-z0-9\-]+ ){0,3}?(?:company|companies|firm|firms|person|people|country|countries|city|"
            r"cities|bank|banks|investor|investors|model|models|product|products|organi[sz]ation|"
            r"organi[sz]ations|university|team|platform|tool|tools|service|services|partner|partners|"
            r"vendor|vendors|customer|customers|brand|language|languages|certifications?|standards?|"
            r"regulators?|regulations?|laws?|acts?|frameworks?|encryption|protocols?|agency|agencies|"
            r"authority|authorities|cloud|clouds|library|libraries|algorithms?|"
            r"software|apps?|applications?|systems?|heads?|leaders?|executives?|officers?|managers?|directors?|"
            r"founders?|projects?|initiatives?)\b"
        ),
    ),
    ("other", re.compile(r"\bwhat\b|\bwhich\b|\bhow\b")),
]
_EN_DATE_WORDS = re.compile(r"\b(?:what|which) (?:years?|months?|dates?|day|decade|century|time)\b|\bsince when\b")
_WH_JA = re.compile(
    r"何\s*[\u4e00-\u9fff%ヶか]{0,3}|なに|なん|誰|だれ|どなた|どこ|いつ|いくら|いくつ|"
    r"どれ(?:くらい|ぐらい|だけ|ほど)?|どの(?:くらい|ぐらい|程度)?|どんな|どう"
)
_WH_EN = re.compile(r"\b(?:what|which|who|whom|whose|when|where|how(?: (?:much|many|long|big|large|old|often|far))?)\b")


_AUX = frozenset("are is was were do does did have has had will would can could should".split())


@dataclass(frozen=True)
class QType:
    kind: str  # one of KINDS
    kinds: tuple[str, ...]  # every kind the question matches, most specific first
    counter: str  # the counter after 何 (何店舗 → 店舗), "" when none
    wh_start: int  # offset of the interrogative in nfkc(question), -1 when none
    wh_end: int


@lru_cache(maxsize=4096)
def question_type(question: str, lang: str | None = None) -> QType:
    """The kind of value `question` asks for (see the module docstring)."""
    q = nfkc(question)
    if lang is None:
        lang = detect_language(q)
    rules = _JA if lang == "ja" else _EN
    text = q if lang == "ja" else q.lower()
    # a capitalised word inside an English question is a name ("Scale AI", "Capital One"): it asks nothing
    asked = text if lang == "ja" else _NAME_WORD.sub("x", q).lower()
    kinds = [k for k, pat in rules if pat.search(asked)]
    if lang == "en" and "amount" in kinds and "count" in kinds and not re.search(r"\bhow much\b", text):
        kinds.remove("amount")  # "how many … raised" counts things
    if (
        lang == "en"
        and "percent" in kinds
        and "count" in kinds
        and "%" not in text
        and not re.search(r"percent|proportion", text)
    ):
        kinds.remove("percent")  # "how many … share"
    if (
        lang == "en"
        and "percent" not in kinds
        and re.search(
            r"\bby how much\b.*\b(?:cut|cuts|reduce[sd]?|lower(?:s|ed)?|improve[sd]?|increase[sd]?|grow|grew|"
            r"rise|rose|fall|fell|drop(?:s|ped)?|decrease[sd]?|shrink|shrank|boost(?:s|ed)?|raise[sd]?)\b",
            text,
        )
    ):
        kinds.insert(0, "percent")  # "By how much does Fin cut support costs?": a change is mostly a share
    if lang == "en" and "date" in kinds and len(kinds) > 1:
        # "How many people were on the team when it started…?": a "when" after the question word is a
        # clause of the question, not what it asks
        first_when = re.search(r"\bwhen\b", text)
        dated = _EN_DATE_WORDS.search(text)
        head = re.search(r"\b(?:how (?:many|much|long)|what|which|who)\b", text)
        if first_when and not dated and head and head.start() < first_when.start():
            kinds.remove("date")
    if lang == "en" and re.search(
        r"^\s*where (?:does|did|do|is|was|will)\b.{0,40}\brank(?:ed|s)?\b|^\s*what (?:rank|ranking)\b", text
    ):
        kinds = ["count"]  # "Where does it rank within Japan?": a place in a ranking (6位), not a place
    if lang == "en" and re.search(
        r"\b(?:founded|established|launched|started|released|set up)\s+(?:first|earlier|later|last)\b", text
    ):
        kinds = ["date"]  # "Which was founded first, X or Y?": each one's date answers it
    multiple = lang == "en" and re.search(r"\b(?:what|which) (?:[a-z\-]+ )?multiple\b", text)
    if multiple:
        kinds = ["count", "number"]  # "what multiple did its investors get back?": 1.5倍, not the sum invested
    often = lang == "en" and bool(re.search(r"\bhow often\b", text))
    times = often and bool(re.search(r"\b(?:a|an|per|each|every|in a) (?:day|week|month|year)\b", text))
    if often:
        # how often: a frequency (月1回, 四半期ごと, 毎日); "… in a week?" else a number of times (3-5回), a bare
        # "how often" else an interval ("How often are the models updated?": 8週間); never a count of models (100+)
        kinds = ["frequency", "count"] if times else ["frequency", "duration"]
    elif _FREQUENCY_ASKED.search(text):
        kinds = ["frequency", *kinds]  # 「どのくらいの頻度で」, 「月に何回」, "how many times a year"
    kinds = [k for k in KINDS if k in kinds] or ["other"]
    if len(kinds) > 1 and "other" in kinds:
        kinds.remove("other")
    counter = ""
    if lang == "ja":
        m = re.search(
            rf"何\s*({JA_COUNTERS}|年間|か月|ヶ月|カ月|週間|日間|時間|分|秒|円|ドル|ユーロ|%|パーセント|割|"
            r"[\u4e00-\u9fff](?![\u4e00-\u9fff]))",
            q,
        )
        if m:
            counter = m.group(1)
    else:
        # the head of the counted noun phrase: its last word before the verb ("how many customer
        # conversations did…" → conversations), else the word after "how many"
        m = re.search(
            r"\bhow many ((?:[a-z\-/]+ ){0,4}?[a-z\-/]+) (?:did|does|do|were|was|are|is|has|have|had|will|would|"
            r"can|could|should|in|on|at|of|for|with|by|from|to|per|across|over|"
            r"work|worked|use|used|serve|served|run|operate|employ|join|joined|visit|receive|get|got)\b",
            text,
        ) or re.search(r"\bhow many ([a-z\-]+)", text)
        if m and m.group(1) in _AUX:
            m = None  # "how many are put toward…": no counted word
        if m:  # "how many minutes a day does…": the counted word is minutes, not day
            counted = re.sub(r"\s+(?:a|an|per|each|every)\s+(?:day|week|month|year|quarter)$", "", m.group(1))
            counter = counted.split()[-1]
        elif multiple:
            counter = "multiple"  # the glossary's 倍
        elif times:
            counter = "often"  # the glossary's 回
    wm = (_WH_JA if lang == "ja" else _WH_EN).search(text)
    return QType(kinds[0], tuple(kinds), counter, wm.start() if wm else -1, wm.end() if wm else -1)


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
