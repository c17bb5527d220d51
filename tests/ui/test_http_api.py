"""The HTTP API (ui.http_api) of a real `casebook serve` subprocess, over real HTTP (httpx): with and
without auth, on an index of seeds/, and on an empty data dir (503)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ui.devserver import served
from ui.http_api import MAX_BODY_BYTES

httpx = pytest.importorskip("httpx")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
AUTH = ("alice", "wonder-land")
CEO_Q = "Who is the CEO of Mistral AI?"


@pytest.fixture(scope="module")
def seed_data(tmp_path_factory) -> Path:
    """A data dir indexed from seeds/ (or a copy of $CASEBOOK_UI_TEST_DATA, to iterate quickly)."""
    dest = tmp_path_factory.mktemp("http-api") / "data"
    src = os.environ.get("CASEBOOK_UI_TEST_DATA")
    if src:
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("uploads", "feedback.jsonl", "eval-runs"))
        return dest
    from rag.config import Settings
    from rag.index import index_library

    settings = Settings.from_env(data_dir=dest, library=(REPO / "seeds",))
    report = index_library(settings)
    assert report.published and not report.errors, report.lines()
    return dest


@pytest.fixture(scope="module")
def open_server(seed_data):
    with served(seed_data, args=("--no-warmup",)) as srv:
        with httpx.Client(base_url=srv.url, timeout=180, trust_env=False) as c:
            yield c


@pytest.fixture(scope="module")
def auth_server(seed_data):
    with served(seed_data, auth=":".join(AUTH), args=("--no-warmup",)) as srv:
        with httpx.Client(base_url=srv.url, timeout=180, trust_env=False) as c:
            yield c


def _error(r, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert body["status"] == status and body["error"], body
    return body["error"]


# ------------------------------------------------------------------------------ no auth


def test_ask_returns_a_cited_answer(open_server):
    r = open_server.post("/api/ask", json={"question": CEO_Q})
    assert r.status_code == 200, r.text[:300]
    a = r.json()
    assert a["lang"] == "en" and not a["refused"]
    assert "Arthur Mensch" in a["text"] and "[1]" in a["text"]
    c = a["citations"][0]
    assert c["doc_id"] == "GENAI_042" and c["n"] == 1
    assert c["source"] == "000_2a18f7e169fe24df.txt"  # the file name only, not a server path
    assert 1 <= c["start_line"] <= c["end_line"] and c["heading_path"] and c["quote"]
    src_lines = (REPO / "seeds" / c["source"]).read_text(encoding="utf-8").splitlines()
    cited = "\n".join(src_lines[c["start_line"] - 1 : c["end_line"]])
    assert any(q.strip() and q.strip() in cited for q in c["quote"]), (c, cited)
    assert a["timings"]["total"] > 0


def test_ask_in_japanese_with_history_and_filters(open_server):
    r = open_server.post(
        "/api/ask",
        json={
            "question": "その会社の設立年は？",
            "history": [
                {"role": "user", "content": "ミストラルAIのCEOは誰？"},
                {"role": "assistant", "content": "Arthur Mensch [1]"},
            ],
            "filters": {"country": "France"},
        },
    )
    assert r.status_code == 200, r.text[:300]
    a = r.json()
    assert a["lang"] == "ja" and a["citations"] and {c["doc_id"] for c in a["citations"]} == {"GENAI_042"}
    # a filter that excludes the only document: nothing to cite, so a refusal
    r = open_server.post("/api/ask", json={"question": CEO_Q, "filters": ["country=日本"]})
    assert r.status_code == 200 and r.json()["refused"] and not r.json()["citations"], r.text[:300]


def test_search_applies_the_filter(open_server):
    r = open_server.get("/api/search", params={"q": "CEO founders", "k": 3, "filter": "country=France"})
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["filters"] == "country = フランス"  # "France" canonicalised like the CLI does
    secs = body["sections"]
    assert 1 <= len(secs) <= 3 and {s["doc_id"] for s in secs} == {"GENAI_042"}
    assert all(s["start_line"] <= s["end_line"] and s["text"] for s in secs)
    r = open_server.get("/api/search", params=[("q", "CEO"), ("filter", "country=Japan"), ("filter", "tags~=LLM")])
    assert r.status_code == 200 and r.json()["sections"] == [], r.text[:300]


@pytest.mark.parametrize(
    "method,path,kw,says",
    [
        ("GET", "/api/search", {"params": {"q": "CEO", "filter": "bogus=1"}}, "unknown filter key 'bogus'"),
        ("GET", "/api/search", {"params": {"q": "CEO", "filter": "founded_year>=abc"}}, "expected a number"),
        ("POST", "/api/ask", {"json": {"question": CEO_Q, "filters": ["no-operator"]}}, "bad filter"),
        ("POST", "/api/ask", {"json": {"question": CEO_Q, "filters": {"founded_year": {"zz": 1}}}}, "unknown operator"),
        ("POST", "/api/ask", {"json": {"question": "   "}}, "empty question"),
        ("POST", "/api/ask", {"json": {"filters": {}}}, "question"),
        ("POST", "/api/ask", {"json": {"question": CEO_Q, "history": [{"role": "system", "content": "x"}]}}, "role"),
        ("POST", "/api/ask", {"content": b"{not json", "headers": {"content-type": "application/json"}}, "JSON"),
        ("GET", "/api/search", {"params": {"q": "CEO", "k": 0}}, "k"),
    ],
)
def test_bad_requests_are_400_json(open_server, method, path, kw, says):
    assert says in _error(open_server.request(method, path, **kw), 400)


def test_body_over_the_limit_is_413(open_server):
    big = {"question": "x" * (MAX_BODY_BYTES + 10)}
    assert "too large" in _error(open_server.post("/api/ask", json=big), 413)

    def chunks():  # no Content-Length: the limit holds on the bytes actually received
        yield b'{"question": "'
        for _ in range(MAX_BODY_BYTES // 4096 + 2):
            yield b"y" * 4096
        yield b'"}'

    r = open_server.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    _error(r, 413)


def test_brief_json_and_markdown(open_server):
    r = open_server.get("/api/brief/ミストラルAI", params={"lang": "en"})
    assert r.status_code == 200, r.text[:300]
    b = r.json()
    assert "Mistral" in str(b) and b.get("citations"), list(b)
    r = open_server.get("/api/brief/Mistral AI", params={"lang": "ja", "format": "md"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert r.text.startswith("#") and "[1]" in r.text
    err = open_server.get("/api/brief/Nobody Industries").json()
    assert err["status"] == 404 and "Nobody Industries" in err["error"]
    _error(open_server.get("/api/brief/Mistral AI", params={"format": "pdf"}), 400)


def test_docs_lists_the_library(open_server):
    r = open_server.get("/api/docs")
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    (doc,) = body["documents"]
    assert doc["doc_id"] == "GENAI_042" and doc["facets"]["company"] == "Mistral AI" and doc["chunks"] > 0
    assert doc["source"] == "000_2a18f7e169fe24df.txt" and body["generation"] >= 1
    assert all(i["line"] for i in doc["issues"])  # the seed's front-matter warning, with its line


def test_openapi_and_reference_page(open_server):
    spec = open_server.get("/api/openapi.json").json()
    assert {"/ask", "/search", "/brief/{company}", "/docs"} <= set(spec["paths"])
    assert spec["servers"] == [{"url": "/api"}]
    page = open_server.get("/api/reference")
    assert page.status_code == 200 and "/api/ask" in page.text and "curl" in page.text
    assert "https://" not in page.text and "<script" not in page.text  # nothing fetched from a CDN
    _error(open_server.get("/api/nowhere"), 404)
    _error(open_server.get("/api/ask"), 405)
    assert open_server.get("/").status_code == 200  # the Gradio UI is still there


# ------------------------------------------------------------------------------ auth


@pytest.mark.parametrize(
    "method,path",
    [("POST", "/api/ask"), ("GET", "/api/search?q=CEO"), ("GET", "/api/brief/Mistral%20AI"), ("GET", "/api/docs"),
     ("GET", "/api/openapi.json"), ("GET", "/api/reference"), ("GET", "/api/nowhere")],
)  # fmt: skip
def test_auth_is_required(auth_server, method, path):
    for creds in (None, ("alice", "wrong"), ("bob", "wonder-land")):
        r = auth_server.request(method, path, json={"question": CEO_Q} if method == "POST" else None, auth=creds)
        _error(r, 401)
        assert r.headers["www-authenticate"].startswith("Basic")
        assert "Mensch" not in r.text and "GENAI_042" not in r.text
    r = auth_server.request(method, path, headers={"authorization": "Basic !!!not-base64"})
    _error(r, 401)


def test_auth_with_credentials(auth_server):
    r = auth_server.post("/api/ask", json={"question": CEO_Q}, auth=AUTH)
    assert r.status_code == 200 and r.json()["citations"], r.text[:300]
    assert auth_server.get("/api/docs", auth=AUTH).json()["documents"]
    r = auth_server.get("/api/search", params={"q": "CEO", "filter": "bogus=1"}, auth=AUTH)
    _error(r, 400)
    # the 413 check comes after the login check: an anonymous big body is a 401
    big = {"question": "x" * (MAX_BODY_BYTES + 10)}
    _error(auth_server.post("/api/ask", json=big), 401)
    _error(auth_server.post("/api/ask", json=big, auth=AUTH), 413)


# ------------------------------------------------------------------------------ no index


def test_no_index_is_503(tmp_path):
    lib = tmp_path / "empty-library"
    lib.mkdir()
    data = tmp_path / "data"
    with served(data, args=("--no-warmup",), env={"CASEBOOK_LIBRARY": str(lib)}) as srv:
        with httpx.Client(base_url=srv.url, timeout=120, trust_env=False) as c:
            # an index with no document yet
            _error(c.post("/api/ask", json={"question": CEO_Q}), 503)
            _error(c.get("/api/search", params={"q": "CEO"}), 503)
            _error(c.get("/api/brief/Mistral AI"), 503)
            assert c.get("/api/docs").json()["documents"] == []
            # no index at all (its pointer gone)
            (data / "CURRENT.json").unlink()
            for r in (c.post("/api/ask", json={"question": CEO_Q}), c.get("/api/docs")):
                assert "no index" in _error(r, 503)
            _error(c.post("/api/ask", json={"question": ""}), 400)  # a bad request stays a 400
