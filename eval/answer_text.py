"""The answer's own text, apart from the evidence it quotes, and the script it is written in.

Used by eval.metrics for language_match, answer_line_fact_recall and wrong_entity_answers; the
rules are in the comment below and in eval.metrics' docstring.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_WS_RE = re.compile(r"\s+")
# ------------------------------------------------------------------------------------ answer lines
# The answer's own text = its lines minus the quoted evidence. Evidence is what the answer reproduces
# from its sources rather than says itself:
#   * blockquote lines ("> …") and lines that are one quoted span (「…」, “…”, "…");
#   * lines (bullet marker and [n] markers stripped) that reproduce a cited quote: at least
#     EVIDENCE_QUOTE_SHARE of one quote string of a citation (by word characters, pieces split at
#     " / ", "|", ":" …) occurs in the line, AND at least EVIDENCE_LINE_SHARE of the line's word
#     characters lie in pieces found verbatim in the sources (citation quotes, hit and related texts).
#     Both sides are needed: a quote with a lead-in ("見出し： 文 [1]") or a table row rendered as
#     "header: value / …" is evidence; an English line that mentions a figure of the quote, or a short
#     Japanese line that states one span of it ("評価額：117億ユーロ"), is the answer's own text. So is
#     a line with no kana or kanji at all (it pastes no Japanese quote: "Harvey: CEO — Winston Weinberg").
# An own line that ends with a colon and introduces evidence (or ends the answer) is a lead-in such
# as "According to the library:", not an answer line. Inline quoted spans stay part of an answer line.
_KANA_KANJI_RE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_QUOTED_RE = re.compile(r"「[^」]*」|『[^』]*』|“[^”]*”|\"[^\"\n]*\"|‘[^’\n]*’")
_WHOLE_QUOTE_RE = re.compile(r"^(?:「[^」]*」|『[^』]*』|“[^”]*”|\"[^\"]*\")[。.]?$")
_JA_GLOSS_RE = re.compile(
    r"[（(][\s\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    r"\uff61-\uff9f・･]+[）)]"
)
_CITE_RE = re.compile(r"\[\d+(?:\s*[,，、]\s*\d+)*\]")
_LINE_MARK_RE = re.compile(r"^\s*(?:[-*+•・]|\d{1,3}[.)])\s+")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL_RE = re.compile(r"https?://\S+")
_PIECE_SPLIT_RE = re.compile(r"\s+/\s+|\||[:：]|[;；]\s|\s+-\s+")
EVIDENCE_QUOTE_SHARE = 0.6
EVIDENCE_LINE_SHARE = 0.8
MIN_EVIDENCE_CHARS = 4  # a line with fewer word characters is never taken for a quote
JA_SHARE = 0.25  # text whose letters are at least this share Japanese reads as Japanese, below it as English


def _wc(s: str) -> str:
    """Word characters only (letters, digits, kana, kanji), NFKC + casefold."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", s or "").casefold() if ch.isalnum())


def _pieces(s: str) -> list[str]:
    return [p for p in (_wc(x) for x in _PIECE_SPLIT_RE.split(s or "")) if p]


def _line_content(line: str) -> str:
    s = re.sub(r"\s*" + _CITE_RE.pattern, "", line)
    s = _LINE_MARK_RE.sub("", s)
    return _WS_RE.sub(" ", s.replace("**", "")).strip()


def _is_evidence(content: str, quotes: list[str], sources_wc: str) -> bool:
    line_wc = _wc(content)
    if len(line_wc) < MIN_EVIDENCE_CHARS:
        return False
    reproduces_quote = False
    for q in quotes:
        q = _line_content(q)  # "2. 文" quotes a numbered item
        # a rendered table row may leave out a source column: try the quote without its links too
        for variant in (_URL_RE.sub(" ", _MD_LINK_RE.sub(r"\1", q)), _URL_RE.sub(" ", _MD_LINK_RE.sub(" ", q))):
            qp = [p for p in _pieces(variant) if len(p) >= 2]
            total = sum(len(p) for p in qp)
            if total >= MIN_EVIDENCE_CHARS and sum(len(p) for p in qp if p in line_wc) >= EVIDENCE_QUOTE_SHARE * total:
                reproduces_quote = True
                break
        if reproduces_quote:
            break
    if not reproduces_quote:
        return False
    lp = _pieces(content)
    total = sum(len(p) for p in lp)
    covered = sum(len(p) for p in lp if len(p) >= 2 and p in sources_wc)
    return total > 0 and covered >= EVIDENCE_LINE_SHARE * total


