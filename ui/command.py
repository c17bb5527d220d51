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

`register(subparsers)` adds the subcommand to `casebook`; `run(args)` checks the arguments and then
hands over to `ui.serve.serve`, which alone imports Gradio (about 3 s of imports that every other
`casebook` command, whose parser registers this one, would otherwise pay).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
import time
from typing import Any

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

    from ui.serve import serve  # noqa: PLC0415 — Gradio, ~3 s of imports: only `serve` needs it

    return serve(args, host, auth, t_start, cpu_start)
