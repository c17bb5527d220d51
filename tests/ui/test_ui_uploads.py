"""ui.uploads with the real indexer: an uploaded file is indexed, a deleted one leaves the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings

CASE_A = (
    "---\ncase_id: UP-A\ntitle: 架空商事のAI導入\n---\n# 架空商事\n## 1. 概要\n架空商事は2024年に生成AIを導入した。\n"
)
CASE_B = "---\nid: UP-B\ntitle: Example Corp\n---\n# Example\n## 1. Summary\nExample Corp cut costs by 30%.\n"


def _doc_ids(settings: Settings) -> set[str]:
    from rag.index import get_library

    return {d["doc_id"] for d in get_library(settings).snapshot().documents}


def test_upload_then_delete_removes_the_document(tmp_path: Path) -> None:
    from rag.index import index_library
    from ui.uploads import accept_uploads, delete_upload, list_uploads

    settings = Settings.from_env(data_dir=tmp_path / "data", library=())
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.md").write_text(CASE_A, encoding="utf-8")
    (src / "b.md").write_text(CASE_B, encoding="utf-8")
    res = accept_uploads([src / "a.md", src / "b.md"], settings, "en")
    assert sorted(p.name for p in res.saved) == ["a.md", "b.md"]
    assert list_uploads(settings) == ["a.md", "b.md"]
    index_library(settings)
    assert _doc_ids(settings) == {"UP-A", "UP-B"}

    delete_upload("a.md", settings)
    assert list_uploads(settings) == ["b.md"]
    report = index_library(settings)
    assert report.published
    assert _doc_ids(settings) == {"UP-B"}
    from rag.search import retrieve

    assert all(h.doc_id == "UP-B" for h in retrieve("架空商事 生成AI", k=5, settings=settings))


@pytest.mark.parametrize("name", ["", "missing.md", "../a.md", "/etc/passwd", ".a.md.part", "uploads/b.md"])
def test_delete_accepts_only_listed_names(tmp_path: Path, name: str) -> None:
    from ui.uploads import delete_upload, list_uploads

    settings = Settings.from_env(data_dir=tmp_path / "data", library=())
    settings.uploads_dir.mkdir(parents=True)
    (settings.uploads_dir / "b.md").write_text(CASE_B, encoding="utf-8")
    (settings.uploads_dir / ".a.md.part").write_text(CASE_A, encoding="utf-8")
    (tmp_path / "data" / "a.md").write_text(CASE_A, encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        delete_upload(name, settings)
    assert list_uploads(settings) == ["b.md"]
    assert (tmp_path / "data" / "a.md").exists() and (settings.uploads_dir / ".a.md.part").exists()
