"""Facet values: text cleaning and parsing helpers (NFKC, alias keys, years, parentheses, nested
values flattened to strings) and Chroma-safe metadata values.

Every value these helpers put into a facet dict is a Chroma metadata value: str, int, float or bool,
or a non-empty list of one of those types.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

_JA_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")
_WS_RE = re.compile(r"\s+")
_CHROMA_INT_MAX = 2**63 - 1


# ----------------------------------------------------------------------------- small helpers


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _fold(text: str) -> str:
    """NFKC, whitespace collapsed, stripped, case-folded: the key for exact name matches."""
    return _WS_RE.sub(" ", _nfkc(text)).strip().casefold()


def alias_key(name: str) -> str:
    """Comparison key for names: NFKC, case-folded, letters and digits only.

    "Mistral AI", "mistral-ai" and "ＭｉｓｔｒａｌＡＩ" share one key; so do "セブン-イレブン" and
    "セブンイレブン". Stored as the `company_keys` facet so filters can match without a registry.
    """
    return "".join(ch for ch in _nfkc(str(name)).casefold() if ch.isalnum())


def has_japanese(text: str) -> bool:
    return bool(_JA_RE.search(text))


def clean_text(value: str) -> str:
    """NFKC with whitespace collapsed: the canonical form of a free-text facet value."""
    return _WS_RE.sub(" ", _nfkc(value)).strip()


# a bracketed note on a company name that is no name of its own: "Advertising Company W (Pseudonym)"
NAME_ANNOTATION = re.compile(r"(?i)pseudonym|anonymi[sz]ed|anonymous|provisional|tentative|fictitious|仮称|仮名|匿名")


def split_parentheses(text: str) -> tuple[str, list[str]]:
    """("Toronto, Canada", ["with offices in …"]) for "Toronto, Canada（with offices in …）".

    Full-width brackets count (the text is NFKC-normalised first); an unclosed "(" opens a
    parenthesis running to the end of the text.
    """
    s = _nfkc(text)
    inner: list[str] = []
    pattern = re.compile(r"\(([^()]*)\)")
    while True:
        m = pattern.search(s)
        if not m:
            break
        inner.append(m.group(1).strip())
        s = s[: m.start()] + " " + s[m.end() :]
    if "(" in s:
        head, _, tail = s.partition("(")
        s = head
        inner.append(tail.replace("(", " ").strip())
    s = s.replace(")", " ")
    return _WS_RE.sub(" ", s).strip(), [i for i in inner if i]


def parse_year(value: Any) -> int | None:
    """The first plausible year (1500–2100) in an int or a string such as "1919年（…）、2006年合併"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 1500 <= value <= 2100 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and 1500 <= value <= 2100 else None
    if isinstance(value, str):
        m = _YEAR_RE.search(_nfkc(value))
        return int(m.group(1)) if m else None
    return None


def flatten_strings(value: Any) -> list[str]:
    """Every scalar in a nested value as a stripped string, in order (dict keys are not included)."""
    out: list[str] = []

    def walk(v: Any, depth: int) -> None:
        if v is None or depth > 60:
            return
        if isinstance(v, dict):
            for item in v.values():
                walk(item, depth + 1)
        elif isinstance(v, (list, tuple, set)):
            for item in v:
                walk(item, depth + 1)
        elif isinstance(v, bool):
            out.append("true" if v else "false")
        else:
            s = str(v).strip()
            if s:
                out.append(s)

    walk(value, 0)
    return out


def _dedupe(items: Iterable[str], key=lambda s: s) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        k = key(item)
        if k and k not in seen:
            seen.add(k)
            out.append(item)
    return out


# ------------------------------------------------------------------------ Chroma-safe values


def _chroma_scalar(value: Any) -> str | int | float | bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_CHROMA_INT_MAX - 1 <= value <= _CHROMA_INT_MAX else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def chroma_list(items: list[Any], *, lists_of_mappings: str = "json", max_json_chars: int = 2000) -> Any:
    """A list as a Chroma metadata value: a non-empty list of one type, a JSON string, or None."""
    values = [v for v in items if v is not None]
    if not values:
        return None
    if any(isinstance(v, (dict, list, tuple, set)) for v in values):
        if lists_of_mappings != "json":
            return None
        text = json.dumps(values, ensure_ascii=False, default=str)
        return text if len(text) <= max_json_chars else None
    scalars = [_chroma_scalar(v) for v in values]
    kinds = {type(v) for v in scalars}
    if kinds == {int, float}:
        return [float(v) for v in scalars]
    if len(kinds) == 1:
        return scalars
    return [_scalar_text(v) for v in scalars]


def flatten_front_matter(
    front_matter: dict[str, Any],
    prefix: str = "fm.",
    *,
    lists_of_mappings: str = "json",
    max_json_chars: int = 2000,
) -> dict[str, Any]:
    """Every front-matter field as `<prefix>dotted.path` → Chroma metadata value (None dropped)."""
    out: dict[str, Any] = {}

    def walk(value: Any, key: str, depth: int) -> None:
        if depth > 60:
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}.{k}" if key else str(k), depth + 1)
            return
        if not key:
            return
        if isinstance(value, (list, tuple, set)):
            lst = chroma_list(list(value), lists_of_mappings=lists_of_mappings, max_json_chars=max_json_chars)
            if lst is not None:
                out[prefix + key] = lst
            return
        scalar = _chroma_scalar(value)
        if scalar is not None:
            out[prefix + key] = scalar

    walk(front_matter, "", 0)
    return out


def _text_value(value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, (list, tuple, set)):
        parts = [s for s in flatten_strings(list(value)) if s]
        return ", ".join(parts) or None
    if isinstance(value, bool):
        return None
    s = _scalar_text(_chroma_scalar(value)).strip()
    return s or None
