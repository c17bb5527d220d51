"""get_library: one Library per data dir, shared by settings that differ only in the answer backend."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rag.config import Settings
from rag.index import get_library


def test_answer_backend_does_not_reopen_the_library(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    lib = get_library(s)
    assert get_library(replace(s, llm="ollama:qwen2.5")) is lib
    assert get_library(s) is lib
    # anything the index depends on still gives a fresh Library
    other = get_library(replace(s, embed_model="some/other-model"))
    assert other is not lib and other.settings.embed_model == "some/other-model"