def split_answer(answer: Any) -> tuple[list[str], list[str]]:
    """(answer lines, evidence lines) of an answer's text; lead-in lines belong to neither.

    Answer lines keep their inline quoted spans; [n] citation markers and bullet markers are removed."""
    text = getattr(answer, "text", "") or ""
    quotes: list[str] = []
    for c in getattr(answer, "citations", None) or []:
        quotes += [q for q in (getattr(c, "quote", None) or []) if q]
    sources = list(quotes)
    for h in list(getattr(answer, "hits", None) or []) + list(getattr(answer, "related", None) or []):
        sources.append(getattr(h, "text", "") or "")
    sources_wc = "\n".join(_wc(s) for s in sources)
    kinds: list[tuple[str, str]] = []  # (kind, content) with kind in own | evidence
    for raw in text.splitlines():
        s = raw.strip()
        if not s:
            continue
        if s.startswith(">"):
            kinds.append(("evidence", s.lstrip("> ")))
            continue
        content = _line_content(s)
        if not _wc(content):
            continue
        # a line without kana or kanji pastes no Japanese quote: "Panasonic Connect: Microsoft Azure OpenAI
        # Service." states one Latin span of 「インフラ: Microsoft Azure OpenAI Service」 in an English line
        pasted = bool(_KANA_KANJI_RE.search(content)) and _is_evidence(content, quotes, sources_wc)
        if _WHOLE_QUOTE_RE.match(content) or (quotes and pasted):
            kinds.append(("evidence", content))
        else:
            kinds.append(("own", content))
    own: list[str] = []
    evidence: list[str] = []
    for i, (kind, content) in enumerate(kinds):
        if kind == "evidence":
            evidence.append(content)
            continue
        nxt = kinds[i + 1][0] if i + 1 < len(kinds) else None
        if content.rstrip().endswith((":", "：")) and nxt in (None, "evidence"):
            continue  # a lead-in ("According to the library:"), not an answer line
        own.append(content)
    return own, evidence


def answer_line_text(answer: Any) -> str:
    """The answer's own text (see split_answer), one line per answer line."""
    return "\n".join(split_answer(answer)[0])


def japanese_share(text: str) -> tuple[float, int, int]:
    """(share of Japanese letters among Japanese + Latin letters, Japanese count, Latin count)."""
    ja = len(_KANA_KANJI_RE.findall(text or ""))
    lat = len(_LATIN_RE.findall(text or ""))
    return (ja / (ja + lat) if ja + lat else 0.0), ja, lat


def script_matches(text: str, lang: str) -> bool:
    """Is `text` written in `lang`? Decided by the share of Japanese vs Latin letters after removing
    [n] markers (and, for English, quoted spans and Japanese-only parenthesised glosses such as the
    katakana reading after a name)."""
    t = _CITE_RE.sub(" ", text or "")
    if lang == "ja":
        share, ja, _ = japanese_share(t)
        return ja >= 2 and share >= JA_SHARE
    if lang == "en":
        t = _JA_GLOSS_RE.sub(" ", _QUOTED_RE.sub(" ", t))
        share, _, lat = japanese_share(t)
        return lat >= 2 and share < JA_SHARE
    return False


def language_match(answer: Any, lang: str) -> bool:
    """Answer.lang is the question's language and the answer's own text (quoted evidence and lead-ins
    removed) is written in it. An answer that is only a lead-in and quotes has no own text: a miss.
    A refusal is its own text (an empty refusal only needs the right Answer.lang)."""
    if getattr(answer, "lang", None) != lang:
        return False
    if getattr(answer, "refused", False):
        text = getattr(answer, "text", "") or ""
        return not text.strip() or script_matches(text, lang)
    own = answer_line_text(answer)
    return bool(own.strip()) and script_matches(own, lang)


_FIGURE_RE = re.compile(r"\d")


def carries_figures(answer: Any) -> bool:
    """Does the answer text (quotes included, [n] markers excluded) contain a figure (any digit)?"""
    return bool(_FIGURE_RE.search(_CITE_RE.sub(" ", unicodedata.normalize("NFKC", getattr(answer, "text", "") or ""))))
