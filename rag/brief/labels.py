"""The briefing's vocabulary: the languages, topics and profile fields a briefing has, the number of
items a topic may show, and the labels and keyword lists of rag/brief/briefing_labels.yaml (section
titles, UI strings, topic headings and words, figure key words), loaded once and shared by all."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import yaml

LABELS_FILE = Path(__file__).with_name("briefing_labels.yaml")
LANGS = ("ja", "en")
TOPICS = ("products", "customers", "outcomes", "differentiators", "risks", "japan")
PROFILE_FIELDS = ("company", "country", "headquarters", "founded", "employees", "industry")
MAX_TOPIC_ITEMS = 3


_labels_cache: dict[str, Any] | None = None
_labels_lock = threading.Lock()


def labels() -> dict[str, Any]:
    """rag/brief/briefing_labels.yaml, loaded once."""
    global _labels_cache
    with _labels_lock:
        if _labels_cache is None:
            _labels_cache = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
        return _labels_cache


def _li(lang: str) -> int:
    return 0 if lang == "ja" else 1


def ui(key: str, lang: str) -> str:
    return labels()["ui"][lang][key]


def topic_title(topic: str, lang: str) -> str:
    return labels()["topics"][topic]["title"][_li(lang)]


def _check_lang(lang: str) -> str:
    lang = (lang or "ja").lower()
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use ja or en")
    return lang


def _missing_note(label: str, lang: str) -> str:
    sep = "：" if lang == "ja" else ": "
    return f"{label}{sep}{ui('missing', lang)}"
