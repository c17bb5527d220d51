"""The answer line: one short sentence in the asker's language built from the extracted span.

`render_value(text, lang)` rewrites a span for the asker:

* ja → en: Japanese numbers with 兆/億/万/百万/千万 and a currency or counter
  (600億円 → ¥60 billion, 1兆2000億円 → ¥1.2 trillion, 230万件 → 2.3 million, 350名 → 350 people,
  約30〜40分 → about 30–40 minutes), dates (2023年4月 → April 2023, 2025年第2-3四半期 → Q2–Q3 2025,
  2024年度 → FY2024), the modifiers around them (約 → about, 以上 → at least, 超 → over, 最大 →
  up to, 従来 → previously), full-width brackets and percent signs; a name given in both scripts
  keeps its Latin form (アルチュール・メンシュ（Arthur Mensch）→ Arthur Mensch). Amounts use the
  short style (€11.7B, $14B) when the span already does, the long one (¥60 billion) otherwise.
* en → ja: $14B → 140億ドル, €1.3 million → 130万ユーロ, April 2023 → 2023年4月, Q2 2025 →
  2025年第2四半期, 30 minutes → 30分, 350 people → 350人, about → 約, over → 超.

`make_answer_line(lang, company, period, span, unit)` puts the company, the value, its label (the
table column or the "label: value" key the span sits under, translated with the project glossary
rag/search/glossary.yaml read backwards) and the period (given, or the one date / funding round of
the unit outside the span) into one deterministic template:
  en: "Mistral AI: €11.7B (about $14B) valuation (Series C, September 2025)."
  ja: "ミストラルAIの評価額は117億ユーロ（約140億ドル）です（Series C、2025年9月）。"

Limits (it is a template, not a translator): Japanese words that neither these rules nor the
glossary know are dropped from an English line when a value remains (the quotes that follow the
line carry them), and kept otherwise; English words stay in a Japanese line; a label is found only
for table rows ("header: value / …", as rag.answer.units writes them) and "label: value"
units; the period is left out when the unit holds several candidate dates.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rag.answer.frequency import FREQUENCY, frequency_en
from rag.answer.value_text import JA, JA_RUN, MONTH_RE, en_number, ja_number, tidy, to_en
from rag.answer.value_text_ja import to_ja
from rag.ingest import default_mapping, japanese
from rag.search import glossary

__all__ = ["en_number", "find_period", "ja_number", "make_answer_line", "render_value", "translate_terms_en"]


@lru_cache(maxsize=1)
def _ja_to_en_terms() -> tuple[tuple[str, str], ...]:
    """Japanese glossary term → its English key (the first key that lists it first, else the
    first that lists it), longest term first."""
    first: dict[str, str] = {}
    anywhere: dict[str, str] = {}
    for key, vals in glossary.load().items():
        for i, v in enumerate(vals):
            if JA.search(v) and not re.fullmatch(r"[十百千万億兆]+", v):  # 億 is no "billion": scales stay numeric
                (first if i == 0 else anywhere).setdefault(v, _cased(key, v, vals))
    merged = {**anywhere, **first}
    return tuple(sorted(merged.items(), key=lambda kv: -len(kv[0])))


def _cased(key: str, term: str, vals: tuple[str, ...]) -> str:
    """A glossary key (lower case, for matching) as English writes it: the entry's own Latin form
    (最高経営責任者 → CEO, not "ceo"), or the name of the country or region the term names (スウェーデン →
    Sweden, 米国 → US, 欧州 → Europe: the facet mapping's names); else the key."""
    own = [v for v in vals if v.casefold() == key]
    places = default_mapping().aliases_for("country", term) | default_mapping().aliases_for("region", term)
    return next(iter(own), None) or next((n for n in sorted(places) if n.casefold() == key), key)


@lru_cache(maxsize=1)
def _ja_terms() -> frozenset[str]:
    return frozenset(_squash(t) for t, _ in _ja_to_en_terms())


_KATA_RUN = re.compile(r"[\u30a1-\u30faー・]+")


def _loanwords_en(run: str) -> str | None:
    """A katakana run made only of loanwords, in the English words they come from (UniDic's lemma:
    クリエイティブツール → "creative tool"); None when any part has none (a name: ウェルズ・ファーゴ)."""
    if not _KATA_RUN.fullmatch(run):
        return None
    glosses = [japanese.loan_source(f) for w, _sp, f in japanese.tag(run) if w != "・"]
    return " ".join(g for g in glosses if g) if glosses and all(glosses) else None


def translate_terms_en(text: str) -> str:
    """Japanese runs replaced by their glossary English where the whole run (or a longest-match
    cover of it) is known; other runs are left as they are."""

    def run(m: re.Match[str]) -> str:
        s, out = m.group(0), []
        i = 0
        while i < len(s):
            for term, key in _ja_to_en_terms():
                if s.startswith(term, i):
                    out.append(key)
                    i += len(term)
                    break
            else:
                loans = _loanwords_en(s)
                return f" {loans} " if loans else s  # not fully covered: leave the run whole
        return " " + " ".join(out) + " "

    return JA_RUN.sub(run, text)


# "N and a half": 1ヶ月半 is 1.5 months (was "1 month 半"), 2年半 2.5 years; a count of years 2 years (was "2 年")
_HALF = re.compile(r"(?<![\d.])(\d{1,3})\s*(ヶ月|か月|カ月|ヵ月|ケ月|年|時間|週間)半")
_YEARS = re.compile(r"(?<![\d.,])(\d{1,2}(?:\.\d)?) 年(?![度目])")
_NTH_YEAR = re.compile(r"(?<![\d.,])(\d{1,2})\s*年目")  # 2年目 → year 2


def _plus_half(m: re.Match[str]) -> str:
    return f"{int(m.group(1))}.5{m.group(2)}"


_CONNECTIVES = re.compile(r"\b(?:to|from|and|or|of|per|about|over|under|up|at|least|most|by|in|the|an?)\b", re.I)


def _has_english(text: str) -> bool:
    """A digit or a Latin word other than a connective ("to" alone is what まで becomes)."""
    return re.search(r"[0-9]|[A-Za-z]{2,}", _CONNECTIVES.sub("", text)) is not None


def render_value(text: str, lang: str) -> str:
    """`text` rendered for an asker of `lang` ("en" or "ja"); see the module docstring."""
    if lang == "ja":
        return to_ja(text)
    if FREQUENCY.fullmatch(text.strip()):
        return frequency_en(text.strip())  # 月1回 → "once a month", 3ヶ月ごと → "every 3 months"
    out = to_en(_HALF.sub(_plus_half, text))
    out = _YEARS.sub(lambda m: f"{m.group(1)} year{'' if m.group(1) == '1' else 's'}", out)
    out = _NTH_YEAR.sub(lambda m: f"year {m.group(1)}", out)
    out = translate_terms_en(out)
    if JA.search(out):
        rest = tidy(JA_RUN.sub(" ", out))
        rest = tidy(re.sub(r"\(\s*[,/]?\s*\)", "", rest))
        rest = re.sub(r"^[\s/,]+|[\s/,]+$", "", rest)  # a separator left beside a dropped run
        if _has_english(rest):
            out = rest
        elif not _has_english(JA_RUN.sub(" ", text)):
            out = text  # no English of its own: not "to" alone (the まで of 「決まるまで待つ」)
    return tidy(out)


# ------------------------------------------------------------------------------ the line

_PERIOD = re.compile(
    r"(?:19|20)\d\d\s*[-〜~～–]\s*(?:19|20)\d\d(?:\s*年度?)?|"  # a year range: 2020-2021年
    r"(?:19|20)\d\d\s*年(?:度|第[1-4](?:[-〜~][1-4])?四半期|\d{1,2}月(?:\d{1,2}日)?|[上下]半期|初頭|初|末)?|"
    r"(?:19|20)\d\d[-/]\d{1,2}(?:[-/]\d{1,2})?(?!\d)|FY\s?(?:19|20)\d\d|"
    rf"Q[1-4]\s+(?:19|20)\d\d|(?:{MONTH_RE})\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d\d|"
    r"(?:Series|シリーズ)\s*[A-Z]\b|(?<![\w.])(?:19|20)\d\d(?![\w.%])"
)


# the headers of a two-column key / value table (項目 | 内容, Item | Value): there the row's first cell,
# not the column header, says what the value is
_KEY_VALUE = re.compile(
    r"^(?:項目|指標|区分|Item|Metric|Key|Field)\s|\s(?:内容|値|数値|詳細|情報|説明|データ|Value|Details?|Description|Content|Data)$",
    re.I,
)


def _pairs(unit_text: str) -> list[tuple[str, str]]:
    """(label, value) pieces of a unit: table rows "h: v / h: v", or one "label: value"."""
    pieces = re.split(r"\s+/\s+", unit_text) if " / " in unit_text else [unit_text]
    out = []
    for p in pieces:
        m = re.match(r"^\s*[-*•]?\s*([^:：]{1,40}?)\s*[:：]\s*(.+)$", p)
        if m and m.group(1).count("(") + m.group(1).count("（") > m.group(1).count(")") + m.group(1).count("）"):
            m = None  # 「Radisson Hotel Group (本社: ベルギー、…)」: a colon inside parentheses labels nothing
        out.append((m.group(1).strip(), m.group(2).strip()) if m else ("", p.strip()))
    return out


def _squash(s: str) -> str:
    return re.sub(r"[\s*,、。()（）]", "", unicodedata.normalize("NFKC", s)).lower()


# a table's generic column header says nothing about the value ("MUFG: metrics.", 「…のメトリクスは80分」)
_GENERIC_LABELS = frozenset(
    "項目 内容 情報 詳細 数値 値 備考 説明 指標 メトリクス メトリック データ 概要 補足 ソース 出典 信頼度 "
    "item items detail details value values information info metric metrics data note notes".split()
)


def _label_for(lang: str, label: str) -> str:
    label = re.sub(r"\s*[（(][^）)]*[）)]\s*", "", unicodedata.normalize("NFKC", label)).strip(" *")
    if not label or label.casefold() in _GENERIC_LABELS:
        return ""
    if lang == "en":
        if not JA.search(label):
            return label
        out = translate_terms_en(label).strip()
        return "" if JA.search(out) else out
    if JA.search(label):
        return label
    vals = glossary.load().get(label.lower())
    return vals[0] if vals else label


def find_period(span_text: str, unit_text: str) -> str | None:
    """The one period of the unit outside the span: a funding round and/or a date (none for a span that is
    a date itself: "創業: 2004年、2009年にリクルートが買収" is founded 2004, not 2004 "(2009)")."""
    if re.fullmatch(r"\s*(?:19|20)\d\d\s*年?(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?\s*", span_text or ""):
        return None
    pairs = _pairs(unit_text)
    sq = _squash(span_text)
    rest = " / ".join(v for _, v in pairs if sq not in _squash(v) or not sq) if len(pairs) > 1 else unit_text
    if len(pairs) == 1 and span_text and span_text in rest:
        rest = rest.replace(span_text, " ")
    found: list[str] = []
    for m in _PERIOD.finditer(rest):
        p = m.group(0).strip()
        if not any(_squash(p) in _squash(f) for f in found):
            found.append(p)
    rounds = [f for f in found if re.match(r"Series|シリーズ", f)]
    dates = [f for f in found if f not in rounds]
    if len(dates) > 1 or len(rounds) > 1:
        return None
    return ", ".join(rounds + dates) or None


def make_answer_line(
    question_lang: str, company_display: str | None, period: str | None, span_text: str, unit_text: str = ""
) -> str:
    """One sentence naming the company (and period), the value and its label, in `question_lang`."""
    lang = "ja" if question_lang == "ja" else "en"
    value = render_value(span_text.strip(), lang)
    label = ""
    sq = _squash(span_text)
    pairs = _pairs(unit_text or "")
    row_key = False
    for i, (lab, val) in enumerate(pairs):
        if lab and sq and sq in _squash(val):
            if i == 1 and len(pairs) in (2, 3) and _KEY_VALUE.search(f"{pairs[0][0]} {lab}"):
                # (a third column is a source or a confidence: 「項目: 利用回数 / 内容: 139万回 / ソース: …」)
                lab, row_key = pairs[0][1], True  # 「項目: 従業員数 / 内容: 約200,000名」: the row's key
            label = _label_for(lang, lab)
            if row_key and lang == "en" and JA.search(lab) and _squash(lab) not in _ja_terms():
                label = ""  # a key read word by word ("develop products" for 開発製品) says less than none
            break
    if period is None and unit_text:
        period = find_period(span_text, unit_text)
    per = render_value(period, lang) if period else ""
    if per and _squash(per) in _squash(value):
        per = ""
    company = (company_display or "").strip()
    if lang == "ja":
        per = re.sub(r"(?<![\d年])((?:19|20)\d\d)(?![\d年])", r"\1年", per.replace(", ", "、"))
        if label:
            head = f"{company}の{label}は" if company else f"{label}は"
            line = f"{head}{value}です" + (f"（{per}）" if per else "")
        else:
            # a value that ends in a noun, a figure or a name takes the copula, as the labelled line does
            # (「Intercom：2011年です」); one that ends in kana is a clause of its own
            copula = "" if re.search(r"[\u3041-\u309f。．.!?！？]$", value) else "です"
            line = (f"{company}：" if company else "") + value + copula + (f"（{per}）" if per else "")
        return line + "。"
    named = not re.search(r"\d", value)  # a name ("Microsoft Azure"), not a figure ("about 33,000 people")
    if label and (row_key and not named or re.fullmatch(r"(?:[A-Z][a-z]+ )?(?:\d{1,2}, )?(?:19|20)\d\d", value)):
        body = f"{label} {value}"  # "founded 1869", "headcount about 8,000 people", "founded 2004"
    elif label and re.search(r"[A-Za-z]$", value) and not re.search(r"\d[BMKT]$", value):
        body = f"{label} — {value}"
    else:
        body = f"{value} {label}".strip()
    line = (f"{company}: " if company else "") + body + (f" ({per})" if per else "")
    return tidy(line) + ("" if line.endswith((".", "?", "!")) else ".")
