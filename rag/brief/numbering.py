"""Citation numbers: items' source references numbered in order of first use (one number per
document, heading path and line range, its quotes gathered), and the closing line naming the
documents used."""

from __future__ import annotations

from rag.brief.document import _Doc
from rag.brief.labels import ui
from rag.brief.records import BriefItem
from rag.schema import Citation


class _Numbering:
    """Assigns citation numbers in order of first use; one number per (doc, path, line range)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.citations: list[Citation] = []
        self._index: dict[tuple[str, tuple[str, ...], int, int], int] = {}
        self.docs: dict[str, _Doc] = {}

    def number(self, item: BriefItem | None) -> None:
        if item is None:
            return
        cites: list[int] = []
        for r in item.refs:
            path = r.heading_path or (ui("front_matter", self.lang),)
            key = (r.doc.uid, path, r.start_line, r.end_line)
            n = self._index.get(key)
            if n is None:
                n = len(self.citations) + 1
                self._index[key] = n
                self.citations.append(
                    Citation(
                        n, r.doc.doc_id, r.doc.title, r.doc.company, path, str(r.doc.path), r.start_line, r.end_line, []
                    )
                )
                self.docs[r.doc.uid] = r.doc
            c = self.citations[n - 1]
            if r.quote and r.quote not in c.quote:
                c.quote.append(r.quote)
            if n not in cites:
                cites.append(n)
        item.cites = cites

    def sources_line(self) -> str:
        docs = list(self.docs.values())
        parts = [f"{d.title} ({d.path.name})" for d in docs]
        head = ui("sources", self.lang)
        sep = "：" if self.lang == "ja" else ": "
        return head + sep + ("; ".join(parts) if parts else "—")
