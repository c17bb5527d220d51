"""The names by which a question or a user can point at one document's company — one derivation for
the whole library (the entity check, the extractive reader's company finder, retrieval's document
focus and the briefing's company resolver all start from `document_names`).

* Given names (`document_names`): the company facet, its Japanese form and aliases (rag.ingest.facets
  already expanded them: brackets, "A / B", legal forms), the head of the title when the title has a
  separator ("Harvey - リーガルAI" → Harvey; "東京都の生成AI（ChatGPT）全庁導入事例" has none) and the
  name a doc_id of the form NNN_word_word spells ("008_tokyo_metropolitan" → tokyo metropolitan).
* Derived forms (`derived_names`): legal forms and brackets removed, "A / B" split, the part before
  "・" (セブン-イレブン・ジャパン → セブン-イレブン), the first word of 4+ letters of a name of several
  (Mistral of Mistral AI, パナソニック of パナソニック コネクト, not tokyo of a doc_id's "tokyo metropolitan"; a consumer decides when such
  a first word is too common to count), "ミストラルAI" → ミストラル. Names made only of generic words (AI, Inc., 株式会社, グループ…) are dropped.

What counts as a match, and which names several documents share, is each consumer's own policy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from rag.ingest.facet_values import NAME_ANNOTATION

GENERIC_NAME_WORDS = frozenset(
    "ai the inc corp co ltd llc bank group japan holdings company corporation 株式会社 有限会社 ジャパン グループ 銀行".split()
)
"""Words that name no company on their own."""

LEGAL_FORM = re.compile(
    r"^(?:株式会社|有限会社)\s*|\s*(?:株式会社|,?\s*Inc\.?|Corp\.?|Corporation|Co\.,?\s*Ltd\.?|,?\s+Co\.?|Ltd\.?|AB|N\.?V\.?|"
    r"S\.?A\.?|AG|PLC|LLC|GmbH)$"
)
"""A legal form before or after a company name."""

_BRACKET = re.compile(r"[（(]([^）)]+)[）)]")


def flat_name(name: str) -> str:
    """A name without spaces and separators (NFKC, case-folded): how names are compared."""
    folded = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", name or "")).strip().casefold()
    return re.sub(r"[\s\-‐‑–—_・･.,()（）'’&/]+", "", folded)


def title_head(title: str) -> str | None:
    """The company part of "Company - what it did"; None for a title without such a separator
    ("東京都の生成AI（ChatGPT）全庁導入事例" names no company, and its bracket is a product), or whose head
    names the kind of document ("Tier 1 生成AI導入事例：スクウェア・エニックス - …")."""
    parts = re.split(r"\s+[-–—:：|｜]\s+|[：:｜|]", unicodedata.normalize("NFKC", title or ""))
    head = parts[0].strip()
    if len(parts) > 1 and head and len(head) <= 30 and not re.search(r"case study|事例|tier\s*\d|×", head, re.I):
        return head
    return None


def stem_name(doc_id: str) -> str | None:
    """A name spelled by a doc_id of the form NNN_word_word ("008_tokyo_metropolitan" → "tokyo
    metropolitan"): the only English name some Japanese-only documents carry."""
    m = re.fullmatch(r"\d+_([a-z]+(?:_[a-z]+)+)", doc_id or "")
    return m.group(1).replace("_", " ") if m else None


def document_names(doc_id: str, title: str, facets: Mapping[str, Any]) -> list[str]:
    """The names a document gives its company (see the module docstring), NFKC, in order, no repeats."""
    raw: list[Any] = [facets.get("company"), facets.get("company_ja"), *(facets.get("company_aliases") or [])]
    raw += [title_head(title), title_head(str(facets.get("title_ja") or "")), stem_name(doc_id)]
    out: list[str] = []
    for x in raw:
        if isinstance(x, str):
            n = unicodedata.normalize("NFKC", x).strip()
            if n and n not in out:
                out.append(n)
    return out


def strip_legal_form(name: str) -> str:
    """The name without its legal forms ("Best Buy Co., Inc." → "Best Buy", "株式会社NTTデータ" → "NTTデータ")."""
    prev, cur = None, name.strip()
    while cur != prev:
        prev, cur = cur, LEGAL_FORM.sub("", cur).strip()
    return cur


def derived_names(raw: Iterable[str]) -> set[str]:
    """The names and their shorter forms (see the module docstring)."""
    out: set[str] = set()
    for n in raw:
        n = unicodedata.normalize("NFKC", str(n or "")).strip()
        if not n:
            continue
        out.add(n)
        base = strip_legal_form(n)
        out.add(base)
        m = _BRACKET.search(base)
        if m:
            if not NAME_ANNOTATION.fullmatch(m.group(1).strip()):  # 「広告企業W（仮称）」: (Pseudonym) names nothing
                out.add(m.group(1).strip())
            base = re.sub(r"\s*[（(][^）)]*[）)]", "", base).strip()
            out.add(base)
        for part in re.split(r"\s*/\s*", base):
            out.add(strip_legal_form(part))
        out.add(base.split("・")[0].strip())
        first = base.split(" ")[0]
        if len(first) >= 4 and not (base.isascii() and base == base.lower()):  # not a doc_id's spelling
            out.add(first)
        m2 = re.fullmatch(r"([\u30a0-\u30ffー]{3,})\s*AI", base)
        if m2:
            out.add(m2.group(1))
    return {x for x in out if len(flat_name(x)) >= 2 and flat_name(x) not in GENERIC_NAME_WORDS}


_LATIN_NAME = re.compile(r"[A-Z][A-Za-z&.,'’\- ]{1,50}")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def bracketed_latin_names(body: str, names: Iterable[str]) -> list[str]:
    """Latin names the body gives beside the company's Japanese name: "**株式会社日立製作所**（Hitachi,
    Ltd.）" → "Hitachi, Ltd." (the first such bracket per name; letters only, so a ticker or a year in
    brackets is none)."""
    out: list[str] = []
    for name in names:
        if not _JAPANESE.search(name or "") or len(name) < 2:
            continue
        pat = re.compile(re.escape(name) + r"(?:\*\*|__)?\s*[（(]\s*([^（()）\n]{2,52}?)\s*[）)]")
        m = pat.search(body)
        if m and _LATIN_NAME.fullmatch(m.group(1)) and m.group(1) not in out:
            out.append(m.group(1))
    return out
