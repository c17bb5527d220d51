"""Answer: follow-up resolution, the extractive reader, the refusal gate, prompting and LLM
backends, and `ask` / `ask_stream` (question → cited answer or refusal)."""

from rag.answer.pipeline import DEFAULT_K, ask, ask_stream

__all__ = ["DEFAULT_K", "ask", "ask_stream"]
