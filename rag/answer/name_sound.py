"""A sound key for company names, so that a katakana spelling meets the Latin one and back:
ゴールドマン・サックス ↔ Goldman Sachs, ウェルズ・ファーゴ ↔ Wells Fargo, インターコム ↔ Intercom.

Why: many case studies write a foreign company's name in Latin letters only, while a Japanese asker
writes it in katakana; without this the entity check found no document for the katakana name and
refused ("ライブラリにゴールドマン・サックスに関する資料はありません") although the library holds it.

How: both spellings are reduced to the consonants a Japanese rendering keeps, with the conventions
of katakana loanwords applied to the English spelling — an r before a consonant or at the end of a
word may be dropped (non-rhotic: ファーゴ for Fargo, but モデルナ for Moderna: both keys are made, see
`latin_keys`), l becomes r, v becomes b, z becomes s, c is k or s
by the next letter, ch before a consonant is k (Sachs), th is s, ph is f, ck / q are k, x is ks, m
before b / p is n (ン), a w or h after a vowel is silent, doubled consonants are one. A name that
starts with a vowel is marked (Intercom, インターコム → "_ntkm"). Vowels are left out: katakana and
English vowels do not correspond. Keys of fewer than MIN_CONSONANTS consonants are not made (Visa,
Meta): too many short names would share them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from itertools import product

MIN_CONSONANTS = 4

# consonant of each katakana mora (vowel-only morae: ""); small kana and the long mark add nothing
_KANA_ROWS = {
    "": "アイウエオァィゥェォヲーッャュョヮ",
    "k": "カキクケコヵヶ",
    "g": "ガギグゲゴ",
    "s": "サシスセソザズゼゾ",
    "j": "ジヂ",
    "t": "タテト",
    "d": "ダデド",
    "C": "チ",
    "ts": "ツ",
    "z": "ヅ",
    "n": "ナニヌネノン",
    "h": "ハヒヘホ",
    "f": "フ",
    "b": "バビブベボヴ",
    "p": "パピプペポ",
    "m": "マミムメモ",
    "y": "ヤユヨ",
    "r": "ラリルレロ",
    "w": "ワヰヱ",
}
_KANA = {ch: c for c, chars in _KANA_ROWS.items() for ch in chars}
# ウィ ウェ ウォ are wi / we / wo; ティ ディ keep t / d (already so); ジェ チェ シェ keep their consonant
_KANA_W = re.compile("ウ(?=[ィェォ])")
_KATAKANA_NAME = re.compile(r"^[\u30a1-\u30fa\u30fc・･\s\-]+$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z .,&'’\-]*$")
_LEGAL_WORDS = frozenset("inc co corp corporation ltd llc plc ag sa nv gmbh".split())
_VOWELS = set("aeiouy")


def _dedupe(s: str) -> str:
    return re.sub(r"(.)\1+", r"\1", s)


def katakana_key(name: str) -> str | None:
    """The sound key of a katakana name (ウェルズ・ファーゴ → "wrsfg"), None for other text."""
    s = unicodedata.normalize("NFKC", name or "").strip()
    if not s or not _KATAKANA_NAME.match(s):
        return None
    s = _KANA_W.sub("w", re.sub(r"[・･\s\-]+", "", s))
    lead = "_" if s[0] in "アイウエオ" else ""
    return _finish(lead, "".join("w" if ch == "w" else _KANA.get(ch, "") for ch in s))


def latin_keys(name: str) -> set[str]:
    """The sound keys of a Latin-letter name (Wells Fargo → {"wrsfg", …}); empty for other text.

    Several, because English spelling does not fix the katakana: an r after a vowel is dropped in
    ファーゴ (Fargo) but kept in モデルナ (Moderna); g before i is soft in Gemini, hard in Hugging;
    qu is ク in Quantum and クウ in Square; th is ス or ト; tu is チュ in Accenture."""
    s = unicodedata.normalize("NFKC", name or "").strip()
    if not s or not _LATIN_NAME.match(s):
        return set()
    words = [w for w in re.split(r"[\s.,&'’\-]+", s.lower()) if w]
    while len(words) > 1 and words[-1] in _LEGAL_WORDS:  # Best Buy Co., Inc. sounds like Best Buy
        words.pop()
    lead = "_" if words and words[0][0] in "aeiou" else ""
    joined = " ".join(words)
    varied = [o for o, trigger in _OPTIONS.items() if trigger.search(joined)]  # the others change nothing
    out: set[str] = set()
    for opts in product((True, False), repeat=len(varied)):
        o = {name: True for name in _OPTIONS} | dict(zip(varied, opts))
        key = _finish(lead, "".join(_word_consonants(w, o) for w in words))
        if key:
            out.add(key)
    return out


# each spelling option, and what in a name it can apply to (an option whose trigger is absent is not
# varied: 2–8 keys a name instead of 32, which cost ~0.5 ms a name in the entity index build)
_OPTIONS = {
    "drop_r": re.compile("r"),
    "soft_g": re.compile("g[eiy]"),
    "qu_kw": re.compile("qu"),
    "tu_ch": re.compile("th?u"),
    "th_s": re.compile("th"),
}


def _word_consonants(w: str, o: dict[str, bool]) -> str:
    w = re.sub(r"(?<=[aeiou])(?:w|h)(?![aeiou])", "", w)  # Lowe, Noah: silent after a vowel
    if o["drop_r"]:
        w = re.sub(r"r(?![aeiouy])|r(?=e$)", "", w)  # Fargo, Intercom, Square: non-rhotic
    w = w.replace("ph", "f").replace("ck", "k").replace("th", "s" if o["th_s"] else "t").replace("sh", "s")
    w = re.sub(r"ch(?=[^aeiouy]|$)", "k", w)  # Sachs, Christ
    w = w.replace("ch", "C").replace("tion", "sn").replace("qu", "kw" if o["qu_kw"] else "k").replace("q", "k")
    w = re.sub(r"c(?=[eiy])", "s", w).replace("c", "k").replace("x", "ks")
    if o["soft_g"]:
        w = re.sub(r"g(?=[eiy])", "j", w)
    if o["tu_ch"]:
        w = re.sub(r"t(?=u)", "C", w)
    w = w.replace("gh", "")
    w = re.sub(r"m(?=[bp])", "n", w)
    w = re.sub(r"y(?=[aeiou])", "Y", w)  # a y before a vowel is a consonant (Yahoo, Toyota)
    w = re.sub(r"(?<=[^aeiou])h", "", w)  # an h after a consonant adds no sound of its own here
    w = w.replace("l", "r").replace("v", "b").replace("z", "s")
    return "".join(ch for ch in w if ch not in _VOWELS).replace("Y", "y")


def _finish(lead: str, consonants: str) -> str | None:
    key = _dedupe(consonants.replace("z", "s"))
    if len(key) < MIN_CONSONANTS:
        return None
    return lead + key


def sound_keys(name: str) -> set[str]:
    """The sound keys of a katakana or Latin name; empty for other names and for keys too short to trust."""
    k = katakana_key(name)
    return {k} if k else latin_keys(name)


KATAKANA_RUN = re.compile(r"[\u30a1-\u30faー][\u30a1-\u30faー・]*[\u30a1-\u30faー]")
WORD_KEY = 5
"""A katakana word that is no entity candidate, or one without a proper-noun tag or corporate suffix,
names a document by its sound only with a key of at least this many characters: against the 13
documents' names, 1 of 1,147 unseen katakana words of the 36 other case studies matched at 4 (コンソール
↔ Counsel), none at 5. A word with a middle dot (ベスト・バイ) is a foreign name's spelling: the 158 of
those words matched nothing at 4."""
_CORP_TAIL = re.compile(r"(?:社|株式会社|グループ|ホールディングス)$")


def sound_owner(name: str, sounds: Mapping[str, set[int]], min_key: int = 0) -> int | None:
    """The one document (index) whose own name `name` spells in the other script, given `sounds` (sound
    key → documents); None when none or several do. The whole name is tried first, then without a
    corporate suffix, then its first ・-separated word; keys shorter than `min_key` are not looked up."""
    full = unicodedata.normalize("NFKC", name).strip("・ ")
    bare = _CORP_TAIL.sub("", full).strip("・ ")
    found: set[int] = set()
    for form in dict.fromkeys([full, bare, re.split(r"[・\s]", full)[0]]):
        for k in sound_keys(form) if form else ():
            if len(k) >= min_key:
                found |= sounds.get(k, set())
        if found:
            break  # the longest form that sounds like a name decides
    return next(iter(found)) if len(found) == 1 else None
