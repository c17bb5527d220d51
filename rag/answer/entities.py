"""Whose fact it is: the library companies a question names, and the entities it names that no
document covers (`check_entities` → `EntityCheck`), with the refusal reason in the question's
language (`refusal_reason`) and the note that labels a fact taken from another company's document
(`mention_note`).

How it decides, with general rules and the library's own vocabulary only (no name lists):

* Library names: each document's company, company_ja, company_aliases, company_keys and the head of
  its title when the title has one ("Harvey - リーガルAI" → Harvey; "東京都の生成AI（ChatGPT）全庁導入
  事例" has none, so ChatGPT is no name), a doc_id of the form NNN_word_word ("008_tokyo_metropolitan"
  → tokyo metropolitan), plus derived forms (legal suffixes and brackets removed, "A / B" split, the
  first word of a Latin name of 4+ letters unless other documents use that word too — American,
  Best —, "ミストラルAI" → ミストラル). A name shared by several documents or made only of generic
  words (AI, Inc., 株式会社, グループ…) names none. Matched on word boundaries for Latin names (a
  one-word name the library also writes in lower case — Indeed, Scale — only when capitalised), as
  substrings for Japanese ones.
* Candidate entities in the question: runs of capitalised Latin words (a sentence-initial word only
  with entity evidence: a possessive, an inner capital as in OpenAI, a legal/corporate word, a
  second capitalised word); Japanese noun runs (fugashi) that hold a proper noun, a corporate suffix
  (社, 株式会社, 銀行, グループ, 証券, 自動車…) or a word the library's text never uses (任天 of
  任天堂, トヨタ in a library that never names it). Question words and months are not candidates.
* A candidate that starts a library name (Mistral → Mistral AI), or is found in one document only,
  in its front matter, at least OWN_TOPIC_MENTIONS times (its product: Mixtral, Le Chat) or in
  brackets beside the company's name ("Macquarie Bank（マッコーリー銀行）"), names that document. Otherwise it is searched in every document's text (body, title, facet values):
  found → `mentioned[name]` (the documents that mention it; it has no document of its own), not
  found → `unknown`.
* Strong evidence that the question is *about* the candidate: an English possessive (Toyota's), a
  corporate word or suffix, a proper-noun tag, coordination with a named company (Klarna and
  Toyota); when the question names no library company, also the subject of an English question's
  auxiliary ("When did Rakuten launch …?") and a name before an organisation noun ("Accenture
  staff"). A mentioned candidate goes to `no_document` only with strong evidence ("Which companies
  use ChatGPT?" is not about a missing ChatGPT document); an unknown one always does, but a weak
  unknown (and any acronym without strong evidence) is kept only when no library company is named:
  "Klarna's NPS" names Klarna and does not make NPS an entity.

What the answer pipeline does with it (decided here, applied there):
* `refuse` (something in `no_document`, no `named_docs`) → refuse with `refusal_reason` ("The
  library has no document about Toyota."); figures from the documents in `mentioned` may follow
  only as related material labelled with `mention_note` ("Westlaw has no document of its own; this
  comes from Harvey's document."), never as the answer (`casebook ask` exits 3).
* `no_document` and `named_docs` → answer the named companies' parts and name the other as missing.

* A candidate found nowhere in the library's text whose sound matches one document's own name in
  the other script (ゴールドマン・サックス → Goldman Sachs, by rag.answer.name_sound) names that document.

Limits: short names are not matched across scripts (Visa, Toyota: keys of fewer than 4 consonants
are too often shared); a Japanese "Xの" does not tell a company from a product, so a Latin name before
の counts as a hint (enough for `unknown`), not as strong evidence; a kanji company name made of
words the library uses elsewhere and carrying no suffix is missed.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rag.answer.entity_candidates import _flat, _fold, _ja_candidates, _latin_candidates
from rag.answer.entity_katakana import katakana_topic, unseen_katakana
from rag.answer.entity_lookup import ascii_docs, flat_docs
from rag.answer.entity_texts import DOC_TEXTS
from rag.answer.name_sound import WORD_KEY, sound_keys, sound_owner
from rag.ingest import japanese
from rag.ingest.company_names import GENERIC_NAME_WORDS, LEGAL_FORM, derived_names, document_names, stem_name
from rag.ingest.facet_values import NAME_ANNOTATION

_lock = threading.Lock()
_cache: dict[int, tuple[Any, EntityIndex]] = {}

OWN_TOPIC_MENTIONS = 3
"""A name found in one document only, in its front matter or at least this often, is that
document's own topic (its product, its investor), not an entity without a document."""


