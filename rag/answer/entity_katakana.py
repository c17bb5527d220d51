"""Katakana in questions, for rag.answer.entities: company names the library writes in Latin letters
only (シティバンク for Citibank, by rag.answer.name_sound) and a katakana word that opens a question
(「マイクロソフトの…」) which the tagger splits into common words. `idx` is an entities.EntityIndex."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rag.answer.entity_candidates import _Cand, _flat
from rag.answer.entity_lookup import flat_docs
from rag.answer.name_sound import KATAKANA_RUN, WORD_KEY, sound_owner
from rag.ingest import japanese


def unseen_katakana(question: str, idx: Any) -> list[tuple[str, Any]]:
    """(word, document) for each katakana word of the question that the library never writes and that
    sounds like one document's own name (シティバンク: シティ and バンク are library words, so it is no
    entity candidate; ・ sets off a foreign name: a shorter key is enough)."""
    out = []
    for run in KATAKANA_RUN.findall(unicodedata.normalize("NFKC", question or "")):
        if len(_flat(run)) >= 4 and _flat(run) not in idx.vocab:
            i = sound_owner(run, idx.sounds, 0 if "・" in run else WORD_KEY)
            if i is not None:
                out.append((run, idx.docs[i]))
    return out


_TOPIC = re.compile(r"^([\u30a1-\u30faー][\u30a1-\u30faー・]+)(?:の|は|が)")
TOPIC_MAX_DOCS = 2


def katakana_topic(q: str, idx: Any) -> _Cand | None:
    """A katakana word that opens a Japanese question (「マイクロソフトの従業員数は？」) and that at most
    TOPIC_MAX_DOCS documents write is what the question is about, even when the tagger splits it into
    common words (マイクロ + ソフト) and so gives no candidate: answered from SoftBank's document before.
    Only such split words count: a word the tagger knows is a candidate already when it is a proper
    noun, and a place (フランスのAI企業) is no company."""
    m = _TOPIC.match(q)
    if not m or len(_flat(m.group(1))) < 4:
        return None
    morphs = [f.split(",") for w, _sp, f in japanese.tag(m.group(1)) if w != "・"]
    if len(morphs) < 2 or any(len(f) > 2 and f[2] == "地名" for f in morphs):
        return None  # one word the tagger knows (a proper noun is a candidate already), or a place (フランス)
    n = len(flat_docs(idx, _flat(m.group(1))))
    return _Cand(m.group(1), 0, True) if 0 < n <= TOPIC_MAX_DOCS else None
