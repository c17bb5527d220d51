"""The public API endpoint for scripts and eval/load_test.py: `/ask` (question, filters JSON) → the
answer as JSON (text, refusal, citations with document, section and lines, timings, backend).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr


def answer_payload(answer: Any) -> dict[str, Any]:
    """JSON for the /ask API endpoint."""
    return {
        "question": answer.question,
        "lang": answer.lang,
        "text": answer.text,
        "refused": answer.refused,
        "citations": [
            {
                "n": c.n,
                "doc_id": c.doc_id,
                "title": c.title,
                "company": c.company,
                "heading_path": list(c.heading_path),
                "source": Path(c.source).name,
                "start_line": c.start_line,
                "end_line": c.end_line,
                "quote": list(c.quote),
                "quote_display": list(getattr(c, "quote_display", None) or c.quote),
            }
            for c in answer.citations
        ],
        "timings": dict(answer.timings or {}),
        "backend": getattr(answer, "backend", ""),
    }


def register_api(be: Any) -> None:
    """Register `/ask` on the Blocks being built (call inside its `with`)."""

    def api_ask(question: str, filters_json: str = "") -> dict:
        """Answer one question. filters_json: a Filters.from_dict mapping as JSON ('' = none)."""
        try:
            f = json.loads(filters_json) if (filters_json or "").strip() else {}
        except json.JSONDecodeError as e:
            raise gr.Error(f"filters_json is not valid JSON: {e}") from e
        return answer_payload(be.ask(question, f))

    gr.api(api_ask, api_name="ask")
