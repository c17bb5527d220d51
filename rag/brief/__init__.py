"""Brief: one-page cited company briefings and two-company comparisons, rendered as Markdown,
HTML or JSON."""

from rag.brief.briefing import (
    Briefing,
    BriefingError,
    Comparison,
    UnknownCompany,
    build_briefing,
    compare,
    list_companies,
    render_html,
    render_markdown,
)

__all__ = [
    "Briefing",
    "BriefingError",
    "Comparison",
    "UnknownCompany",
    "build_briefing",
    "compare",
    "list_companies",
    "render_html",
    "render_markdown",
]