@dataclass
class LibraryDoc:
    doc_id: str
    company: str
    names: tuple[str, ...]  # names and derived forms, longest first
    text: str  # folded text: body, title, facet values (spaces kept)
    flat: str  # the same without separators (Japanese / joined-name search)
    facets_flat: str = ""  # the facet values alone, without separators


@dataclass
class EntityIndex:
    docs: list[LibraryDoc]
    patterns: list[tuple[int, re.Pattern[str], str, bool]]  # (doc index, pattern, name, Latin-only name)
    vocab: str = ""  # every document's flat text joined: the library's vocabulary
    flat_starts: list[int] = field(default_factory=list)  # where each document starts in `vocab`
    text: str = ""  # every document's folded text joined
    starts: list[int] = field(default_factory=list)  # where each document starts in `text`
    cased: set[str] = field(default_factory=set)  # one-word names matched only as written (Indeed, not indeed)
    sounds: dict[str, set[int]] = field(default_factory=dict)  # sound key of a document's own name → documents
    postings: Any = field(default=None, repr=False)  # rag.answer.entity_lookup's, built on first use


@dataclass(frozen=True)
class EntityCheck:
    named_docs: list[str]  # doc_ids of the library companies the question names, in order
    unknown: list[str]  # names of entities no document covers at all
    mentioned: dict[str, list[str]] = field(default_factory=dict)  # entity → doc_ids whose text names it
    no_document: list[str] = field(default_factory=list)  # the question's subjects without a document
    # a katakana name in the question of a company its document writes in Latin letters only →
    # (doc_id, that Latin name): ゴールドマン・サックス → ("051_goldman_sachs", "Goldman Sachs")
    spellings: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def refuse(self) -> bool:
        """The question is about something that has no document, and names no library company."""
        return bool(self.no_document) and not self.named_docs


def _words(s: str) -> str:
    """Folded, separators removed, one space kept only between ASCII words."""
    f = re.sub(r"(?<=[A-Za-z])['’]s?(?![A-Za-z])", "", unicodedata.normalize("NFKC", s or ""))
    f = re.sub(r"[\-‐‑–—_・･.,()（）'’&/]+", "", _fold(f))
    return re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", f)


