"""Start `casebook serve` as a real subprocess on a free loopback port (tests, eval/load_test.py).

    with served(data_dir, auth="u:p") as srv:
        srv.url      # http://127.0.0.1:PORT
        srv.ready_s  # seconds from spawn to the "ready" line

The command is `python -m rag.cli serve` (the `casebook serve` entry point).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
READY_RE = re.compile(r"casebook is ready at (http://\S+)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve_command(*args: str) -> list[str]:
    """argv of `casebook serve ARGS…` run with this interpreter."""
    return [sys.executable, "-m", "rag.cli.main", "serve", *args]


@dataclass
class Served:
    proc: subprocess.Popen
    url: str
    port: int
    ready_s: float
    output: list[str] = field(default_factory=list)

    def log(self) -> str:
        return "".join(self.output)


def _env(data_dir: Path | str, extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CASEBOOK_DATA_DIR": str(data_dir),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "ANONYMIZED_TELEMETRY": "False",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    env.pop("CASEBOOK_AUTH", None)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


@contextlib.contextmanager
def served(
    data_dir: Path | str,
    *,
    args: tuple[str, ...] = (),
    auth: str | None = None,
    port: int | None = None,
    timeout: float = 240.0,
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    port = port or free_port()
    argv = serve_command("--host", "127.0.0.1", "--port", str(port), *args, *(("--auth", auth) if auth else ()))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=str(REPO),
        env=_env(data_dir, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    out: list[str] = []
    ready = threading.Event()
    url: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            m = READY_RE.search(line)
            if m and not ready.is_set():
                url.append(m.group(1))
                ready.set()
        ready.set()

    th = threading.Thread(target=pump, daemon=True)
    th.start()
    try:
        if not ready.wait(timeout) or not url:
            raise RuntimeError(f"casebook serve did not become ready (exit {proc.poll()}):\n{''.join(out)[-4000:]}")
        yield Served(proc, url[0], port, time.perf_counter() - t0, out)
    finally:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        th.join(5)
