"""Load test of a served casebook: N simulated users asking questions for D seconds.

    python -m eval.load_test [--users 20] [--duration 60] [--url http://127.0.0.1:7860] [--api]
                             [--auth USER:PASSWORD] [--questions eval/questions/dev.jsonl] [--json]

Without --url a `casebook serve` subprocess is started on a free loopback port over
$CASEBOOK_DATA_DIR (or --data-dir) and stopped at the end. Each user is one gradio_client Client
(its own session) calling the public `/ask` endpoint in a loop, with questions drawn from the
question set; the Gradio queue (`casebook serve --concurrency`) decides how many run at once.
With --api each user is an HTTP client (httpx, Basic auth) posting to the HTTP API's `/api/ask`
(ui.http_api), which answers `--concurrency` at a time too.
Prints errors, answers/s, and p50/p95/max latency (seconds, client side, queue wait included).
Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from gradio_client import Client

from eval.questionset import load_questions
from rag.config import Settings
from ui.command import parse_auth
from ui.devserver import served

DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "questions" / "dev.jsonl"


def _questions(path: Path) -> list[str]:
    qs, _ = load_questions(path)
    out = [q.question for q in qs]
    return out or ["ミストラルAIのCEOは誰？", "When was Mistral AI founded?"]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _gradio_user(url: str, auth: tuple[str, str] | None) -> tuple[Any, Any]:
    """(ask(question) → reply dict, close) over one gradio_client session calling `/ask`."""
    c = Client(url, auth=auth, verbose=False, download_files=False, analytics_enabled=False)
    return (lambda q: c.predict(q, "", api_name="/ask")), c.close


def _api_user(url: str, auth: tuple[str, str] | None) -> tuple[Any, Any]:
    """(ask(question) → reply dict, close) over one HTTP client posting to `/api/ask`."""
    c = httpx.Client(base_url=url, auth=auth, timeout=600, trust_env=False)

    def ask(q: str) -> Any:
        r = c.post("/api/ask", json={"question": q})
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:160]}")
        return r.json()

    return ask, c.close


def run_load(
    url: str,
    users: int,
    duration: float,
    questions: list[str],
    auth: tuple[str, str] | None = None,
    seed: int = 0,
    api: bool = False,
) -> dict[str, Any]:
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    make_user = _api_user if api else _gradio_user
    clients: list[Any] = []
    for _ in range(users):  # connect everyone first: the timed window measures answering only
        clients.append(make_user(url, auth))
    start = threading.Barrier(users + 1)
    deadline = [0.0]

    def user(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        ask = clients[i][0]
        start.wait()
        while time.perf_counter() < deadline[0]:
            q = rng.choice(questions)
            t0 = time.perf_counter()
            try:
                res = ask(q)
                if not isinstance(res, dict) or "text" not in res:
                    raise RuntimeError(f"unexpected reply: {str(res)[:120]}")
                dt = time.perf_counter() - t0
                with lock:
                    lat.append(dt)
            except Exception as e:  # noqa: BLE001 — count and go on
                with lock:
                    errors.append(f"{type(e).__name__}: {str(e)[:200]}")

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for th in threads:
        th.start()
    t_start = time.perf_counter()
    deadline[0] = t_start + duration
    start.wait()
    for th in threads:
        th.join(duration + 300)
    elapsed = time.perf_counter() - t_start
    for _, close in clients:
        try:
            close()
        except Exception:  # noqa: BLE001
            pass
    return {
        "url": url,
        "via": "/api/ask (HTTP API)" if api else "/ask (gradio_client)",
        "users": users,
        "duration_s": round(elapsed, 2),
        "answers": len(lat),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "answers_per_s": round(len(lat) / elapsed, 3) if elapsed else 0.0,
        "p50_s": round(percentile(lat, 50), 3),
        "p95_s": round(percentile(lat, 95), 3),
        "max_s": round(max(lat), 3) if lat else float("nan"),
        "mean_s": round(statistics.fmean(lat), 3) if lat else float("nan"),
    }


class IndexUpdater(threading.Thread):
    """Edits one library file and re-indexes it in a loop while the load runs."""

    def __init__(self, data_dir: str, path: Path, every: float):
        super().__init__(daemon=True)
        self.data_dir, self.path, self.every = data_dir, path, every
        self.stop = threading.Event()
        self.runs: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        original = self.path.read_text(encoding="utf-8")
        try:
            n = 0
            while not self.stop.wait(self.every):
                n += 1
                self.path.write_text(original + f"\n\n## 更新 {n}\n\n負荷試験中の更新{n}です。\n", encoding="utf-8")
                t0 = time.perf_counter()
                r = subprocess.run(
                    [sys.executable, "-m", "rag.cli.main", "--data-dir", self.data_dir, "index", "--quiet"],
                    capture_output=True,
                    text=True,
                )
                self.runs.append(time.perf_counter() - t0)
                if r.returncode != 0:
                    self.failures.append(r.stderr[-300:])
        finally:
            self.path.write_text(original, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.load_test", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
    p.add_argument("--url", help="a running server (default: start `casebook serve` on a free loopback port)")
    p.add_argument("--api", action="store_true", help="drive the HTTP API's /api/ask instead of Gradio's /ask")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="login of the server (default $CASEBOOK_AUTH)")
    p.add_argument("--data-dir", help="index folder for the started server (default $CASEBOOK_DATA_DIR)")
    p.add_argument("--concurrency", type=int, default=None, help="--concurrency of the started server")
    p.add_argument("--questions", default=str(DEFAULT_QUESTIONS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--update-file",
        help="a case file of the server's library: during the run it is edited and "
        "`casebook index` re-run every --update-every seconds (index updates under load)",
    )
    p.add_argument("--update-every", type=float, default=5.0)
    args = p.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"

    raw_auth = args.auth or os.environ.get("CASEBOOK_AUTH")
    auth = None
    if raw_auth:
        auth = parse_auth(raw_auth)
    questions = _questions(Path(args.questions))

    updater: IndexUpdater | None = None

    def report(res: dict[str, Any], ready_s: float | None = None) -> int:
        if updater is not None:
            updater.stop.set()
            updater.join(120)
            res["index_updates"] = len(updater.runs)
            res["index_update_failures"] = len(updater.failures)
            res["index_update_mean_s"] = round(statistics.fmean(updater.runs), 2) if updater.runs else None
        if ready_s is not None:
            res["server_ready_s"] = round(ready_s, 2)
        if args.json:
            print(json.dumps(res, ensure_ascii=False, indent=1))
        else:
            print(f"{res['users']} users × {res['duration_s']:.0f} s against {res['url']} via {res['via']}")
            if ready_s is not None:
                print(f"server ready in {ready_s:.1f} s (spawn → ready line)")
            print(f"answers: {res['answers']}   errors: {res['errors']}   answers/s: {res['answers_per_s']:.2f}")
            print(
                f"latency p50 {res['p50_s']:.2f} s   p95 {res['p95_s']:.2f} s   max {res['max_s']:.2f} s   "
                f"mean {res['mean_s']:.2f} s"
            )
            if updater is not None:
                print(
                    f"index updates during the run: {res['index_updates']} "
                    f"(failures {res['index_update_failures']}, mean {res['index_update_mean_s']} s each)"
                )
            for e in res["error_examples"]:
                print(f"  error: {e}")
        return 1 if res["errors"] or res.get("index_update_failures") else 0

    if args.url:
        return report(run_load(args.url.rstrip("/"), args.users, args.duration, questions, auth, args.seed, args.api))

    data_dir = args.data_dir or os.environ.get("CASEBOOK_DATA_DIR")
    if not data_dir:
        data_dir = str(Settings.from_env().data_dir)
    extra = ("--concurrency", str(args.concurrency)) if args.concurrency else ()
    with served(data_dir, args=extra, auth=raw_auth) as srv:
        if args.update_file:
            updater = IndexUpdater(data_dir, Path(args.update_file), args.update_every)
            updater.start()
        res = run_load(srv.url, args.users, args.duration, questions, auth, args.seed, args.api)
        return report(res, srv.ready_s)


if __name__ == "__main__":
    sys.exit(main())