def display_name(library: Any, doc_id: str, lang: str) -> str | None:
    """A name to show for a document's company: for "ja" a Japanese name, else a capitalised Latin one
    (brackets and legal suffixes removed, not a first word cut from a longer name); None if it has none."""
    idx = library if isinstance(library, EntityIndex) else entity_index(library)
    d = next((x for x in idx.docs if x.doc_id == doc_id), None)
    if d is None:
        return None
    unbracketed = [n for n in d.names if not re.search(r"[()（）]", n) and not NAME_ANNOTATION.fullmatch(n)]
    names = [n for n in unbracketed if not LEGAL_FORM.search(n)]
    ja = [n for n in names if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", n)]
    latin = [n for n in unbracketed if n.isascii() and n != n.lower()]
    en = [n for n in latin if n in names and not (" " not in n and any(o.startswith(n + " ") for o in names))]
    en = en or latin  # only names with a legal form ("Sumitomo Corporation"): the shortest of them
    pick = (ja and max(ja, key=len)) if lang == "ja" else (en and min(en, key=len))
    if lang != "ja":  # an English line does not lead with a name in Japanese script: without a Latin
        # name, the one a doc id spells — the words that sound like its katakana name
        # (002_square_enix_chatgpt_gameai → Square Enix, スクウェア・エニックス), else a short one whole
        # (008_tokyo_metropolitan → Tokyo Metropolitan; longer ones carry topic words)
        stem = stem_name(doc_id)
        return pick or (_stem_display(stem, ja) if stem else None)
    return pick or (en and min(en, key=len)) or None


def _stem_display(stem: str, ja_names: list[str]) -> str | None:
    words = stem.split()
    keys = {k for n in ja_names for k in sound_keys(n)}
    for n in range(len(words), 0, -1):
        if keys & sound_keys(" ".join(words[:n])):
            return " ".join(words[:n]).title()
    return stem.title() if len(words) < 4 else None


def _facet_strings(facets: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for v in facets.values():
        for x in v if isinstance(v, list) else [v]:
            if isinstance(x, str):
                out.append(x)
    return out


_WORD_RUN = re.compile(r"[a-z0-9]+")


def build_index(records: Iterable[tuple[str, str, dict[str, Any], str]]) -> EntityIndex:
    """Index of (doc_id, title, facets, body text) records."""
    docs: list[LibraryDoc] = []
    cands: list[set[str]] = []
    firsts: list[set[str]] = []  # first words cut from a longer Latin name ("American" of American Express)
    owners: dict[str, set[int]] = {}
    folded_all: list[str] = []  # each document's folded title and body
    # words the library's text uses in lower case ("best", "scale", "indeed"): as a name they must be
    # written capitalised in the question
    lower_words: set[str] = set()
    for i, (doc_id, title, facets, body) in enumerate(records):
        given = set(document_names(doc_id, title, facets))
        names = derived_names(given) | set(facets.get("company_keys") or [])
        names = {n for n in names if _flat(n) not in GENERIC_NAME_WORDS and len(_flat(n)) >= 2}
        firsts.append(
            {
                n
                for n in names
                if n.isascii() and " " not in n and n not in given and any(m.startswith(n + " ") for m in names)
            }
        )
        cands.append(names)
        for n in {_flat(n) for n in names}:
            owners.setdefault(n, set()).add(i)
        texts = DOC_TEXTS.get(doc_id, title, _facet_strings(facets), body)
        folded_all.append(texts.folded_raw)
        lower_words |= texts.lower_words
        company = str(facets.get("company") or title or doc_id)
        docs.append(LibraryDoc(doc_id, company, (), texts.text, texts.flat, texts.facets_flat))
    DOC_TEXTS.keep_only_used()
    # which documents use each first word as a whole word: one pass over each text (a search of every
    # other text per candidate took minutes at 1,700 documents)
    wanted = {_fold(n) for fs in firsts for n in fs}
    word_docs: dict[str, set[int]] = {}
    for j, t in enumerate(folded_all):
        for w in wanted.intersection(_WORD_RUN.findall(t)):
            word_docs.setdefault(w, set()).add(j)

    def used_elsewhere(n: str, i: int) -> bool:
        f = _fold(n)
        if _WORD_RUN.fullmatch(f):
            return bool(word_docs.get(f, set()) - {i})
        pat = re.compile(rf"(?<![a-z0-9]){re.escape(f)}(?![a-z0-9])")
        return any(pat.search(t) for j, t in enumerate(folded_all) if j != i)

    pats: list[tuple[int, re.Pattern[str], str, bool]] = []
    cased: set[str] = set()
    for i, names in enumerate(cands):
        # a first word cut from a longer name that other documents use on its own is a common word
        # (American, Best, Wells), not this company's name; a capitalised candidate still finds it
        common = {n for n in firsts[i] if used_elsewhere(n, i)}
        own = sorted({n for n in names - common if len(owners[_flat(n)]) == 1}, key=len, reverse=True)
        docs[i].names = tuple(own)
        for n in own:
            w = _words(n)
            if w.isascii():
                if len(w.replace(" ", "")) < 3:
                    continue
                if " " not in n and n != n.lower() and n.lower() in lower_words:
                    cased.add(n)
                pats.append((i, re.compile(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])"), n, True))
            else:
                pats.append((i, re.compile(re.escape(w.replace(" ", ""))), n, False))
    pats.sort(key=lambda p: -len(p[2]))
    sounds: dict[str, set[int]] = {}
    for i, d in enumerate(docs):
        for n in d.names:
            for k in sound_keys(n):
                sounds.setdefault(k, set()).add(i)
    flat_starts, starts, pos, fpos = [], [], 0, 0
    for d in docs:
        flat_starts.append(fpos)
        starts.append(pos)
        fpos += len(d.flat) + 1
        pos += len(d.text) + 1
    vocab, text = "\x00".join(d.flat for d in docs), "\x00".join(d.text for d in docs)
    return EntityIndex(docs, pats, vocab, flat_starts, text, starts, cased, sounds)


@lru_cache(maxsize=1 << 16)
def _name_flat(name: str) -> str:
    """_flat of a document's name, cached (every name of every document is compared per question)."""
    return _flat(name)


def _snapshot_records(snapshot: Any) -> list[tuple[str, str, dict[str, Any], str]]:
    bodies: dict[str, list[str]] = {}
    for cid, meta in (getattr(snapshot, "metas", {}) or {}).items():
        key = meta.get("uid") or meta.get("doc_id")
        bodies.setdefault(str(key), []).append(snapshot.texts.get(cid, ""))
    out = []
    for d in snapshot.documents:
        key = str(d.get("uid") or d.get("doc_id"))
        out.append(
            (str(d["doc_id"]), str(d.get("title") or ""), dict(d.get("facets") or {}), "\n".join(bodies.get(key, [])))
        )
    return out


def entity_index(library: Any) -> EntityIndex:
    """The index of a rag.index Snapshot (cached per snapshot) or of an iterable of Documents."""
    if hasattr(library, "metas") and hasattr(library, "documents"):
        with _lock:
            got = _cache.get(id(library))
            if got is not None and got[0] is library:
                return got[1]
        idx = build_index(_snapshot_records(library))
        with _lock:
            if len(_cache) > 8:
                _cache.clear()
            _cache[id(library)] = (library, idx)
        return idx
    return build_index((d.doc_id, d.title, d.facets, d.body) for d in library)


def _in_docs(name: str, idx: EntityIndex) -> list[int]:
    """Indices of the documents whose text holds `name`."""
    f, flat = _fold(name), _flat(name)
    if f.isascii():
        hits: set[int] = set()
        for v in dict.fromkeys([f, LEGAL_FORM.sub("", f).strip()]):
            if v:
                hits.update(ascii_docs(idx, v))
        if hits or len(flat) < 5:
            return sorted(hits)
    return flat_docs(idx, flat) if flat else []


def library_spelling(question: str, check: EntityCheck | None) -> tuple[str, dict[str, str]]:
    """The question with each katakana name of `check.spellings` replaced by the library's Latin name
    (「ゴールドマン・サックスの従業員数は？」 → 「Goldman Sachsの従業員数は？」: its words then meet the
    document's, and are no "question terms missing from the sources"), and {doc_id: the question's
    spelling} so that a Japanese answer line names the company as the asker did."""
    out, asked = question, {}
    for run, (doc_id, latin) in (check.spellings if check else {}).items():
        out = out.replace(run, latin)
        asked.setdefault(doc_id, run)
    return out, asked


def _bracket_alias(name: str, doc: LibraryDoc) -> bool:
    """`name` is written beside one of the document's own names in brackets: "Macquarie Bank
    （マッコーリー銀行）", "日本生命（Nippon Life）" — the company's other spelling."""
    a = re.escape(_fold(name))
    for n in doc.names:
        b = re.escape(_fold(n))
        if re.search(rf"{b}\s*\(\s*{a}\s*\)|{a}\s*\(\s*{b}\s*\)", doc.text):
            return True
    return False


_CONJ = r"(?:and|or|vs\.?|versus|with|と|や|、|,|及び|および)"


def _coordinated(q: str, name: str, named_names: list[str]) -> bool:
    """`name` joined to a named library company by and / or / vs / と / や (compare X and Y)."""
    fq = _fold(q)
    a = re.escape(_fold(name))
    for n in named_names:
        b = re.escape(_fold(n))
        if re.search(rf"{a}(?:['’]s)?\s*{_CONJ}\s*(?:the\s+)?{b}|{b}(?:['’]s)?\s*{_CONJ}\s*(?:the\s+)?{a}", fq):
            return True
    return False


def check_entities(question: str, library: Any) -> EntityCheck:
    """Which library companies `question` names and which named entities no document covers."""
    idx = library if isinstance(library, EntityIndex) else entity_index(library)
    q = unicodedata.normalize("NFKC", question or "")
    words = _words(q)
    flat = words.replace(" ", "")
    found: list[tuple[int, int, str]] = []
    seen: set[int] = set()
    for i, pat, name, latin in idx.patterns:
        if i in seen:
            continue
        m = pat.search(words if latin else flat) or (pat.search(flat) if " " in name else None)
        if m and name in idx.cased and not re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![a-z0-9])", q):
            m = None
        if m:
            seen.add(i)
            found.append((m.start(), i, name))
    found.sort()
    named = [idx.docs[i].doc_id for _, i, _ in found]
    named_flats = [_flat(n) for _, _, n in found]
    ja_q = japanese.detect_language(q) == "ja"
    cands = _latin_candidates(q, ja_q) + (_ja_candidates(q, idx.vocab) if re.search(r"[\u3040-\u9fff]", q) else [])
    topic = katakana_topic(q, idx) if ja_q and not found and not any(c.start == 0 for c in cands) else None
    cands += [topic] if topic else []
    cands.sort(key=lambda c: c.start)
    unknown: list[str] = []
    mentioned: dict[str, list[str]] = {}
    no_doc: list[str] = []
    for c in cands:
        cf = _flat(c.name)
        if not cf or any(cf in nf or nf in cf for nf in named_flats):
            continue
        owner = [d for d in idx.docs if len(cf) >= 4 and any(_name_flat(n).startswith(cf) for n in d.names)]
        hits = [] if owner else _in_docs(c.name, idx)
        if not owner and not hits:
            # ゴールドマン・サックス for a document on Goldman Sachs; a short key only for a proper noun
            # or a name with a corporate suffix
            i = sound_owner(c.name, idx.sounds, 0 if c.strong else WORD_KEY)
            owner = [idx.docs[i]] if i is not None else []
        if not owner and len(hits) == 1:
            d = idx.docs[hits[0]]
            if cf in d.facets_flat or d.flat.count(cf) >= OWN_TOPIC_MENTIONS or _bracket_alias(c.name, d):
                owner = [d]  # a product / topic of one document (Mixtral, Le Chat), its other name: that document
        if owner:
            if owner[0].doc_id not in named:
                named.append(owner[0].doc_id)
            named_flats.append(cf)
            continue
        strong = c.strong or (c.about and not named) or _coordinated(q, c.name, [n for _, _, n in found])
        # an acronym the library never writes, before の/は/が in a Japanese question naming no library
        # company (「DHLの物流倉庫では…」), is what the question is about; GPU / KPI / AI are in the library
        weak_ok = (not c.acronym and (c.hint or not named)) or (c.acronym and c.hint and not named)
        if hits:
            if strong or not (named or c.acronym):
                mentioned[c.name] = sorted({idx.docs[i].doc_id for i in hits})
            if strong:
                no_doc.append(c.name)
        elif (strong or weak_ok) and not any(_flat(u) == cf for u in unknown):
            unknown.append(c.name)
            no_doc.append(c.name)
    spellings: dict[str, tuple[str, str]] = {}
    for run, d in unseen_katakana(q, idx):  # a Latin-only company's katakana name (may be no candidate)
        latin = next((n for n in d.names if n.isascii() and "(" not in n), None)
        if latin:
            spellings[run] = (d.doc_id, latin)
        if d.doc_id not in named and not any(_flat(run) in nf or nf in _flat(run) for nf in named_flats):
            named.append(d.doc_id)
            named_flats.append(_flat(run))
    return EntityCheck(named, unknown, mentioned, no_doc, spellings)


# ------------------------------------------------------------------------------ lines


def _join(names: list[str], lang: str) -> str:
    if lang == "ja":
        return "、".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def refusal_reason(check: list[str] | EntityCheck, lang: str, companies: dict[str, str] | None = None) -> str:
    """ "The library has no document about Toyota." / "ライブラリにトヨタに関する資料はありません。";
    with `companies` (doc_id → display name), where an entity is mentioned is said as well."""
    names = check.no_document if isinstance(check, EntityCheck) else list(check)
    if not names:
        return ""
    where: list[str] = []
    if isinstance(check, EntityCheck) and companies:
        for n in names:
            for d in check.mentioned.get(n, []):
                c = companies.get(d, d)
                if c not in where:
                    where.append(c)
    if lang == "ja":
        line = f"ライブラリに{_join(names, 'ja')}に関する資料はありません。"
        return line + (f"{'、'.join(where)}の資料に言及があります。" if where else "")
    line = f"The library has no document about {_join(names, 'en')}."
    return line + (f" It is mentioned in the documents of {', '.join(where)}." if where else "")


def mention_note(name: str, companies: list[str], lang: str) -> str:
    """The label of a fact about `name` taken from the documents of `companies`."""
    if lang == "ja":
        return f"{name}に関する資料はありません。以下は{'、'.join(companies)}の資料の記載です。"
    owners = " and ".join(f"{c}'s" for c in companies)
    return f"{name} has no document of its own; this comes from {owners} document{'s' if len(companies) > 1 else ''}."
