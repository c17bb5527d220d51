"""The unit scorer: question analysis and the answer units that best cover it. The reader
(rag.answer.reader) writes the default answer; the unit scorer feeds the refusal gate
(rag.answer.refusal), adds its chosen units as further quoted evidence (rag.answer.compose), and
writes the answer when an LLM answer fails its checks.

    info = analyze(question, snapshot)
    chosen = select(info, score_units(info, hits))
    text, citations, lines = render(info, hits, chosen)

1. Question analysis (`question.analyze`): language (rag.ingest.japanese.detect_language), content
   concepts (rag.ingest.japanese.tokenize; for English questions each word also matches its
   Japanese glossary terms, rag.search.glossary), the companies it names (`companies`: the
   library's company names and aliases), the numbers it contains, and what it asks for: an amount /
   count / percentage (いくら, 何%, どれくらい, how many/much…), a date (いつ, 何年, when…), a name
   (誰, どの, who, which…), plus the counter it expects (何時間 → 時間, "how many stores" → 店舗).
2. Units (`units.section_units`): the units of rag.answer.units (shared with the reader: sentences,
   bullet items, table rows kept WITH the header row, profile fields, headings, each with its file
   lines), code fences included, seen with the scorer's own row text (source columns left out).
3. Scoring (`scoring.score_units`): idf-weighted coverage of the question's concepts by the unit
   (the section's heading path counts half), a bonus when the unit carries what the question asks
   for (a new number with the right counter/unit, a date, a proper name not in the question), the
   section's rank, a penalty for units of another company than the one asked about, for link lists
   and for very long units.
4. Selection (`scoring.select`): the best unit, then (up to MAX_UNITS) units that cover concepts or
   companies still uncovered or score close to the best; near-duplicates dropped.
5. Rendering (`rendering.render`): one lead line in the question's language, then one bullet per
   quote (source language) with its [n]; citations numbered in order of first use, one per section,
   the line range narrowed to the quoted lines (`Citation.start_line/end_line`), quotes = the
   chosen units.

"""

from rag.answer.extractive.question import _idf, analyze
from rag.answer.extractive.rendering import LEAD, cite_units_for_claim, make_citation, render
from rag.answer.extractive.scoring import UNIT_SECTIONS, _covered, _hit_key, score_units, select
from rag.answer.extractive.text import fold, toks

__all__ = [
    "LEAD",
    "UNIT_SECTIONS",
    "analyze",
    "cite_units_for_claim",
    "fold",
    "make_citation",
    "render",
    "score_units",
    "select",
    "toks",
    # internals the refusal gate, the LLM citation check and eval.bench_answer read as they are
    "_covered",
    "_hit_key",
    "_idf",
]
