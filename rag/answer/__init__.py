"""Answer: follow-up resolution, the extractive reader, the refusal gate, prompting and LLM
backends, and `ask` / `ask_stream` (question → cited answer or refusal)."""

from rag.answer.answer_line import make_answer_line, render_value
from rag.answer.backends import (
    BackendError,
    backend_name,
    get_chat_model,
    message_text,
    register_model,
    spec_from_settings,
    unregister_model,
)
from rag.answer.entities import EntityCheck, check_entities, entity_index, mention_note, refusal_reason
from rag.answer.extractive import LEAD
from rag.answer.pipeline import DEFAULT_K, LLM_SOURCES, ask, ask_stream
from rag.answer.prompting import (
    SOURCE_CLOSE,
    answer_messages,
    defang,
    parse_citations,
    repair_citations,
    split_claims,
    strip_citations,
)
from rag.answer.refusal import CALIBRATION, REFUSAL_TEXT, RELATED_LEAD

__all__ = [
    "CALIBRATION",
    "DEFAULT_K",
    "LEAD",
    "LLM_SOURCES",
    "REFUSAL_TEXT",
    "RELATED_LEAD",
    "SOURCE_CLOSE",
    "BackendError",
    "EntityCheck",
    "answer_messages",
    "ask",
    "ask_stream",
    "backend_name",
    "check_entities",
    "defang",
    "entity_index",
    "get_chat_model",
    "make_answer_line",
    "mention_note",
    "message_text",
    "parse_citations",
    "refusal_reason",
    "register_model",
    "render_value",
    "repair_citations",
    "spec_from_settings",
    "split_claims",
    "strip_citations",
    "unregister_model",
]
