"""Is an LLM backend configured (Settings.llm / CASEBOOK_LLM), and can it be reached? For the settings
panel: the LLM answer mode is only offered when one is configured, with this status beside it.

Reachability is a TCP connect (no request is sent) to the URL the spec or the environment names
(ollama: its URL, OLLAMA_HOST or the default local port; openai: its base URL or OPENAI_BASE_URL);
a gguf model is "reachable" when its file exists, a fake:NAME model when it is registered. A remote
API with no URL in the configuration (mistral, openai without a base URL) is not contacted: "not
checked".
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlparse

from rag.answer import BackendError, get_chat_model
from rag.answer.backends import DEFAULT_OLLAMA_URL, parse_spec

CONNECT_TIMEOUT_S = 1.5


@dataclass(frozen=True)
class LlmStatus:
    configured: bool  # a spec is set (valid or not)
    name: str = ""  # "ollama:qwen2.5" (no URL, no path); "" when none
    valid: bool = False  # the spec parses
    reachable: bool | None = None  # None: not checked
    detail: str = ""  # the URL tried, the file, or why it failed

    @property
    def usable(self) -> bool:
        """The LLM answer mode can be offered (a valid spec; reachability is shown, not required)."""
        return self.configured and self.valid


def _tcp_ok(url: str, timeout: float) -> tuple[bool, str]:
    u = urlparse(url if "://" in url else f"http://{url}")
    host = u.hostname or "127.0.0.1"
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, f"{host}:{port}"
    except OSError as e:
        return False, f"{host}:{port}: {e.strerror or type(e).__name__}"


def llm_status(spec: str | None, *, check: bool = True, timeout: float = CONNECT_TIMEOUT_S) -> LlmStatus:
    """The status of the LLM backend `spec` (None / "" / "extractive" → not configured)."""
    try:
        sp = parse_spec(spec)
    except BackendError as e:
        return LlmStatus(configured=True, name=str(spec), valid=False, reachable=False, detail=str(e))
    if sp is None:
        return LlmStatus(configured=False)
    st = LlmStatus(configured=True, name=sp.name, valid=True)
    if not check:
        return st
    url = None
    if sp.kind == "ollama":
        url = sp.base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_URL
    elif sp.kind == "openai":
        url = sp.base_url or os.environ.get("OPENAI_BASE_URL")
    if url:
        ok, detail = _tcp_ok(url, timeout)
        return LlmStatus(True, sp.name, True, ok, detail)
    if sp.kind == "gguf":
        ok = os.path.isfile(sp.model)
        return LlmStatus(True, sp.name, True, ok, sp.model if ok else f"{sp.model}: file not found")
    if sp.kind == "fake":
        try:
            get_chat_model(sp)
            return LlmStatus(True, sp.name, True, True, "registered")
        except BackendError as e:
            return LlmStatus(True, sp.name, True, False, str(e))
    return st  # a remote API without a configured URL: not contacted
