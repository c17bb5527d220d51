"""Readers during an index update see one whole generation: the old or the new version of a document."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rag.answer import ask
from rag.config import Settings
from rag.index.indexer import index_library
from rag.search import retrieve


def _doc(version: str) -> str:
    sections = "\n\n".join(
        f"## {i}. 章{i}\n\n版{version}の本文です。第{i}章の売上は{i}{'AB'.index(version) + 1}億円でした。"
        for i in range(1, 6)
    )
    return f"---\nid: VERSIONED\ntitle: 版管理の事例\nsubject:\n  name: 版管理株式会社\n---\n\n{sections}\n"


def test_queries_during_updates_see_one_version(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    target = lib / "versioned.md"
    target.write_text(_doc("A"), encoding="utf-8")
    (lib / "other.md").write_text("# 別の事例\n\n## 概要\n\n別の会社の事例です。\n", encoding="utf-8")
    settings = Settings.from_env(data_dir=tmp_path / "data", library=(lib,))
    index_library(settings, [lib])

    errors: list[str] = []
    seen: list[str] = []
    stop = threading.Event()

    def reader(n: int) -> None:
        while not stop.is_set():
            try:
                hits = retrieve("版管理の事例の売上は？", k=10, settings=settings)
                versions = {v for h in hits if h.doc_id == "VERSIONED" for v in ("A", "B") if f"版{v}" in h.text}
                if len(versions) != 1:
                    errors.append(f"reader {n}: mixed or missing versions {versions}")
                seen.extend(versions)
                ans = ask("版管理株式会社の第3章の売上は？", settings=settings)
                if ans.refused or not ans.citations:
                    errors.append(f"reader {n}: no cited answer during the update")
            except Exception as e:  # any exception is a failure of the snapshot design
                errors.append(f"reader {n}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    try:
        for version in ("B", "A", "B"):
            time.sleep(0.5)
            target.write_text(_doc(version), encoding="utf-8")
            rep = index_library(settings)
            assert rep.published and rep.indexed == 1
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:5]
    assert "A" in seen and "B" in seen  # the readers really saw both generations
