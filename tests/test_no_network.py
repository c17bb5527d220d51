"""No outbound network: `index`, `ask`, `eval` and `serve` run as real subprocesses under an audit hook.

A `sitecustomize.py` put first on PYTHONPATH installs `sys.addaudithook` in every audited process.
It watches socket.connect / sendto / sendmsg (AF_INET/AF_INET6 only: unix sockets are local) and
name lookups (socket.getaddrinfo / gethostbyname / gethostbyaddr); a destination that is not
loopback (127.0.0.0/8, ::1, localhost, this host's own name) is appended to the log named by
CASEBOOK_NET_AUDIT_LOG and the call is *blocked* (PermissionError), so nothing leaves the machine
even when something tries. Every audited process also records itself (pid, argv) so a test can
tell that the hook really ran. The product's own defaults are what is tested: the child
environments have ANONYMIZED_TELEMETRY, GRADIO_ANALYTICS_ENABLED, HF_HUB_OFFLINE and
TRANSFORMERS_OFFLINE removed (rag.cli / ui.serve must set them themselves).

Also checked in process: the Chroma client the code creates has anonymized_telemetry False, and
the served Gradio app reports analytics_enabled False in its /config.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import REPO, SEEDS

pytestmark = pytest.mark.slow

AUDIT_ENV = "CASEBOOK_NET_AUDIT_LOG"
PRODUCT_DEFAULTS = (
    "ANONYMIZED_TELEMETRY",
    "GRADIO_ANALYTICS_ENABLED",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "CHROMA_ANONYMIZED_TELEMETRY",
    "CASEBOOK_LLM",
    "CASEBOOK_CHROMA_URL",
    "CASEBOOK_AUTH",
)
PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")

SITECUSTOMIZE = r'''
"""Network audit for casebook's tests (see tests/test_no_network.py)."""
import os as _os
import sys as _sys

_LOG = _os.environ.get("CASEBOOK_NET_AUDIT_LOG")


def _install():
    import ipaddress
    import json
    import socket
    import traceback

    local_names = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}
    try:
        local_names.add(socket.gethostname().lower())
    except Exception:
        pass
    busy = [False]

    def is_local_host(host):
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        h = str(host).strip().strip("[]").lower()
        if h in local_names or h.endswith(".localhost"):
            return True
        try:
            ip = ipaddress.ip_address(h.split("%", 1)[0])
        except ValueError:
            return False
        mapped = getattr(ip, "ipv4_mapped", None)
        return ip.is_loopback or ip.is_unspecified or bool(mapped and mapped.is_loopback)

    def record(event, dest):
        if busy[0]:
            return
        busy[0] = True
        try:
            stack = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_stack(limit=12)[:-3]]
            with open(_LOG, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"pid": _os.getpid(), "argv": _sys.orig_argv, "event": event,
                                     "dest": repr(dest), "stack": stack}) + "\n")
        finally:
            busy[0] = False

    def hook(event, args):
        if not event.startswith("socket."):
            return
        dest = None
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, addr = args[0], args[1] if len(args) > 1 else None
            if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6) or addr is None:
                return
            host = addr[0] if isinstance(addr, tuple) else addr
            if is_local_host(host):
                return
            dest = addr
        elif event == "socket.getaddrinfo":
            if is_local_host(args[0]):
                return
            dest = (args[0], args[1])
        elif event in ("socket.gethostbyname", "socket.gethostbyaddr"):
            if is_local_host(args[0]):
                return
            dest = args[0]
        else:
            return
        record(event, dest)
        raise PermissionError(f"casebook network audit: {event} to {dest!r} blocked")

    with open(_LOG + ".procs", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"pid": _os.getpid(), "argv": _sys.orig_argv}) + "\n")
    _sys.addaudithook(hook)


if _LOG:
    _install()
