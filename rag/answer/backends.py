"""LLM backends (off by default) as LangChain chat models, chosen by a spec string.

    Settings.llm / env CASEBOOK_LLM          → chat model
    ollama:MODEL[@http://host:port]         → langchain_ollama.ChatOllama
    openai:MODEL[@BASE_URL]                 → langchain_openai.ChatOpenAI (key: OPENAI_API_KEY or "none")
    mistral:MODEL                           → langchain_mistralai.ChatMistralAI (key: MISTRAL_API_KEY)
    gguf:/path/model.gguf                   → langchain_community ChatLlamaCpp (llama-cpp-python, in-process;
                                              the optional `gguf` extra)
    fake:NAME                               → a model registered with `register_model(NAME, model)` (tests, UI demos)

No spec (None / "" / "extractive" / "none") means the offline extractive answerer (rag.extractive).

Tunables from the environment: CASEBOOK_LLM_MAX_TOKENS (reply budget, default 512),
CASEBOOK_LLM_TEMPERATURE (default 0), CASEBOOK_LLM_TIMEOUT (seconds, default 120),
CASEBOOK_LLM_SOURCES (sections put in the prompt, default 5),
CASEBOOK_LLM_CONTEXT_CHARS (characters of source text put in the prompt, default 6000; lower it
for small-context models such as a 2048-token llama.cpp server), CASEBOOK_LLM_N_CTX (gguf only).

Pitfall handled here: ChatOpenAI sends `max_tokens` as `max_completion_tokens`, which the
llama.cpp server ignores, so the budget is also passed as `extra_body={"max_tokens": N}`.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from dataclasses import dataclass
from typing import Any

NO_LLM = frozenset({"", "none", "extractive", "off", "false", "0"})
KINDS = ("ollama", "openai", "mistral", "gguf", "fake")
DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434"


class BackendError(ValueError):
    """A spec that cannot be parsed or a backend whose package is missing."""


@dataclass(frozen=True)
class BackendSpec:
    kind: str  # ollama | openai | mistral | gguf | fake
    model: str
    base_url: str | None = None

    @property
    def name(self) -> str:
        """Short label for Answer.backend (no URL, no path)."""
        model = os.path.basename(self.model) if self.kind == "gguf" else self.model
        return f"{self.kind}:{model}"

    def __str__(self) -> str:
        return f"{self.kind}:{self.model}" + (f"@{self.base_url}" if self.base_url else "")


_URL_SPLIT = re.compile(r"@(?=https?://)")


def parse_spec(spec: str | BackendSpec | None) -> BackendSpec | None:
    """Parse a backend spec; None for "no LLM". Raises BackendError on a malformed spec."""
    if spec is None or isinstance(spec, BackendSpec):
        return spec
    s = str(spec).strip()
    if s.lower() in NO_LLM:
        return None
    kind, sep, rest = s.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in KINDS:
        raise BackendError(
            f"unknown LLM backend spec {spec!r}: use ollama:MODEL[@URL], openai:MODEL@BASE_URL, "
            f"mistral:MODEL, gguf:/path/model.gguf (or leave unset for extractive answers)"
        )
    rest = rest.strip()
    base_url = None
    if kind in ("ollama", "openai"):
        parts = _URL_SPLIT.split(rest, maxsplit=1)
        rest = parts[0].strip()
        if len(parts) == 2:
            base_url = parts[1].strip().rstrip("/") or None
    if not rest:
        raise BackendError(f"LLM backend spec {spec!r} names no model")
    if kind == "gguf":
        rest = os.path.expanduser(rest)
    return BackendSpec(kind, rest, base_url)


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def max_tokens() -> int:
    return _int_env("CASEBOOK_LLM_MAX_TOKENS", 512)


def llm_sources() -> int:
    """Sections given to the LLM (CASEBOOK_LLM_SOURCES, default 5)."""
    return max(1, _int_env("CASEBOOK_LLM_SOURCES", 5))


def context_chars() -> int:
    """Characters of source text the prompt may carry (rag.prompting budgets the sources with it)."""
    return max(200, _int_env("CASEBOOK_LLM_CONTEXT_CHARS", 6000))


# ----------------------------------------------------------------------------- registry (fake:NAME)

_registry: dict[str, Any] = {}
_cache: dict[tuple[str, int, float], Any] = {}
_lock = threading.Lock()


def register_model(name: str, model: Any) -> str:
    """Make a ready chat model available as the spec "fake:NAME"; returns that spec."""
    with _lock:
        _registry[name] = model
    return f"fake:{name}"


def unregister_model(name: str) -> None:
    with _lock:
        _registry.pop(name, None)


# ----------------------------------------------------------------------------- construction


def make_chat_model(
    spec: str | BackendSpec,
    *,
    max_new_tokens: int | None = None,
    temperature: float | None = None,
    timeout: float | None = None,
) -> Any:
    """A new LangChain chat model for `spec` (raises BackendError when impossible)."""
    sp = parse_spec(spec)
    if sp is None:
        raise BackendError("no LLM backend configured")
    n = max_new_tokens or max_tokens()
    temp = _float_env("CASEBOOK_LLM_TEMPERATURE", 0.0) if temperature is None else temperature
    tmo = _float_env("CASEBOOK_LLM_TIMEOUT", 120.0) if timeout is None else timeout

    if sp.kind == "fake":
        with _lock:
            model = _registry.get(sp.model)
        if model is None:
            raise BackendError(f"no chat model registered as {sp.model!r} (rag.backends.register_model)")
        return model

    if sp.kind == "ollama":
        try:
            from langchain_ollama import ChatOllama  # noqa: PLC0415 — optional heavy LLM client
        except ImportError as e:  # pragma: no cover - depends on the install
            raise BackendError(f"ollama backend needs langchain-ollama: {e}") from e
        return ChatOllama(
            model=sp.model,
            base_url=sp.base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_URL,
            temperature=temp,
            num_predict=n,
            client_kwargs={"timeout": tmo},
        )

    if sp.kind == "openai":
        try:
            from langchain_openai import ChatOpenAI  # noqa: PLC0415 — optional heavy LLM client
        except ImportError as e:  # pragma: no cover
            raise BackendError(f"openai backend needs langchain-openai: {e}") from e
        kw: dict[str, Any] = {}
        base = sp.base_url or os.environ.get("OPENAI_BASE_URL")
        if base:
            kw["base_url"] = base
        return ChatOpenAI(
            model=sp.model,
            api_key=os.environ.get("OPENAI_API_KEY") or "none",
            temperature=temp,
            timeout=tmo,
            max_retries=0,
            # llama.cpp's server ignores max_completion_tokens (what ChatOpenAI sends for max_tokens)
            extra_body={"max_tokens": n},
            **kw,
        )

    if sp.kind == "mistral":
        try:
            from langchain_mistralai import ChatMistralAI  # noqa: PLC0415 — optional heavy LLM client
        except ImportError as e:  # pragma: no cover
            raise BackendError(f"mistral backend needs langchain-mistralai: {e}") from e
        key = os.environ.get("MISTRAL_API_KEY")
        if not key:
            raise BackendError("mistral backend needs the MISTRAL_API_KEY environment variable")
        return ChatMistralAI(
            model=sp.model, api_key=key, temperature=temp, max_tokens=n, timeout=int(tmo), max_retries=0
        )

    if sp.kind == "gguf":
        if not os.path.isfile(sp.model):
            raise BackendError(f"gguf model file not found: {sp.model}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                from langchain_community.chat_models import ChatLlamaCpp  # noqa: PLC0415 — optional heavy LLM client
            import llama_cpp  # noqa: F401, PLC0415 — optional heavy LLM client
        except ImportError as e:
            raise BackendError(
                "gguf backend needs llama-cpp-python and langchain-community "
                f"(pip install 'casebook[gguf]' llama-cpp-python): {e}"
            ) from e
        return ChatLlamaCpp(
            model_path=sp.model,
            n_ctx=_int_env("CASEBOOK_LLM_N_CTX", 4096),
            n_threads=max(1, min(os.cpu_count() or 2, 8)),
            max_tokens=n,
            temperature=temp,
            verbose=False,
        )

    raise BackendError(f"unknown backend kind {sp.kind!r}")  # pragma: no cover


def get_chat_model(spec: str | BackendSpec | None) -> Any | None:
    """Cached chat model for a spec (None when no LLM is configured)."""
    sp = parse_spec(spec)
    if sp is None:
        return None
    if sp.kind == "fake":
        return make_chat_model(sp)
    key = (str(sp), max_tokens(), _float_env("CASEBOOK_LLM_TEMPERATURE", 0.0))
    with _lock:
        got = _cache.get(key)
    if got is not None:
        return got
    model = make_chat_model(sp)
    with _lock:
        _cache[key] = model
    return model


def backend_name(spec: str | BackendSpec | None) -> str:
    sp = parse_spec(spec)
    return "extractive" if sp is None else sp.name


def spec_from_settings(settings: Any) -> str | None:
    """Settings.llm, else env CASEBOOK_LLM (Settings.from_env already reads it)."""
    spec = getattr(settings, "llm", None) if settings is not None else None
    if spec is None and settings is None:
        spec = os.environ.get("CASEBOOK_LLM")
    return spec


# ----------------------------------------------------------------------------- message text


def message_text(msg: Any) -> str:
    """Text of an AIMessage / AIMessageChunk / str (content may be a list of parts)."""
    if msg is None:
        return ""
    if isinstance(msg, str):
        return msg
    content = getattr(msg, "content", msg)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict) and part.get("type") in (None, "text"):
                out.append(str(part.get("text", "")))
        return "".join(out)
    return str(content)
