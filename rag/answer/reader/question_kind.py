"""What kind of value a question asks for (the question side of rag.answer.reader.answer_types).

    qt = question_type("Mistral AIはいつ設立された？")   # → QType(kind="date", counter="", …)

The rules are general Japanese and English grammar, not phrases of any question set: interrogatives
(いくら / 何% / 何割 / いつ / 何年 / 何人 / 誰 / どこ / how much / how many / how long / when / who / where /
which …), the counter that follows 何 (何店舗 → 店舗), and generic nouns that name a kind of value (金額 / 率 /
price / valuation / percentage …). Kinds: rag.answer.reader.answer_types.KINDS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.counters import JA_COUNTERS
from rag.answer.reader.answer_types import KINDS, nfkc
from rag.ingest.japanese import detect_language

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
