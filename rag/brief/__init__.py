"""Brief: one-page, fully cited company briefings and two-company comparisons, as Markdown, HTML or JSON.

    resolve_company(name, snapshot)          → the indexed document entry of a company
    build_briefing(company, lang, settings)  → Briefing (profile, founders and investors, key figures,
                                               topics, notes)
    compare(a, b, lang, settings)            → Comparison (rows of label, cell A, cell B)
    render_markdown(x) / render_html(x)      → text / a self-contained printable HTML page
    x.to_dict()                              → the JSON form
    list_companies(settings)                 → company names in the index

Everything shown comes from the library and carries a citation `[n]` → Citation (document,
heading path, file line range, quote); nothing is invented and nothing is converted. Modules:
labels (vocabulary, briefing_labels.yaml), text, document (a loaded document), records,
companies, amounts, key_labels, own_facts (rows about competitors / other technologies), english
(values of English briefings), builder_base / profile / people / figures / topics / llm_summary /
builder (items of one document), numbering, briefing, comparison, render.
"""

from rag.brief.amounts import format_amount
from rag.brief.briefing import build_briefing
from rag.brief.companies import list_companies, resolve_company
from rag.brief.comparison import compare
from rag.brief.document import _doc_cache as doc_cache  # loaded documents; eval clears it for cold timings
from rag.brief.errors import BriefingError, UnknownCompany
from rag.brief.key_labels import figure_label
from rag.brief.labels import LANGS, MAX_TOPIC_ITEMS, PROFILE_FIELDS, TOPICS, labels, topic_title, ui
from rag.brief.records import Briefing, BriefItem, BriefSection, Comparison, ComparisonRow
from rag.brief.render import citation_line, render_html, render_markdown
from rag.brief.text import clean_markdown, evidence_key

__all__ = [
    "LANGS",
    "MAX_TOPIC_ITEMS",
    "PROFILE_FIELDS",
    "TOPICS",
    "BriefItem",
    "BriefSection",
    "Briefing",
    "BriefingError",
    "Comparison",
    "ComparisonRow",
    "UnknownCompany",
    "build_briefing",
    "citation_line",
    "clean_markdown",
    "compare",
    "doc_cache",
    "evidence_key",
    "figure_label",
    "format_amount",
    "labels",
    "list_companies",
    "render_html",
    "render_markdown",
    "resolve_company",
    "topic_title",
    "ui",
]
