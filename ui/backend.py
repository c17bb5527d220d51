"""The rag calls the UI needs, bound to one Settings: the index snapshot and whether there is one,
the companies and facet values for the controls, streamed and one-shot answers, suggested filters and
the description of a filter. Every handler of the app goes through one `Backend`; it holds the
feedback store and the lock that keeps two index runs from overlapping.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from rag.answer import DEFAULT_K, ask, ask_stream, spec_from_settings
from rag.brief import list_companies
from rag.index import get_library
from rag.search import Filters, infer_filters

from .feedback import FeedbackStore
from .filters import FACET_CONTROLS
from .llm_status import LlmStatus, llm_status

MODES = ("extractive", "llm")
K_RANGE = (1, 20)


class Backend:
    """The rag calls the UI needs, bound to one Settings."""

    def __init__(self, settings: Any):
        self.settings = settings
        self.feedback = FeedbackStore(settings.data_dir)
        self._index_lock = threading.Lock()
        self.llm_spec = spec_from_settings(settings)
        # the same settings without the LLM: the extractive mode while an LLM is configured
        self._extractive = replace(settings, llm=None) if getattr(settings, "llm", None) else settings

    # ---- index
    def snapshot(self):
        return get_library(self.settings).snapshot()

    def has_index(self) -> bool:
        try:
            return get_library(self.settings).exists()
        except Exception:  # noqa: BLE001
            return False

    def companies(self, fallback: list[str]) -> list[str]:
        try:
            return list_companies(self.settings)
        except Exception:  # noqa: BLE001
            return fallback

    def facet_choices(self) -> dict[str, Any]:
        """Values of each facet control, from the documents in the index; plus the founded-year range."""
        out: dict[str, Any] = {k: set() for k in FACET_CONTROLS}
        years: list[int] = []
        try:
            docs = self.snapshot().documents
        except Exception:  # noqa: BLE001 — no index yet: empty controls
            docs = []
        for d in docs:
            f = d.get("facets") or {}
            for k in FACET_CONTROLS:
                v = f.get(k)
                if isinstance(v, (list, tuple)):
                    out[k].update(str(x) for x in v if x not in (None, ""))
                elif v not in (None, ""):
                    out[k].add(str(v))
            y = f.get("founded_year")
            if isinstance(y, (int, float)) and not isinstance(y, bool):
                years.append(int(y))
        res: dict[str, Any] = {k: sorted(v, key=str.casefold) for k, v in out.items()}
        res["years"] = (min(years), max(years)) if years else (None, None)
        return res

    # ---- answer settings (ui.tab_settings)
    def llm_status(self, check: bool = True) -> LlmStatus:
        return llm_status(self.llm_spec, check=check)

    def default_mode(self) -> str:
        return "llm" if self.llm_status(check=False).usable else "extractive"

    def answer_options(self, mode: Any = None, k: Any = None) -> tuple[str, int]:
        """A valid (mode, k) from what the settings panel (or the browser's storage) holds: the LLM mode
        only while one is configured, k clamped to K_RANGE."""
        m = mode if mode in MODES else self.default_mode()
        if m == "llm" and not self.llm_status(check=False).usable:
            m = "extractive"
        try:
            kk = int(k) if k not in (None, "") else DEFAULT_K
        except (TypeError, ValueError):
            kk = DEFAULT_K
        return m, max(K_RANGE[0], min(K_RANGE[1], kk))

    # ---- answers
    def ask_stream(self, question: str, filters: dict | None, history: list | None, *, mode: Any = None, k: Any = None):
        """Streamed answer (rag's ask_stream) with the answer mode and k of the settings panel."""
        m, kk = self.answer_options(mode, k)
        settings = self.settings if m == "llm" else self._extractive
        return ask_stream(
            question, filters=Filters.from_dict(filters or {}), history=history or None, settings=settings, k=kk
        )

    def ask(self, question: str, filters: dict | None = None, history: list | None = None):
        return ask(question, filters=Filters.from_dict(filters or {}), history=history or None, settings=self.settings)

    def suggest(self, question: str, answer: Any, active: dict) -> dict:
        sugg = dict(getattr(answer, "suggested_filters", None) or {})
        if not sugg:
            try:
                sugg = infer_filters(question, self.snapshot())
            except Exception:  # noqa: BLE001
                sugg = {}
        return {k: v for k, v in sugg.items() if not active.get(k)}

    def describe(self, filters: dict, lang: str) -> str:
        try:
            return Filters.from_dict(filters or {}).describe(lang)
        except ValueError as e:
            return str(e)
