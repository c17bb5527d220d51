"""A "which / what X …" question whose X the company's whole document never writes.

"What GPUs does Seven-Eleven Japan use to train its demand forecasting models?": the Seven-Eleven
document never writes "GPU", yet the reader's best unit about forecasting models held a name
("ML.CREATE"), and the answer gave it as the GPUs. A term the documents write in Latin capitals (GPU,
CEO, ARR) is written so in a document that speaks of it: when the question asks such a noun and the named
company's document holds none of its forms (the acronym, the glossary's Japanese forms), the part is not
in the library.

Only such terms: Japanese forms are paraphrased ("certifications" → 認証 / 認定, while the document
says SOC 2 / ISO 27001 取得), and on the five dev sets 5 of 53 answerable questions with a Japanese
asked noun had none of its forms in their document.
"""

from __future__ import annotations

import re
from typing import Any

from rag.answer.asked_noun import asked_noun, asked_phrase
from rag.answer.reader.answer_types import nfkc
from rag.search.snap_index import PerSnapshot

_LATIN_TERM = re.compile(r"[A-Z][A-Z0-9]+")  # an acronym as the documents write it: GPU, CEO, GDPR


def _document_texts(snap: Any) -> dict[str, str]:
    """{doc_id: the NFKC text of all its chunks}, built once per snapshot."""
    parts: dict[str, list[str]] = {}
    for cid, m in snap.metas.items():
        parts.setdefault(str(m.get("doc_id") or ""), []).append(snap.texts.get(cid, ""))
    return {d: nfkc("\n".join(ts)) for d, ts in parts.items()}


_texts = PerSnapshot(_document_texts)


def latin_forms(part: str) -> tuple[str, ...]:
    """When the asked noun is written as a Latin acronym ("What TPUs does …", "Who is Moderna's CFO?"):
    it and its glossary forms (CFO, 最高財務責任者); else ()."""
    words = asked_phrase(part).split()
    head = re.sub(r"(?<=[A-Z0-9])(?:e?s)$", "", words[-1]) if words else ""
    if not _LATIN_TERM.fullmatch(head):
        return ()
    return tuple(dict.fromkeys([head, *asked_noun(part)]))


def noun_absent(part: str, doc_id: str, snap: Any) -> bool:
    """Whether `part` asks about a Latin-acronym noun that document `doc_id` never writes in any form."""
    forms = latin_forms(part)
    if not forms or not doc_id:
        return False
    text = _texts.get(snap).get(doc_id)
    if text is None:
        return False
    return not any(nfkc(f) in text for f in forms)
