"""The running `casebook serve` (its arguments are parsed and checked by ui.command): index the library
on first start, warm the answer path while the Gradio app is built, then serve the UI and the HTTP API
on the same port. The embedder, the index snapshot and the answer path are warmed before the URL is
printed, so the first question is answered at full speed."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

from starlette.routing import Mount

from rag.answer import ask
from rag.config import Settings
from rag.index import IndexMissing, get_embedder, get_library, index_library, release_index_embedder

from .app import build_app
from .http_api import API_PREFIX, create_api
from .theme import launch_kwargs


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ run


def _settings(args: argparse.Namespace):
    data_dir = getattr(args, "data_dir", None)
    return Settings.from_env(data_dir=Path(data_dir).expanduser() if data_dir else None)


def ensure_index(settings: Any) -> None:
    """Index the library when the data directory has no index yet (first start)."""

    if get_library(settings).exists():
        return

    roots = ", ".join(str(p) for p in settings.library)
    print(f"no index in {settings.data_dir}: indexing {roots} …", flush=True)
    last = [0.0]

    def progress(name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 2 or done == total:
            last[0] = now
            print(f"  {done}/{total} {name}", flush=True)

    try:
        report = index_library(settings, progress=progress)
    finally:
        release_index_embedder(settings)  # the server keeps only the query engine in memory
    for line in report.lines():
        print(f"  {line}", flush=True)


def warm_up(settings: Any) -> float:
    """Load the index snapshot and the embedder and answer one question; returns seconds."""
    t0 = time.perf_counter()

    get_library(settings).snapshot()
    try:
        emb = get_embedder(settings)
        q = getattr(emb, "embed_query", None)
        if q:
            q("warm-up")
    except Exception as e:  # noqa: BLE001 — warming is best effort; the first question will tell
        _err(f"warning: embedder warm-up failed: {type(e).__name__}: {e}")
    try:
        for q in ("この事例の概要は？", "What is this case about?"):  # both language paths (glossary, tokens)
            ask(q, settings=settings)
    except Exception as e:  # noqa: BLE001
        _err(f"warning: answer warm-up failed: {type(e).__name__}: {e}")
    return time.perf_counter() - t0


def serve(args: argparse.Namespace, host: str, auth: tuple[str, str] | None, t_start: float, cpu_start: float) -> int:
    settings = _settings(args)
    try:
        ensure_index(settings)
    except Exception as e:  # noqa: BLE001
        _err(f"error: indexing the library failed: {type(e).__name__}: {e}")
        return 1

    # Warm the index snapshot, the embedder and the answer path in a thread while Gradio is imported
    # and the app is built (both are mostly import time; two cores overlap them).
    warm: dict[str, Any] = {"s": 0.0, "error": None}

    def _warm() -> None:
        try:
            warm["s"] = warm_up(settings)
        except Exception as e:  # noqa: BLE001
            warm["error"] = e

    th = threading.Thread(target=_warm, name="casebook-warm-up", daemon=True)
    if not args.no_warmup:
        th.start()
    t_app = time.perf_counter()

    demo = build_app(settings)
    app_s = time.perf_counter() - t_app
    demo.queue(default_concurrency_limit=max(1, int(args.concurrency)), max_size=256)
    try:
        demo.launch(
            server_name=host,
            server_port=args.port,
            auth=auth,
            auth_message="casebook",
            prevent_thread_lock=True,
            quiet=True,
            # the HTTP API (ui.http_api) on the same server, routed before Gradio's own routes
            app_kwargs={
                "routes": [Mount(API_PREFIX, app=create_api(settings, auth=auth, concurrency=args.concurrency))]
            },
            **launch_kwargs(),
        )
    except OSError as e:
        _err(f"error: cannot serve on {host}:{args.port}: {e}")
        return 1
    if not args.no_warmup:
        th.join()

    if isinstance(warm["error"], IndexMissing):
        _err(f"error: {warm['error']}")
        demo.close()
        return 1
    warm_s = warm["s"]
    shown_host = host if ":" not in host else f"[{host}]"
    url = f"http://{shown_host}:{args.port}"
    ready = time.perf_counter() - t_start
    cpu = f", {time.process_time() - cpu_start:.1f} s CPU"
    print(
        f"casebook is ready at {url}  (ready in {ready:.1f} s{cpu}; app {app_s:.1f} s, warm-up {warm_s:.1f} s in parallel; "
        f"{'login required' if auth else 'no login'}; concurrency {args.concurrency})",
        flush=True,
    )
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        try:
            demo.close()
        except Exception:  # noqa: BLE001
            pass
    return 0
