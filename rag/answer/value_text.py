"""Values rewritten for the other language (used by rag.answer.answer_line): Japanese numbers,
currencies, dates, counters and modifiers into English (`to_en`: 600億円 → ¥60 billion, 2023年4月 →
April 2023, 約30〜40分 → about 30–40 minutes, 350名 → 350 people, 2025年第2-3四半期 → Q2–Q3 2025;
a name given in both scripts keeps its Latin form); the other direction (`to_ja`) is in
rag.answer.value_text_ja, which shares this module's number helpers. Amounts use the
short style (€11.7B, $14B) in English when the span already does, the long one otherwise.
Deterministic rules; words they do not know are left as they are."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from rag.answer.counters import BOUNDS

JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff々〆ー]")
JA_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff々〆ー・]+")
_KANA_NAME = r"[\u30a1-\u30faー・]{2,}"
_LATIN_NAME = r"[A-Z][A-Za-z.'\-]*(?:\s+[A-Z][A-Za-z.'\-]*)*"
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_DASH = r"\s*[〜～~\-–—]\s*"
MONTHS = ("January February March April May June July August September October November December").split()
MONTH_RE = "|".join(m[:3] + r"[a-z]*\.?" for m in MONTHS)

# ------------------------------------------------------------------------------ numbers


def _dec(s: str) -> Decimal:
    return Decimal(s.replace(",", ""))


def _plain(d: Decimal) -> str:
    """Decimal without exponent or trailing zeros, thousands grouped."""
    d = d.quantize(Decimal("0.01")).normalize() if d != d.to_integral_value() else d.to_integral_value()
    s = format(d, "f")
    whole, _, frac = s.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


_EN_SCALES = (
    (Decimal(10) ** 12, "trillion", "T"),
    (Decimal(10) ** 9, "billion", "B"),
    (Decimal(10) ** 6, "million", "M"),
)


def en_number(v: Decimal, short: bool = False) -> str:
    """1.2e12 → "1.2 trillion" ("1.2T" short); below a million, grouped digits (10,000)."""
    for size, word, abbr in _EN_SCALES:
        if v >= size:
            x = _plain(v / size)
            return f"{x}{abbr}" if short else f"{x} {word}"
    return _plain(v)


def ja_number(v: Decimal) -> str:
    """1.2e12 → 1兆2,000億; 1.4e10 → 140億; 2.3e6 → 230万; below 10,000 grouped digits."""
    if v < 10**4:
        return _plain(v)
    out, rest = "", v
    for size, mark in ((Decimal(10) ** 12, "兆"), (Decimal(10) ** 8, "億"), (Decimal(10) ** 4, "万")):
        n = int(rest // size)
        if n:
            out += f"{n:,}{mark}"
            rest -= n * size
    return out + (_plain(rest) if rest >= 1 else "")


_JA_BIG = re.compile(
    rf"(?:(?P<cho>{_NUM})兆)?(?:(?P<oku>{_NUM})億)?(?:(?P<man>{_NUM})(?P<mk>万|百万|千万))?(?P<rest>{_NUM})?"
)


def _ja_value(m: re.Match[str]) -> Decimal | None:
    parts = [m.group(g) for g in ("cho", "oku", "man", "rest")]
    if not any(parts):
        return None
    v = Decimal(0)
    if parts[0]:
        v += _dec(parts[0]) * Decimal(10) ** 12
    if parts[1]:
        v += _dec(parts[1]) * Decimal(10) ** 8
    if parts[2]:
        v += (
            _dec(parts[2]) * {"万": Decimal(10) ** 4, "百万": Decimal(10) ** 6, "千万": Decimal(10) ** 7}[m.group("mk")]
        )
    if parts[3]:
        v += _dec(parts[3])
    return v


# ------------------------------------------------------------------------------ ja → en

_CURRENCY_JA = {"円": "¥", "ドル": "$", "米ドル": "$", "ユーロ": "€", "ポンド": "£"}
_COUNTER_EN = {
    "人": "people",
    "名": "people",
    "万人": "people",
    "件": "",
    "個": "",
    "社": "companies",
    "店舗": "stores",
    "店": "stores",
    "回": "times",
    "台": "units",
    "時間": "hours",
    "分間": "minutes",
    "分": "minutes",
    "秒": "seconds",
    "日間": "days",
    "営業日": "business days",
    "日": "days",
    "週間": "weeks",
    "ヶ月": "months",
    "か月": "months",
    "カ月": "months",
    "ヵ月": "months",
    "年間": "years",
    "倍": "x",
    "言語": "languages",
    "カ国": "countries",
    "ヶ国": "countries",
    "か国": "countries",
    "ヵ国": "countries",
    "病院": "hospitals",
    "ページ": "pages",
    "種類": "types",
    "拠点": "sites",
    "支店": "branches",
    "局": "bureaus",
    "部署": "departments",
    "工場": "factories",
    "施設": "facilities",
    "自治体": "municipalities",
    "項目": "items",
    "位": "th",
}
_SINGULAR = {"people": "person", "hours": "hour", "minutes": "minute", "seconds": "second", "days": "day"}
_SINGULAR |= {"weeks": "week", "months": "month", "years": "year", "companies": "company", "stores": "store"}
_SINGULAR |= {"times": "time", "business days": "business day", "branches": "branch", "factories": "factory"}
_PRE_EN = {
    "約": "about",
    "およそ": "about",
    "推定": "est.",
    "最大": "up to",
    "平均": "average",
    "計": "",
    "合計": "total",
}
_POST_EN = {"以上": ("at least", ""), "超": ("over", ""), "未満": ("under", ""), "以下": ("up to", "")}
_POST_EN |= {"程度": ("about", ""), "前後": ("about", ""), "ほど": ("about", ""), "強": ("just over", "")}
_WORDS_EN = {
    "従来": "previously",
    "前年比": "year on year",
    "年間": "per year",
    "月間": "per month",
    "毎月": "per month",
}
_WORDS_EN |= {"ほぼゼロ": "almost zero", "ゼロ": "zero"}
_WORDS_EN |= {"非公開": "not disclosed", "から": "from", "まで": "to", "、": ", ", "・": " / ", "→": "→"}

_JA_BIG_ANY = re.sub(r"\?P<\w+>", "?:", _JA_BIG.pattern)  # the same, without its group names: 1億4,000万
# 3ヶ月～1年, 30分～1時間: a range whose ends carry units of their own is rendered end by end
_UNIT_RANGE = re.compile(
    r"(?P<left>\d\s*(?:か月|ヶ月|カ月|ヵ月|週間|日間|時間|分間|分|秒|年間))\s*[-~〜～–]\s*"
    r"(?!(?:19|20)\d\d\s*年)(?=\d[\d,.]*\s*(?:年(?!度)|か月|ヶ月|カ月|ヵ月|週間|日|時間|分|秒))"
)
_END = "\x00"  # the dash between such ends while each is rendered
_counter_alt = "|".join(sorted(map(re.escape, _COUNTER_EN), key=len, reverse=True))
_cur_alt = "|".join(sorted(map(re.escape, _CURRENCY_JA), key=len, reverse=True))
_JA_AMOUNT = re.compile(
    rf"(?P<pre>約|およそ|推定|最大|平均|合計)?\s*(?P<sym>[$€¥£])?(?P<a>{_JA_BIG.pattern})"
    rf"(?:{_DASH}(?P<b>(?=\d){_JA_BIG_ANY}))?"
    rf"\s*(?P<unit>{_cur_alt}|%|{_counter_alt})?(?P<post>{BOUNDS}|程度|前後|ほど|強)?"
)


def _one_scale(m: re.Match[str]) -> bool:
    """3,000万 / 40億: exactly one of 兆/億/万 and nothing after it."""
    return sum(bool(m.group(g)) for g in ("cho", "oku", "man")) == 1 and not m.group("rest")


def _scale(m: re.Match[str], value: Decimal) -> Decimal:
    """The 兆/億/万 multiplier of a parsed amount: 40億 (value 4e9) → 1e8."""
    n = _dec(m.group("cho") or m.group("oku") or m.group("man"))
    return value / n if n else Decimal(1)  # "0億": no scale to share


def _amount_en(m: re.Match[str], short: bool) -> str:
    a = _JA_BIG.fullmatch(m.group("a"))
    va = _ja_value(a) if a else None
    if va is None:
        return m.group(0)
    big = any(a.group(g) for g in ("cho", "oku", "man"))
    unit, sym = m.group("unit") or "", m.group("sym") or ""
    if unit in _CURRENCY_JA:
        sym = _CURRENCY_JA[unit]
    b_scaled = bool(re.search(r"[兆億万]", m.group("b") or ""))  # ¥1-5億: the range shares the scale
    if (
        not big
        and not unit
        and not m.group("pre")
        and not m.group("post")
        and (sym and not b_scaled or not m.group("b"))
    ):
        return m.group(0)  # a bare number or an amount already in Latin form: leave it
    b_txt = (m.group("b") or "").strip()
    if (
        not big
        and not unit
        and not sym
        and re.fullmatch(r"(?:19|20)\d\d", m.group("a"))
        and re.fullmatch(r"(?:19|20)\d\d", b_txt)
    ):
        return f"{m.group('a')}–{b_txt}"  # a range of years (2023-2024), not an amount

    def one(v: Decimal, src: str = "") -> str:
        if big or v >= 10**6:
            return en_number(v, short and bool(sym))
        # a figure written with decimals keeps them as written: 92.0% stays 92.0%, not 92%
        return src if re.fullmatch(r"\d[\d,]*\.\d+", src) else _plain(v)

    vb = None
    if m.group("b"):
        bb = _JA_BIG.fullmatch(m.group("b"))
        vb = _ja_value(bb) if bb else None
        b_big = bb is not None and any(bb.group(g) for g in ("cho", "oku", "man"))
        if vb is not None and not b_big and big:
            vb = vb * _scale(a, va)  # 30億〜40: scale shared
        elif vb is not None and not big and bb is not None and _one_scale(bb):
            # 30〜40億 / 2,000-3,000万: the first number takes the second's scale
            va = va * _scale(bb, vb)
            big = True
    text = sym + one(va, m.group("a").strip())
    if m.group("b"):
        second = sym + one(vb, b_txt) if vb is not None else m.group("b")
        head, _, word = text.rpartition(" ")
        if head and second.endswith(" " + word):  # ¥20 million–¥30 million → ¥20–30 million
            text = head + "–" + second[len(sym) :]
        else:
            text += "–" + second
    if unit == "%":
        text += "%"
    elif unit in _COUNTER_EN:
        word = _COUNTER_EN[unit]
        if word == "th":
            n = int(va) if va == va.to_integral_value() else 0
            text += "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        elif word == "x":
            text += "x"
        elif word:
            text += " " + (_SINGULAR.get(word, word) if text == "1" else word)
    pre = _PRE_EN.get(m.group("pre") or "", "")
    post = _POST_EN.get(m.group("post") or "", ("", ""))[0]
    return " ".join(x for x in (pre, post, text) if x)


_JA_DATE = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*年\s*(?:度(?P<fy>)|第\s*(?P<q1>[1-4])(?:\s*[-〜～~–]\s*(?P<q2>[1-4]))?\s*四半期|"
    r"(?P<half>上半期|下半期)|(?P<m>1[0-2]|0?[1-9])\s*月(?:\s*(?P<d>[12]\d|3[01]|0?[1-9])(?:\s*[-〜～~–]\s*(?P<d2>[12]\d|3[01]|0?[1-9]))?\s*日)?"
    r"(?P<mpart>初旬|上旬|中旬|下旬|末)?|(?P<ypart>初頭|初め|初|前半|後半|半ば|末)?)"
)
_MPART_EN = {"初旬": "early", "上旬": "early", "中旬": "mid-", "下旬": "late", "末": "end of"}
_YPART_EN = {"初頭": "early", "初め": "early", "初": "early", "前半": "the first half of", "後半": "the second half of"}
_YPART_EN |= {"半ば": "mid-", "末": "end of"}


def _date_en(m: re.Match[str]) -> str:
    y = m.group("y")
    if m.group("fy") is not None:
        return f"FY{y}"
    if m.group("q1"):
        q = f"Q{m.group('q1')}" + (f"–Q{m.group('q2')}" if m.group("q2") else "")
        return f"{q} {y}"
    if m.group("half"):
        return f"{'H1' if m.group('half') == '上半期' else 'H2'} {y}"
    if m.group("m"):
        month = MONTHS[int(m.group("m")) - 1]
        if m.group("d"):
            d2 = f"–{int(m.group('d2'))}" if m.group("d2") else ""
            return f"{month} {int(m.group('d'))}{d2}, {y}"
        part = _MPART_EN.get(m.group("mpart") or "", "")
        return (f"{part} " if part and not part.endswith("-") else part) + f"{month} {y}"
    part = _YPART_EN.get(m.group("ypart") or "", "")
    return (f"{part} " if part and not part.endswith("-") else part) + y


_MONTH_ONLY = re.compile(
    r"(?<![\d年])(1[0-2]|0?[1-9])\s*月(?:\s*([12]\d|3[01]|0?[1-9]\s*(?:[-〜～~–]\s*(?:[12]\d|3[01]|0?[1-9]))?)\s*日)?"
)


def _day(d: str) -> str:
    """ "3-5" → "3–5", "05" → "5"."""
    return "–".join(str(int(x)) for x in re.split(r"\s*[-〜～~–]\s*", d.strip()))


def latin_names(text: str) -> str:
    """Keep the Latin form of a name the text gives in both scripts (either order)."""
    text = re.sub(rf"({_LATIN_NAME})\s*[（(]\s*{_KANA_NAME}\s*[）)]", r"\1", text)
    return re.sub(rf"{_KANA_NAME}\s*[（(]\s*({_LATIN_NAME})\s*[）)]", r"\1", text)


_VAGUE = {"万": "tens of thousands", "十万": "hundreds of thousands", "百万": "millions", "千万": "tens of millions"}
_VAGUE |= {"億": "hundreds of millions", "十億": "billions", "百億": "tens of billions", "千億": "hundreds of billions"}
_VAGUE |= {"兆": "trillions", "十兆": "tens of trillions"}
_VAGUE |= {"十": "dozens", "百": "hundreds", "千": "thousands"}
_VAGUE_RE = re.compile(
    r"数(十|百|千)?(万|億|兆)\s*(円|ドル|米ドル|ユーロ|ポンド|人|名|件)?|数(十|百|千)(円|ドル|米ドル|ユーロ|ポンド|人|名|件)?"
)
# 数週間, 数ヶ月: "several weeks", "several months" (数十年: "decades")
_SEVERAL = {"週間": "weeks", "時間": "hours", "分": "minutes", "日": "days", "年": "years", "秒": "seconds"}
_SEVERAL |= {"ヶ月": "months", "か月": "months", "カ月": "months", "ヵ月": "months"}
_SEVERAL_RE = re.compile(r"数(十)?(" + "|".join(sorted(map(re.escape, _SEVERAL), key=len, reverse=True)) + r")(?:間)?")
_VAGUE_OF = {
    "円": " of yen",
    "ドル": " of dollars",
    "米ドル": " of dollars",
    "ユーロ": " of euros",
    "ポンド": " of pounds",
}
_VAGUE_OF |= {"人": " of people", "名": " of people"}


def _vague_en(m: re.Match[str]) -> str:
    """数十億円 → billions of yen; 数百万件 → millions."""
    if m.group(4):  # 数百 / 数千人: no 万 / 億 / 兆
        return f" {_VAGUE[m.group(4)]}{_VAGUE_OF.get(m.group(5) or '', '')} "
    words = _VAGUE.get((m.group(1) or "") + m.group(2))
    return f" {words}{_VAGUE_OF.get(m.group(3) or '', '')} " if words else m.group(0)


def _several_en(m: re.Match[str]) -> str:
    unit = _SEVERAL[m.group(2)]
    return " decades " if m.group(1) and unit == "years" else f" {'dozens of' if m.group(1) else 'several'} {unit} "


def _big_abbr(m: re.Match[str]) -> str:
    """€11,700M → €11.7B (an abbreviated amount of a thousand millions or more)."""
    return f"{m.group(1)}{_plain(_dec(m.group(2)) / 1000)}B"


_SCALE_ABBR = re.compile(r"[BMKTk](?![A-Za-z])")  # an abbreviated scale after a number: 300B, €11.7B, 490k


def _per(m: re.Match[str]) -> str:
    """月22万時間 → 22万時間 per month (the rate word moved behind the amount)."""
    amount = _JA_AMOUNT.match(m.group(3))
    if not amount or not amount.group("a"):
        amount = _VAGUE_RE.match(m.group(3))
    if not amount:
        return m.group(0)
    tail = m.group(3)[amount.end() :]
    abbr = _SCALE_ABBR.match(tail)  # 年間300B: the abbreviated scale stays with the amount
    if abbr:
        return f"{amount.group(0)}{abbr.group(0)}{' per month' if m.group(1) else ' per year'}{tail[1:]}"
    return f"{amount.group(0)}{' per month' if m.group(1) else ' per year'}{tail}"


_ISO_DATE = re.compile(r"(?<![\d\-/])((?:19|20)\d\d)-(\d{1,2})(?:-(\d{1,2}))?(?![\d\-/])")


def _iso(text: str, lang: str) -> str:
    """ISO dates (2025-05-05, 2025-05) as words: May 5, 2025 / 2025年5月5日; a year range (2023-2024)
    or an impossible month stays as it is."""

    def one(m: re.Match[str]) -> str:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None
        if not 1 <= mo <= 12 or (d is not None and not 1 <= d <= 31):
            return m.group(0)
        if lang == "ja":
            return f"{y}年{mo}月" + (f"{d}日" if d else "")
        return f"{MONTHS[mo - 1]} {d}, {y}" if d else f"{MONTHS[mo - 1]} {y}"

    return _ISO_DATE.sub(one, text)


def _spaced(m: re.Match[str], out: str) -> str:
    """A rendered amount kept apart from Latin words glued to it (1日約80分 → "1 day about 80 minutes"),
    but not from an abbreviated scale behind it (€11.7B)."""
    s, i, j = m.string, m.start(), m.end()
    left = (
        " "
        if i > 0 and not s[i - 1].isspace() and not s[i - 1].isupper() and s[i - 1] not in "([（【「/$€¥£~〜～-–+±−"
        else ""
    )
    glued = (
        j < len(s) and not s[j].isspace() and s[j] not in ")）】」,.、。;:：%/-–~〜～→+" and not _SCALE_ABBR.match(s, j)
    )
    return left + out + (" " if glued else "")


# "$15兆+": a currency sign with a Japanese scale word; a "+" after the scale means 超 (more than)
_MIXED_PLUS = re.compile(r"(\d[万億兆](?:ドル|円|ユーロ|ポンド)?)\+")
_MIXED_AMOUNT = re.compile(rf"(?P<sym>US\$|[$€¥£])\s*(?P<n>{_NUM}(?:{_DASH}{_NUM})?)\s*(?P<scale>[万億兆])")


# 「約 7000 万人」「1.4～2.4 億円」: a space around 万 / 億 / 兆 after a figure is spacing, not a break
_MAG_GAP = re.compile(r"(?<=\d)\s+(?=[万億兆](?!全|一|が|候))|(?<=\d[万億兆])\s+(?=[\u3040-\u30ff\u3400-\u9fff])")


# $200～400ミリオン, $70.603ビリオン: the English scale in katakana is the abbreviated one ($200–400M)
_KANA_SCALES = {"ミリオン": "M", "ビリオン": "B", "トリリオン": "T"}
_KANA_SCALE = re.compile(r"(?<=\d)\s*(" + "|".join(_KANA_SCALES) + ")")


def _mixed(s: str) -> str:
    s = _KANA_SCALE.sub(lambda m: _KANA_SCALES[m.group(1)], _MAG_GAP.sub("", s))
    return _MIXED_PLUS.sub(r"\1超", s)


def to_en(text: str) -> str:
    s = latin_names(_iso(_mixed(unicodedata.normalize("NFKC", text)), "en")).replace("\u301c", "〜")
    s = _UNIT_RANGE.sub(lambda m: m.group("left") + _END, s.replace(_END, ""))
    short = bool(re.search(r"\d\s*[BMKT](?![A-Za-z])", s))
    s = re.sub(r"(\d)\s*%\s*[-〜～~–]\s*(?=\d[\d.,]*\s*%)", r"\1–", s)  # 50%～70% → 50–70%
    s = _JA_DATE.sub(_date_en, s)
    s = _MONTH_ONLY.sub(lambda m: MONTHS[int(m.group(1)) - 1] + (f" {_day(m.group(2))}" if m.group(2) else ""), s)
    s = re.sub(r"(?<![A-Za-z])((?:19|20)\d\d)\s*[-〜～~–]\s*(?=[A-Z]|(?:19|20)\d\d)", r"\1 – ", s)
    # 週3.5日 / 週3-5回 → "3.5 days a week" / "3–5 times a week" (the rate word behind the figure)
    s = re.sub(
        r"(?<![\u3400-\u9fff])(?:毎週|週)\s*(約?\d[\d.,]*(?:\s*[-〜～~–]\s*\d[\d.,]*)?\s*(?:日|回|時間|分)(?!間)(?:"
        + BOUNDS
        + r"|程度)?)",
        r"\1 a week",
        s,
    )
    s = re.sub(
        r"(?<![\u3400-\u9fff])(?:(月|毎月|月間)|(年間|毎年))\s*(?=約?[$€¥£]?\d|数[十百千]?[万億兆])((?:[^\s()（）、。,]|(?<=\d),(?=\d{3}))+)",
        _per,
        s,
    )
    s = _VAGUE_RE.sub(_vague_en, _SEVERAL_RE.sub(_several_en, s))
    s = re.sub(r"(?<=[a-z])\s*[~〜～]\s*(?=[a-z])", " to ", s)  # 数百~数千: hundreds to thousands
    s = _JA_AMOUNT.sub(lambda m: _spaced(m, _amount_en(m, short)) if m.group("a") else m.group(0), s)
    s = re.sub(r"([$€¥£])(\d{1,3}(?:,\d{3})+)M(?![A-Za-z])", _big_abbr, s)
    for ja, en in sorted(_WORDS_EN.items(), key=lambda kv: -len(kv[0])):
        s = s.replace(ja, f" {en} " if en not in (", ", " / ") else en)
    s = re.sub(r"(\d)\s*[-~〜～]\s*(?=[$€¥£]?\d)", r"\1–", s)  # a range between figures: $200~400 → $200–400
    return tidy(re.sub(rf"\s*{_END}\s*", "–", s))


def tidy(s: str) -> str:
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\(\s+", "(", s)
    s = re.sub(r"\s+([),.;:%])", r"\1", s)
    s = re.sub(r"(\S)\(", r"\1 (", s)
    return s.strip(" ,")


def month_no(name: str) -> int:
    """1-12 for an English month name or its abbreviation ("Sept.", "january")."""
    return next(i for i, m in enumerate(MONTHS, 1) if m.lower().startswith(name.lower().rstrip(".")[:3]))
