"""Whose figure it is: the company an answer line names (and a "not in the library for …" line).

`company_name` gives a document's company as the answer's language writes it — its own Latin name in
English (never a first word cut from it, nor a product its title brackets), its Japanese name in
Japanese — and never the document's internal key. `line_name` is that name, or for a Japanese
question about a company whose document writes it only in Latin letters, the asker's own spelling
(ゴールドマン・サックス).
"""

from __future__ import annotations

from typing import Any

from rag.answer.entities import display_name
from rag.answer.extractive.companies import company_display


def company_name(snapshot: Any, doc_id: str, lang: str) -> str:
    """The company name of an answer line; for a document without a company field, the name its
    text gives (rag.answer.entities.display_name), never its internal key."""
    if snapshot is None:
        return ""

    def real(name: str) -> bool:
        return bool(name) and name != doc_id and not name.startswith(doc_id + "@")

    def own() -> str | None:  # None: the entity index failed
        try:
            return display_name(snapshot, doc_id, lang) or ""
        except Exception:  # noqa: BLE001 — a display name must not stop the answer
            return None

    if lang != "ja":
        # the document's own Latin name, never a first word cut from it ("Hugging" of Hugging Face)
        # nor a product its title brackets; without one, its Japanese name (東京都), not a made-up one
        latin = own()
        if latin:
            return latin
        ja = company_display(snapshot, doc_id, "ja")
        if real(ja):
            return ja
        name = company_display(snapshot, doc_id, lang)
        return name if real(name) or latin is None else ""
    name = company_display(snapshot, doc_id, lang)
    if real(name) and not name.isascii():
        return name
    got = own()  # a document with no Japanese name: its full Latin one ("Best Buy", not "Best")
    return got or (name if real(name) or got is None else "")


def line_name(snapshot: Any, doc_id: str, lang: str, asked_names: dict[str, str] | None) -> str:
    name = company_name(snapshot, doc_id, lang)
    if lang == "ja" and name.isascii():
        name = (asked_names or {}).get(doc_id) or name  # as the asker spelled it (ゴールドマン・サックス)
    return name