'''


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Audit:
    def __init__(self, root: Path, name: str):
        self.dir = root / "audit-site"
        self.dir.mkdir(exist_ok=True)
        (self.dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        self.log = root / f"{name}.netlog"

    def env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in PRODUCT_DEFAULTS and k not in PROXY_VARS}
        env.update(
            {
                "CASEBOOK_DATA_DIR": str(data_dir),
                AUDIT_ENV: str(self.log),
                "PYTHONUNBUFFERED": "1",
                "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost",
            }
        )
        env["PYTHONPATH"] = os.pathsep.join(
            [str(self.dir), str(REPO)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        )
        env.update(extra)
        return env

    def entries(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(ln) for ln in self.log.read_text(encoding="utf-8").splitlines() if ln.strip()]

    def processes(self) -> list[dict]:
        p = Path(str(self.log) + ".procs")
        return [json.loads(ln) for ln in p.read_text(encoding="utf-8").splitlines()] if p.exists() else []

    def assert_clean(self, what: str) -> None:
        procs = self.processes()
        assert procs, f"{what}: the audit hook never ran (sitecustomize not imported?)"
        bad = self.entries()
        assert not bad, f"{what}: outbound network attempts: " + json.dumps(bad[:5], ensure_ascii=False, indent=1)


def _run(audit: Audit, data: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli.main", *args],
        cwd=str(REPO),
        env=audit.env(data),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("no-network")


@pytest.fixture(scope="module")
def indexed_data(root: Path) -> Path:
    """`casebook index` of the seed, audited (its own test checks the log)."""
    audit = Audit(root, "index")
    data = root / "data"
    p = _run(audit, data, "index", "--quiet", str(SEEDS))
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    return data


def _has_subcommand(name: str) -> bool:
    from rag.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    return name in sub.choices  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- the audit works


def test_audit_hook_catches_and_blocks_outbound_attempts(root: Path) -> None:
    """Control: without it an empty log would prove nothing. Nothing is sent: the hook raises first."""
    audit = Audit(root, "control")
    code = (
        "import socket\n"
        "for f in (lambda: socket.getaddrinfo('example.org', 443),\n"
        "          lambda: socket.socket().connect(('192.0.2.1', 9)),\n"
        "          lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('198.51.100.7', 53))):\n"
        "    try:\n"
        "        f()\n"
        "    except PermissionError as e:\n"
        "        print('blocked:', e)\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
        "c = socket.create_connection(s.getsockname(), timeout=5); c.close()\n"  # loopback: allowed, not logged
        "socket.getaddrinfo('localhost', 80)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], env=audit.env(root / "unused"), capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("blocked:") == 3, p.stdout
    events = [(e["event"], e["dest"]) for e in audit.entries()]
    assert [ev for ev, _ in events] == ["socket.getaddrinfo", "socket.connect", "socket.sendto"], events
    assert audit.processes()


# ----------------------------------------------------------------------------- the commands


def test_index_makes_no_outbound_call(root: Path, indexed_data: Path) -> None:
    Audit(root, "index").assert_clean("casebook index")
    assert (indexed_data / "CURRENT.json").exists()


def test_ask_makes_no_outbound_call(root: Path, indexed_data: Path) -> None:
    if not _has_subcommand("ask"):
        pytest.skip("`casebook ask` is not registered yet (rag/cli_ask.py missing): cannot audit it")
    audit = Audit(root, "ask")
    p = _run(audit, indexed_data, "ask", "ミストラルAIのCEOは誰？", "--json")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    assert "Mensch" in p.stdout
    p = _run(audit, indexed_data, "ask", "What is the capital of Mars?")
    assert p.returncode in (0, 3), p.stderr[-3000:]  # 3: an honest refusal
    audit.assert_clean("casebook ask")


def test_eval_makes_no_outbound_call(root: Path, indexed_data: Path) -> None:
    audit = Audit(root, "eval")
    questions = root / "three.jsonl"
    rows = [
        {
            "id": "q-ja",
            "question": "ミストラルAIのCEOは誰？",
            "lang": "ja",
            "answerable": True,
            "gold": [{"doc": "GENAI_042", "section": "三人の創業者"}],
            "facts": [["Arthur Mensch"]],
        },
        {
            "id": "q-en",
            "question": "When was Mistral AI founded?",
            "lang": "en",
            "answerable": True,
            "gold": [{"doc": "GENAI_042", "section": "背景と設立経緯"}],
            "facts": [["2023"]],
        },
        {"id": "q-none", "question": "Who won the 1998 World Cup?", "lang": "en", "answerable": False},
    ]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = root / "eval-out"
    p = _run(audit, indexed_data, "eval", str(questions), "--out", str(out), "--quiet")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(results["questions"]) == 3
    audit.assert_clean("casebook eval")


def _get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _post(url: str, body: dict, timeout: float = 60) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_serve_makes_no_outbound_call_and_analytics_are_off(root: Path, indexed_data: Path) -> None:
    if not _has_subcommand("serve"):
        pytest.skip("`casebook serve` is not registered (ui/serve.py missing)")
    audit = Audit(root, "serve")
    port = _free_port()
    log_path = root / "serve.out"
    with open(log_path, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag.cli.main", "serve", "--port", str(port)],
            cwd=str(REPO),
            env=audit.env(indexed_data),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        status = 0
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"serve exited {proc.returncode}: {log_path.read_text()[-3000:]}"
            try:
                status, _ = _get(base + "/", timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        assert status == 200, f"serve did not answer HTTP: {log_path.read_text()[-3000:]}"

        status, body = _get(base + "/config")
        assert status == 200, body[:300]
        config = json.loads(body)
        assert config.get("analytics_enabled") is False, {k: config.get(k) for k in ("analytics_enabled", "version")}
        for path in ("/gradio_api/info", "/gradio_api/info?all_endpoints=true"):
            status, body = _get(base + path)
            assert status == 200, (path, status, body[:300])
        status, body = _post(base + "/gradio_api/call/ask", {"data": ["ミストラルAIのCEOは誰？", ""]})
        assert status == 200, body[:300]
        event_id = json.loads(body)["event_id"]
        status, stream = _get(f"{base}/gradio_api/call/ask/{event_id}", timeout=180)
        assert status == 200 and b"Mensch" in stream, stream[-500:]
        time.sleep(2)  # anything a background thread would send after the requests
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
    audit.assert_clean("casebook serve")


# ----------------------------------------------------------------------------- telemetry settings


def test_chroma_client_has_telemetry_off(tmp_path: Path) -> None:
    from rag.config import Settings
    from rag.index import make_client

    client = make_client(Settings.from_env(data_dir=tmp_path), tmp_path / "chroma")
    assert client.get_settings().anonymized_telemetry is False
