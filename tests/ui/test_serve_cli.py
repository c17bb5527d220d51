"""`casebook serve`: refuses unauthenticated non-loopback binds; with --auth nothing leaks without a login."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ui.command import is_loopback, parse_auth
from ui.devserver import REPO, _env, free_port, serve_command, served

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "host,ok",
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_is_loopback(host, ok):
    assert is_loopback(host) is ok


def test_parse_auth():
    assert parse_auth(None) is None and parse_auth("  ") is None
    assert parse_auth("ann:s3:cret") == ("ann", "s3:cret")
    for bad in ("nopassword", ":pw", "user:"):
        with pytest.raises(ValueError):
            parse_auth(bad)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "::"])
def test_remote_bind_without_auth_exits_nonzero(tmp_path, host):
    argv = serve_command("--host", host, "--port", str(free_port()))
    p = subprocess.run(
        argv, cwd=str(REPO), env=_env(tmp_path / "data", None), capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 2, p.stdout + p.stderr
    assert "refusing to serve on" in p.stderr and "--auth" in p.stderr and "--allow-unauthenticated-remote" in p.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was created or indexed


def test_bad_auth_value_exits_nonzero(tmp_path):
    argv = serve_command("--port", str(free_port()))
    env = _env(tmp_path / "data", {"CASEBOOK_AUTH": "no-colon"})
    p = subprocess.run(argv, cwd=str(REPO), env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "USER:PASSWORD" in p.stderr


@pytest.fixture(scope="module")
def data_copy(request, tmp_path_factory):
    """A copy of the session index (or of $CASEBOOK_UI_TEST_DATA, to iterate without rebuilding it)."""
    src = os.environ.get("CASEBOOK_UI_TEST_DATA")
    src_dir = Path(src) if src else request.getfixturevalue("indexed_settings").data_dir
    dest = tmp_path_factory.mktemp("serve-auth") / "data"
    shutil.copytree(src_dir, dest, ignore=shutil.ignore_patterns("uploads", "feedback.jsonl", "eval-runs"))
    return dest


def test_auth_protects_ui_and_api(data_copy):
    httpx = pytest.importorskip("httpx")
    secret_bits = ["GENAI_042", "Mistral", "ミストラル", "Arthur Mensch"]
    with served(data_copy, auth="alice:wonder-land", args=("--no-warmup",)) as srv:
        base = srv.url
        with httpx.Client(base_url=base, timeout=30, follow_redirects=False, trust_env=False) as c:
            probes = [
                ("GET", "/", None),
                ("GET", "/config", None),
                ("GET", "/gradio_api/info", None),
                ("GET", "/gradio_api/info?all_endpoints=true", None),
                ("POST", "/gradio_api/call/ask", {"data": ["Who is the CEO of Mistral AI?", ""]}),
                ("POST", "/gradio_api/run/ask", {"data": ["Who is the CEO of Mistral AI?", ""]}),
                ("POST", "/gradio_api/api/ask", {"data": ["Who is the CEO of Mistral AI?", ""]}),
                ("POST", "/gradio_api/queue/join", {"data": ["x", ""], "fn_index": 0, "session_hash": "abc"}),
                ("GET", "/gradio_api/queue/data?session_hash=abc", None),
                ("GET", f"/gradio_api/file={data_copy}/CURRENT.json", None),
                ("GET", "/gradio_api/openapi.json", None),
            ]
            for method, path, body in probes:
                r = c.request(method, path, json=body)
                text = r.text
                leaked = [b for b in secret_bits if b in text]
                assert not leaked, f"{method} {path} → {r.status_code} leaks {leaked}: {text[:300]}"
                if path != "/":
                    assert r.status_code in (401, 403, 404, 405, 307, 302), (
                        f"{method} {path} → {r.status_code}: {text[:200]}"
                    )
            # the login page itself loads, and a wrong password is refused
            assert c.get("/").status_code == 200
            bad = c.post("/login", data={"username": "alice", "password": "nope"})
            assert bad.status_code in (400, 401)
            assert "set-cookie" not in {k.lower() for k in bad.headers}
            # control: with the right password the same API answers (so the probes above were meaningful)
            ok = c.post("/login", data={"username": "alice", "password": "wonder-land"})
            assert ok.status_code == 200, ok.text[:200]
            r = c.post("/gradio_api/call/ask", json={"data": ["Who is the CEO of Mistral AI?", ""]})
            assert r.status_code == 200, r.text[:300]
            event_id = r.json()["event_id"]
            stream = c.get(f"/gradio_api/call/ask/{event_id}", timeout=120).text
            data_lines = [ln[5:].strip() for ln in stream.splitlines() if ln.startswith("data:")]
            payload = json.loads(data_lines[-1])[0]
            assert payload["citations"] and payload["lang"] == "en"


def test_first_start_indexes_the_library_then_serves(tmp_path):
    """No index yet: `casebook serve` indexes the library (CASEBOOK_LIBRARY) first, then serves."""
    httpx = pytest.importorskip("httpx")
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "docs" / "fm_subject.md", lib / "case.md")
    data = tmp_path / "data"
    with served(data, env={"CASEBOOK_LIBRARY": str(lib)}) as srv:
        log = srv.log()
        assert "no index in" in log and "indexing" in log and "generation 1: 1 documents" in log, log
        assert (data / "CURRENT.json").exists()
        r = httpx.get(srv.url + "/", timeout=30, trust_env=False)
        assert r.status_code == 200
        # the page itself names no remote host (fonts, scripts, styles are all served locally)
        remote = re.findall(r'(?:src|href)="(https?://(?!127\.0\.0\.1)[^"]+)"', r.text)
        assert not remote, remote


def test_ready_time_counts_from_the_command_not_the_process(data_copy):
    """`sh -c 'work; exec casebook serve'` (the README's one-liner) hands an older process to casebook:
    the printed ready time must not include what that process did before casebook started."""
    import signal
    import time

    port = free_port()
    cmd = " ".join(serve_command("--port", str(port), "--no-warmup"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["bash", "-c", f"sleep 6; exec {cmd}"],
        cwd=str(REPO),
        env=_env(data_copy, None),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            if "casebook is ready at" in line:
                break
        wall = time.perf_counter() - t0
        m = re.search(r"ready in ([\d.]+) s", "".join(out))
        assert m, "".join(out)
        reported = float(m.group(1))
        assert 0 < reported <= wall - 5.5, (reported, wall, "".join(out))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def test_other_commands_do_not_import_gradio() -> None:
    """The `casebook` parser registers `serve` (ui.command) without importing Gradio (~3 s of imports
    that `casebook index` and `casebook ask` would otherwise pay); `serve` imports it when it runs."""
    code = (
        "import sys; from rag.cli.main import build_parser; p = build_parser(); "
        "assert 'serve' in p._subparsers._group_actions[0].choices; "
        "print(sorted(m for m in sys.modules if m.startswith(('gradio', 'ui.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert "gradio" not in out.stdout and "ui.app" not in out.stdout, out.stdout
    assert "ui.command" in out.stdout, out.stdout
