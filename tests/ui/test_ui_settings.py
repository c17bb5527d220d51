"""ui/llm_status.py, the answer settings of ui/backend.py and ui/tab_settings.py: the LLM status
(configured / reachable, checked with real sockets), which modes are offered, mode and k validated, and
mode and k reaching rag (real index, real pipeline; the LLM is a LangChain fake chat model)."""

from __future__ import annotations

import os
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from rag.answer import DEFAULT_K, register_model, unregister_model
from rag.config import Settings
from rag.schema import Answer
from ui.backend import Backend
from ui.llm_status import llm_status
from ui.tab_settings import llm_status_html, mode_choices


def test_no_llm_configured():
    for spec in (None, "", "extractive", "none"):
        st = llm_status(spec)
        assert not st.configured and not st.usable
    assert 'data-state="none"' in llm_status_html(llm_status(None), "en")


def test_an_invalid_spec_is_shown_as_such():
    st = llm_status("gpt4")
    assert st.configured and not st.valid and not st.usable and "unknown LLM backend" in st.detail
    assert 'data-state="invalid"' in llm_status_html(st, "ja")


def test_reachable_and_unreachable_servers():
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        st = llm_status(f"openai:tiny@http://127.0.0.1:{port}/v1")
        assert st.usable and st.reachable is True and st.name == "openai:tiny"
        assert 'data-state="ok"' in llm_status_html(st, "en") and "reachable" in llm_status_html(st, "en")
    # the same port, closed now
    st = llm_status(f"ollama:qwen2.5@http://127.0.0.1:{port}", timeout=1.0)
    assert st.usable and st.reachable is False and f"127.0.0.1:{port}" in st.detail
    assert 'data-state="down"' in llm_status_html(st, "ja") and "接続できません" in llm_status_html(st, "ja")


def test_local_files_registered_models_and_remote_apis(tmp_path):
    assert llm_status(f"gguf:{tmp_path}/missing.gguf").reachable is False
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF")
    assert llm_status(f"gguf:{f}").reachable is True
    assert llm_status("fake:not-registered").reachable is False
    spec = register_model("ui-status", FakeListChatModel(responses=["x"]))
    try:
        assert llm_status(spec).reachable is True
    finally:
        unregister_model("ui-status")
    st = llm_status("mistral:mistral-small")  # a remote API with no URL configured is not contacted
    assert st.usable and st.reachable is None
    assert llm_status("mistral:mistral-small", check=False).reachable is None


def test_modes_offered_and_options_validated(tmp_path):
    plain = Backend(Settings(data_dir=tmp_path))
    assert [v for _, v in mode_choices(plain, "ja")] == ["extractive"]
    assert plain.default_mode() == "extractive"
    assert plain.answer_options("llm", 3) == ("extractive", 3)  # no LLM: a stored LLM mode falls back
    assert plain.answer_options(None, None) == ("extractive", DEFAULT_K)
    assert plain.answer_options("extractive", 99) == ("extractive", 20)
    assert plain.answer_options("nonsense", "x") == ("extractive", DEFAULT_K)
    with_llm = Backend(Settings(data_dir=tmp_path, llm="ollama:qwen2.5@http://127.0.0.1:9"))
    assert [v for _, v in mode_choices(with_llm, "en")] == ["extractive", "llm"]
    assert "ollama:qwen2.5" in mode_choices(with_llm, "en")[1][0]
    assert with_llm.default_mode() == "llm"
    assert with_llm.answer_options("extractive", 0) == ("extractive", 1)


@pytest.fixture(scope="module")
def index_settings(request) -> Settings:
    """The browser tests' prepared index ($CASEBOOK_UI_TEST_DATA, read only) or the session index."""
    src = os.environ.get("CASEBOOK_UI_TEST_DATA")
    if src:
        return Settings.from_env(data_dir=Path(src))
    return request.getfixturevalue("indexed_settings")


def _final(stream) -> Answer:
    out = [x for x in stream if isinstance(x, Answer)]
    assert len(out) == 1
    return out[0]


def test_mode_and_k_reach_the_pipeline(index_settings):
    reply = "Mistral AIは2023年に設立された [1]。"
    spec = register_model("ui-settings", FakeListChatModel(responses=[reply] * 4))
    try:
        be = Backend(replace(index_settings, llm=spec))
        q = "Mistral AIはいつ設立された？"
        ans = _final(be.ask_stream(q, {}, None, mode="extractive", k=3))
        assert ans.backend == "extractive" and len(ans.hits) == 3 and not ans.refused
        ans = _final(be.ask_stream(q, {}, None, mode="llm", k=5))
        assert ans.backend == spec and len(ans.hits) == 5
        # without an LLM configured the LLM mode is not available: extractive
        plain = Backend(index_settings)
        ans = _final(plain.ask_stream(q, {}, None, mode="llm", k=4))
        assert ans.backend == "extractive" and len(ans.hits) == 4
    finally:
        unregister_model("ui-settings")
