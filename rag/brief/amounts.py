"""Amounts as a reader expects them: a number with the currency or unit named by its front-matter key
("$14.0B" / "140億ドル", "220万時間", "85.9%"), in Japanese or English, never converted."""

from __future__ import annotations

_CURRENCIES = {
    "usd": ("$", "ドル"),
    "dollar": ("$", "ドル"),
    "dollars": ("$", "ドル"),
    "eur": ("€", "ユーロ"),
    "euro": ("€", "ユーロ"),
    "euros": ("€", "ユーロ"),
    "jpy": ("¥", "円"),
    "yen": ("¥", "円"),
    "gbp": ("£", "ポンド"),
}
_UNITS = {
    "hours": ("時間", " hours"),
    "hour": ("時間", " hours"),
    "hrs": ("時間", " hours"),
    "minutes": ("分", " min"),
    "mins": ("分", " min"),
    "days": ("日", " days"),
    "months": ("か月", " months"),
    "weeks": ("週間", " weeks"),
    "percent": ("%", "%"),
    "pct": ("%", "%"),
    "people": ("人", " people"),
}
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def _num_text(v: float) -> str:
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def _ja_big(v: float) -> str:
    """14000000000 → "140億", 3050000000 → "30億5000万", 28810000 → "2881万", 1500 → "1,500"."""
    neg = v < 0
    a = abs(v)
    if a < 10_000:
        s = _num_text(a)
    else:
        n = int(round(a))
        cho, rest = divmod(n, 10**12)
        oku, rest = divmod(rest, 10**8)
        man, rest = divmod(rest, 10**4)
        parts = []
        if cho:
            parts.append(f"{cho:,}兆")
        if oku:
            parts.append(f"{oku}億")
        if man:
            parts.append(f"{man}万")
        s = "".join(parts)
        if rest:
            s = "約" + s
    return ("-" if neg else "") + s


def _dec(x: float) -> str:
    """One decimal, two when the second is needed: 14.0, 3.05, 105.0."""
    s = f"{x:.2f}"
    return s[:-1] if s.endswith("0") else s


def _en_big(v: float) -> str:
    a = abs(v)
    sign = "-" if v < 0 else ""
    if a >= 1e12:
        return f"{sign}{_dec(a / 1e12)}T"
    if a >= 1e9:
        return f"{sign}{_dec(a / 1e9)}B"
    if a >= 1e6:
        return f"{sign}{_dec(a / 1e6)}M"
    return sign + _num_text(a)


def format_amount(value: float, unit: str | None, lang: str, *, scale: float = 1.0) -> str:
    """A number with its unit as a reader expects it.

    format_amount(14000000000, "usd", "en") == "$14.0B"; (…, "ja") == "140億ドル";
    ("eur") → "€11.7B" / "117億ユーロ"; ("jpy") → "¥7.5B" / "75億円"; ("hours") → "2,200,000 hours" /
    "220万時間"; ("percent") → "85.9%". No conversion between currencies or units.
    """
    v = float(value) * scale
    u = (unit or "").lower()
    if u in _CURRENCIES:
        sym, ja = _CURRENCIES[u]
        if lang == "ja":
            return f"{_ja_big(v)}{ja}"
        return f"{sym}{_en_big(v)}"
    if u in ("percent", "pct"):
        return f"{_num_text(v)}%"
    if u in _UNITS:
        ja, en = _UNITS[u]
        return f"{_ja_big(v)}{ja}" if lang == "ja" else f"{_num_text(v)}{en}"
    if lang == "ja":
        return _ja_big(v)
    return _num_text(v) if abs(v) < 1e9 else _en_big(v)
