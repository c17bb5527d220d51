"""`casebook serve`: index the library on first start, then serve the Gradio UI on loopback.

    casebook serve [--host 127.0.0.1] [--port 7860] [--auth USER:PASSWORD]
                   [--allow-unauthenticated-remote] [--concurrency N]

* Binds to 127.0.0.1 by default. Any other address (0.0.0.0, a LAN IP, a host name) needs
  --auth USER:PASSWORD (or CASEBOOK_AUTH), or the explicit --allow-unauthenticated-remote override;
  otherwise the command exits with status 2 before loading anything.
* With auth every page, API route and queue call needs the login cookie (Gradio's auth).
* The HTTP API (ui.http_api: /api/ask, /api/search, /api/brief/…, /api/docs, /api/reference) is
  served on the same port; with auth it needs the same USER:PASSWORD as HTTP Basic auth.
* No index yet → the library (settings.library, default seeds/, plus uploads) is indexed first.
* The embedder, the index snapshot and the answer path are warmed before the URL is printed, so
  the first question is answered at full speed. Analytics are off; the page loads nothing remote
  (system fonts only, no CDN).

`register(subparsers)` adds the subcommand to `casebook`; `run(args)` executes it.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
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

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_CONCURRENCY = 4
AUTH_ENV = "CASEBOOK_AUTH"

REMOTE_REFUSAL = (
    "error: refusing to serve on {host} without authentication: anyone who can reach this "
    "address could read the library. Use --auth USER:PASSWORD (or set CASEBOOK_AUTH), bind to "
    "127.0.0.1, or pass --allow-unauthenticated-remote if you really mean it."
)


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "serve",
        help="serve the chat UI (indexes the library first when there is no index)",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST}: this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--auth", metavar="USER:PASSWORD", default=None, help=f"require a login (default: ${AUTH_ENV} when set)"
    )
    p.add_argument(
        "--allow-unauthenticated-remote",
        action="store_true",
        help="allow binding a non-loopback address without --auth (not recommended)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"questions answered at the same time; the rest wait in the queue (default {DEFAULT_CONCURRENCY})",
    )
    p.add_argument("--no-warmup", action="store_true", help="do not answer one untimed question before serving")
    p.set_defaults(func=run)
    return p


# ------------------------------------------------------------------------------------ checks


def is_loopback(host: str) -> bool:
    h = (host or "").strip().strip("[]")
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def parse_auth(raw: str | None) -> tuple[str, str] | None:
    """ "user:password" → (user, password); None/empty → None; ValueError when malformed."""
    if raw is None or not raw.strip():
        return None
    user, sep, password = raw.partition(":")
    if not sep or not user.strip() or not password:
        raise ValueError("--auth / CASEBOOK_AUTH must look like USER:PASSWORD (both non-empty)")
    return user.strip(), password


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _port_free(host: str, port: int) -> bool:
    fam = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


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


def run(args: argparse.Namespace) -> int:
    # ready time counts from the command's own start (rag.cli.main sets args.started), not from the
    # process's creation: `pip install … && casebook serve` may hand an older process to casebook
    t_start = getattr(args, "started", None) or time.perf_counter()
    cpu_start = getattr(args, "started_cpu", None)
    if cpu_start is None:
        cpu_start = time.process_time()
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    host = args.host or DEFAULT_HOST
    try:
        auth = parse_auth(args.auth if args.auth is not None else os.environ.get(AUTH_ENV))
    except ValueError as e:
        _err(f"error: {e}")
        return 2
    if not is_loopback(host) and auth is None and not args.allow_unauthenticated_remote:
        _err(REMOTE_REFUSAL.format(host=host))
        return 2
    if not is_loopback(host) and auth is None:
        _err(f"warning: serving on {host} WITHOUT authentication (--allow-unauthenticated-remote)")
    if not (0 < args.port < 65536):
        _err(f"error: --port must be between 1 and 65535, got {args.port}")
        return 2
    if not _port_free(host, args.port):
        _err(f"error: {host}:{args.port} is already in use (choose another --port)")
        return 1

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
