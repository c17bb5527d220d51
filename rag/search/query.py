"""What retrieval reads from a question: its language, its BM25 query tokens (plus the Japanese
glossary terms of an English question, rag.search.glossary) and the documents whose company it
names (`focus_names`)."""

from __future__ import annotations

from functools import lru_cache

from rag.ingest import japanese
from rag.search.filter_clauses import fold
from rag.search.glossary import expand_tokens
from rag.search.retrieval_config import DEFAULT_CONFIG, RetrievalConfig
from rag.search.snap_index import _name_key, _SnapIndex


def _japanese():
    return japanese


def detect_language(text: str) -> str:
    return _japanese().detect_language(text)


def query_tokens(
    question: str, lang: str, config: RetrievalConfig = DEFAULT_CONFIG, glossed: str | None = None
) -> list[str]:
    """BM25 query tokens: tokenize(question), plus glossary terms for English questions (of `glossed`,
    the question without the names it names, where given: see `without_names`)."""
    toks = list(_japanese().tokenize(question))
    if lang == "en" and config.glossary:
        try:
            toks += [t for t in expand_tokens(question if glossed is None else glossed) if t not in toks]
        except ImportError:
            pass
    return toks


def without_names(question: str, named: dict[str, list[str]], idx: _SnapIndex) -> str:
    """The folded question with the Latin-letter company names it names (`named`, from `focus_names`)
    blanked out. A name is not vocabulary: the glossary read "Scale AI" as 規模 / 拡大 and "HCA
    Healthcare" as 医療 / ヘルスケア, terms that then pulled a document's other sections ahead of the asked one."""
    q = fold(question)
    if not named:
        return q
    for uid, pat, nm in idx.doc_names:
        if nm in named.get(uid, ()) and _ascii_name(nm):
            q = pat.sub(" ", q)
    return q


def focus_docs(question: str, idx: _SnapIndex) -> set[str]:
    """uids of the documents whose company the question names."""
    return set(focus_names(question, idx))


@lru_cache(maxsize=1 << 16)
def _ascii_name(name: str) -> bool:
    """Whether a company name is matched against the folded question (Latin) or its name key; cached:
    at 1,700 documents the thousands of names were re-normalised for every query."""
    return _name_key(name).isascii()


def focus_names(question: str, idx: _SnapIndex) -> dict[str, list[str]]:
    """{uid: [names of it found in the question]} for the documents whose company the question names."""
    q = fold(question)
    qk = _name_key(question)
    out: dict[str, list[str]] = {}
    for uid, pat, nm in idx.doc_names:
        if pat.search(q if _ascii_name(nm) else qk):
            out.setdefault(uid, []).append(nm)
    return out
