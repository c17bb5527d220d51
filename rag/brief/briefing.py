"""How a one-company briefing is assembled: resolve the company, load its document, build the
profile, key figures and topics (risks and Japan first, so broader topics do not take their
sentences), note what the library does not say, and number the citations.

* profile (company, country, headquarters, founded, employees, industry) from the canonical
  facets (rag.ingest.facets); the citation points at the front-matter key that fed the facet (heading
  path ("フロントマター",) / ("front matter",), the key's line range in the file), or at the
  `| **label** | value |` row of the body for documents without front matter;
* key figures: numeric (and figure-like) front-matter fields with labels derived from the key
  name (rag/brief/briefing_labels.yaml) and units from its suffix (_usd → "$14.0B" / "140億ドル",
  _eur → €, _yen/_jpy → 円, _hours → 時間, _percent → %), plus up to three sentences with
  amounts from sections about results / funding / KPIs;
* topics (AI use and products, customers, outcomes, differentiators, risks, Japan angle):
  front-matter lists or values named for the topic, then the body sentences with the highest
  keyword density from the sections whose headings match the topic, quoted as written (1–3 per
  topic). With an LLM configured (Settings.llm) the candidate sentences of each topic are
  summarised instead, each summary sentence cited to the excerpts it used; the extractive path
  is the default and the fallback.

A topic or profile field with nothing in the document is left out and listed in `notes`
("リスク・課題: ライブラリに記載なし" / "Risks and challenges: not found in the library").
Item quotes (`BriefItem.quotes`) are substrings of the cited lines once Markdown emphasis,
bullet markers and table pipes are removed, so every statement can be checked mechanically.
"""

from __future__ import annotations

import time
from typing import Any

from rag.answer import backend_name
from rag.brief.builder import _Builder
from rag.brief.companies import _entry, _settings
from rag.brief.document import _load
from rag.brief.english import english_item
from rag.brief.labels import MAX_TOPIC_ITEMS, TOPICS, _check_lang, _li, _missing_note, labels, topic_title, ui
from rag.brief.llm_summary import _llm_model
from rag.brief.numbering import _Numbering
from rag.brief.records import Briefing, BriefItem, BriefSection
from rag.brief.text import evidence_key
from rag.config import Settings


def _drop_repeats(sections: list[BriefSection], topic_items: dict[str, list[BriefItem]]) -> None:
    """Each statement once: a topic item repeating an item shown earlier (same source key or same
    value) is dropped; profile, people and figures come first, topics in display order."""
    seen: set[str] = set()

    def fresh(it: BriefItem) -> bool:
        marks = {evidence_key(it.value or it.text)}
        if it.key and it.kind in ("fact", "figure"):
            marks.add("key:" + it.key)
        if marks & seen:
            return False
        seen.update(marks)
        return True

    for s in sections:
        s.items = [it for it in s.items if fresh(it)]
    for topic in TOPICS:
        topic_items[topic] = [it for it in topic_items[topic] if fresh(it)]


def build_briefing(company: Any, lang: str = "ja", settings: Settings | None = None) -> Briefing:
    """A cited briefing about one company (a name, alias, doc_id, or a `snapshot.documents` entry)."""
    t0 = time.perf_counter()
    lang = _check_lang(lang)
    settings = _settings(settings)
    entry = _entry(company, settings)
    t1 = time.perf_counter()
    d = _load(entry, settings)
    t2 = time.perf_counter()
    b = _Builder(d, lang, settings)
    llm = None
    backend = "extractive"
    if settings.llm:
        try:
            llm = _llm_model(settings)

            backend = backend_name(settings.llm) if llm is not None else "extractive"
        except Exception:
            llm, backend = None, "extractive"
    notes: list[str] = []
    sections: list[BriefSection] = []

    profile, missing = b.profile()
    sections.append(BriefSection("profile", ui("profile", lang), profile))
    plabels = labels()["profile"]
    notes += [_missing_note(plabels[f][_li(lang)], lang) for f in missing]

    people = b.people()
    if people:
        sections.append(BriefSection("people", labels()["people"]["title"][_li(lang)], people))

    figures = b.fm_figures()
    body_figs = b.body_figures()
    if figures or body_figs:
        sections.append(BriefSection("figures", ui("figures", lang), figures + body_figs))
    else:
        notes.append(_missing_note(ui("figures", lang), lang))

    # risks and Japan first so their sentences are not taken by broader topics
    topic_items: dict[str, list[BriefItem]] = {}
    named = b.named_customers()
    for topic in ("risks", "japan", "differentiators", "customers", "outcomes", "products"):
        topic_items[topic] = b.topic(topic, llm)
    if named is not None:
        topic_items["customers"] = [named] + topic_items["customers"][: MAX_TOPIC_ITEMS - 1]
    _drop_repeats(sections, topic_items)
    for topic in TOPICS:
        items = topic_items[topic]
        if items:
            sections.append(BriefSection(topic, topic_title(topic, lang), items))
        else:
            notes.append(_missing_note(topic_title(topic, lang), lang))
    if llm is not None and not any(i.kind == "summary" for s in sections for i in s.items):
        backend = "extractive"

    if lang == "en":
        for it in (i for sec in sections for i in sec.items):
            english_item(it)
    numbering = _Numbering(lang)
    for s in sections:
        for it in s.items:
            numbering.number(it)
    t3 = time.perf_counter()
    return Briefing(
        company=d.company,
        lang=lang,
        sections=sections,
        citations=numbering.citations,
        notes=notes,
        sources=numbering.sources_line(),
        doc_id=d.doc_id,
        title=d.title,
        source=str(d.path),
        backend=backend,
        timings={
            "resolve_ms": (t1 - t0) * 1000,
            "load_ms": (t2 - t1) * 1000,
            "build_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000,
        },
    )
