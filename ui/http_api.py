"""The HTTP API of `casebook serve`, mounted at /api next to the Gradio UI (same server, same port).

    POST /api/ask                 {"question", "filters", "history"} → answer text, lang, refused,
                                  citations (doc, heading path, file lines, quote), timings
    GET  /api/search?q=…&k=5&filter=K=V   → the top sections (repeat `filter`; CLI syntax)
    GET  /api/brief/{company}?lang=ja|en&format=json|md|html[&vs=OTHER]   → a cited briefing
    GET  /api/docs                → the indexed documents with their facets and load problems
    GET  /api/openapi.json        → the OpenAPI description;  GET /api/reference → it as a page

Auth: when `casebook serve` runs with --auth USER:PASSWORD (or CASEBOOK_AUTH), every /api request
needs the same credentials as HTTP Basic auth (401 otherwise, with a WWW-Authenticate header).
Errors are JSON `{"error": "…", "status": N}`: 400 bad filter, empty question or malformed JSON,
401, 404 unknown company or route, 413 body over MAX_BODY_BYTES, 502 the configured LLM backend
failed, 503 while there is no index (or it holds no document), 500 anything else. Questions are answered `concurrency` at a time (like the UI's queue);
the reference page loads nothing remote (no Swagger CDN).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import secrets
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag import brief as B
from rag.answer import DEFAULT_K, BackendError, ask
from rag.index import IndexMissing, get_library
from rag.search import Filters, retrieve

from .api import answer_payload

MAX_BODY_BYTES = 64 * 1024
MAX_K = 50
API_PREFIX = "/api"

__all__ = ["API_PREFIX", "MAX_BODY_BYTES", "create_api"]


# ------------------------------------------------------------------------------------ models


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    question: str = Field(
        ..., description="the question, in Japanese or English", examples=["Who is the CEO of Mistral AI?"]
    )
    filters: dict[str, Any] | list[str] | str | None = Field(
        None,
        description='facet filters: {"country": "Japan", "founded_year": {"gte": 2020}} or CLI strings '
        '["country=日本", "tags~=LLM", "founded_year>=2020"]',
    )
    history: list[Turn] = Field(default_factory=list, description="earlier turns, oldest first (for follow-ups)")
    k: int = Field(DEFAULT_K, ge=1, le=MAX_K, description="sections retrieved")


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    company: str
    heading_path: list[str]
    source: str
    start_line: int
    end_line: int
    quote: list[str] = Field(..., description="the exact source text quoted (inside start_line–end_line)")
    quote_display: list[str] = Field(
        default_factory=list, description="the quotes as the answer shows them (a table row read with its header)"
    )


class AskResponse(BaseModel):
    question: str
    lang: str
    text: str = Field(..., description="the answer, with [n] citation marks")
    refused: bool
    citations: list[CitationOut]
    timings: dict[str, float] = Field(..., description="milliseconds per stage")
    backend: str


class SectionOut(BaseModel):
    doc_id: str
    title: str
    company: str
    heading_path: list[str]
    source: str
    start_line: int
    end_line: int
    score: float
    sentences: list[str]
    text: str


class SearchResponse(BaseModel):
    query: str
    filters: str
    sections: list[SectionOut]


ERRORS = {
    c: {"description": d, "content": {"application/json": {"example": {"error": d, "status": c}}}}
    for c, d in (
        (400, "bad request (bad filter, empty question, malformed JSON)"),
        (401, "credentials required"),
        (413, "request body too large"),
        (503, "no index yet"),
    )
}


# ------------------------------------------------------------------------------------ guard


def _json_bytes(status: int, payload: dict[str, Any]) -> bytes:
    return json.dumps({**payload, "status": status}, ensure_ascii=False).encode("utf-8")


class Guard:
    """ASGI middleware: HTTP Basic auth (when configured), then the body size cap (Content-Length
    and the bytes actually received; the body is buffered — it is small — and replayed)."""

    def __init__(self, app: Any, auth: tuple[str, str] | None, max_body: int):
        self.app, self.auth, self.max_body = app, auth, max_body

    def authorized(self, header: bytes | None) -> bool:
        if self.auth is None:
            return True
        scheme, _, value = (header or b"").decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        ok_user = secrets.compare_digest(user.encode(), self.auth[0].encode())
        ok_pass = secrets.compare_digest(password.encode(), self.auth[1].encode())
        return bool(sep) and ok_user and ok_pass

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if not self.authorized(headers.get(b"authorization")):
            await _send(
                send,
                401,
                {"error": "authentication required (HTTP Basic, the credentials of casebook serve --auth)"},
                [(b"www-authenticate", b'Basic realm="casebook", charset="UTF-8"')],
            )
            return
        too_big = {"error": f"request body too large (limit {self.max_body} bytes)"}
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > self.max_body:
            await _send(send, 413, too_big)
            return
        body = b""
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body += msg.get("body", b"")
            more = bool(msg.get("more_body"))
            if len(body) > self.max_body:
                await _send(send, 413, too_big)
                return
        replayed = [False]

        async def replay() -> dict:
            if not replayed[0]:
                replayed[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _send(send: Any, status: int, payload: dict[str, Any], extra: list | None = None) -> None:
    data = _json_bytes(status, payload)
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": data})


# ------------------------------------------------------------------------------------ helpers


def _filters(raw: Mapping[str, Any] | Iterable[str] | str | None) -> Filters:
    """Filters from a dict or CLI strings; 400 when malformed (unknown key, bad number…)."""
    try:
        if raw is None:
            return Filters()
        if isinstance(raw, Mapping):
            return Filters.from_dict(raw)
        return Filters.parse([raw] if isinstance(raw, str) else list(raw))
    except (ValueError, TypeError) as e:
        raise HTTPException(400, f"bad filter: {e}") from e


def _section(h: Any) -> dict[str, Any]:
    return {
        "doc_id": h.doc_id,
        "title": h.title,
        "company": str((h.metadata or {}).get("company") or ""),
        "heading_path": list(h.heading_path),
        "source": Path(h.source).name,
        "start_line": h.start_line,
        "end_line": h.end_line,
        "score": round(float(h.score), 6),
        "sentences": list(h.sentences[:3]),
        "text": h.text,
    }


def _document(d: Mapping[str, Any]) -> dict[str, Any]:
    issues = [{k: i.get(k) for k in ("line", "message", "severity")} for i in d.get("issues") or []]
    return {
        "doc_id": d["doc_id"],
        "title": d["title"],
        "source": Path(d["path"]).name,
        "facets": d.get("facets") or {},
        "chunks": d.get("chunks", 0),
        "issues": issues,
    }


# ------------------------------------------------------------------------------------ app


def create_api(settings: Any, *, auth: tuple[str, str] | None = None, concurrency: int = 4) -> Any:
    """The /api application (FastAPI, behind the Guard middleware) to mount on the Gradio server."""
    slots = threading.BoundedSemaphore(max(1, int(concurrency)))
    api = FastAPI(
        title="casebook HTTP API",
        version="1",
        description=__doc__.split("\n\n")[0],
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )

    @api.exception_handler(StarletteHTTPException)  # raised here, and the router's own 404/405
    async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        extra = dict(exc.detail) if isinstance(exc.detail, Mapping) else {"error": str(exc.detail)}
        return JSONResponse({**extra, "status": exc.status_code}, status_code=exc.status_code)

    @api.exception_handler(RequestValidationError)
    async def _bad_request(_req: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            "the body is not valid JSON"
            if e.get("type") == "json_invalid"
            else f"{'.'.join(str(x) for x in e.get('loc', ()) if x != 'body') or 'body'}: {e.get('msg', '')}"
            for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid request: " + "; ".join(problems), "status": 400}, status_code=400)

    @api.exception_handler(BackendError)
    async def _backend_error(_req: Request, exc: BackendError) -> JSONResponse:
        return JSONResponse({"error": f"the answer model failed: {exc}", "status": 502}, status_code=502)

    @api.exception_handler(Exception)  # a bug: JSON too, without internals
    async def _internal(_req: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error ({type(exc).__name__})", "status": 500}, status_code=500)

    def library_ready() -> Any:
        lib = get_library(settings)
        try:
            if not lib.exists():
                raise IndexMissing("no index")
            snap = lib.snapshot()
        except IndexMissing as e:
            raise HTTPException(503, f"no index yet: the library is not indexed ({e})") from e
        if not snap.manifest.get("files"):
            raise HTTPException(503, "the index holds no document yet: add case files and index them")
        return snap

    @api.post("/ask", response_model=AskResponse, responses=ERRORS, summary="Answer a question with citations")
    def api_ask(req: AskRequest) -> dict[str, Any]:
        if not req.question.strip():
            raise HTTPException(400, "empty question")
        filters = _filters(req.filters)
        library_ready()
        history = [t.model_dump() for t in req.history] or None
        with slots:
            try:
                answer = ask(req.question, filters=filters, history=history, settings=settings, k=req.k)
            except IndexMissing as e:
                raise HTTPException(503, f"no index yet ({e})") from e
        return answer_payload(answer)

    @api.get("/search", response_model=SearchResponse, responses=ERRORS, summary="Top sections for a query")
    def api_search(
        q: str = Query(..., description="the query"),
        k: int = Query(5, ge=1, le=MAX_K),
        filter: list[str] = Query([], description="CLI filter syntax, repeatable: country=日本, founded_year>=2020"),  # noqa: A002
    ) -> dict[str, Any]:
        if not q.strip():
            raise HTTPException(400, "empty query")
        filters = _filters(filter)
        library_ready()
        with slots:
            try:
                hits = retrieve(q, filters=filters, k=k, settings=settings)
            except IndexMissing as e:
                raise HTTPException(503, f"no index yet ({e})") from e
        return {"query": q, "filters": str(filters), "sections": [_section(h) for h in hits]}

    @api.get(
        "/brief/{company}",
        responses={**ERRORS, 404: {"description": "unknown company"}},
        summary="A cited company briefing (or two companies side by side with vs=)",
    )
    def api_brief(
        company: str,
        lang: Literal["ja", "en"] = "ja",
        format: Literal["json", "md", "html"] = "json",  # noqa: A002
        vs: str | None = None,
    ) -> Response:
        library_ready()
        with slots:
            try:
                result: Any = (
                    B.compare(company, vs, lang, settings) if vs else B.build_briefing(company, lang, settings)
                )
            except B.UnknownCompany as e:
                raise HTTPException(404, {"error": str(e), "suggestions": list(e.suggestions)}) from e
            except B.BriefingError as e:
                raise HTTPException(503, str(e)) from e
        if format == "md":
            return PlainTextResponse(B.render_markdown(result), media_type="text/markdown; charset=utf-8")
        if format == "html":
            return HTMLResponse(B.render_html(result))
        return JSONResponse(result.to_dict())

    @api.get("/docs", responses=ERRORS, summary="The indexed documents, their facets and load problems")
    def api_docs() -> dict[str, Any]:
        lib = get_library(settings)
        try:
            snap = lib.snapshot() if lib.exists() else None
        except IndexMissing:
            snap = None
        if snap is None:
            raise HTTPException(503, "no index yet: the library is not indexed")
        errors = [
            {"source": Path(e["path"]).name, "line": e.get("line"), "message": e.get("message")} for e in snap.errors
        ]
        return {"generation": snap.generation, "documents": [_document(d) for d in snap.documents], "errors": errors}

    @api.get("/reference", response_class=HTMLResponse, include_in_schema=False)
    def api_reference(request: Request) -> str:
        return reference_page(api.openapi(), request.scope.get("root_path", "") or API_PREFIX)

    return Guard(api, auth, MAX_BODY_BYTES)


def reference_page(spec: Mapping[str, Any], prefix: str) -> str:
    """The OpenAPI description as one self-contained, escaped HTML page (nothing fetched)."""
    e = html.escape
    rows = []
    for path, ops in (spec.get("paths") or {}).items():
        for method, op in ops.items():
            params = ", ".join(
                f"{p['name']}{'' if p.get('required') else '?'} ({p.get('in')})" for p in op.get("parameters") or []
            )
            body = "JSON body" if op.get("requestBody") else ""
            codes = ", ".join(sorted(op.get("responses") or {}))
            rows.append(
                f"<tr><td><code>{e(method.upper())}</code></td><td><code>{e(prefix + path)}</code></td>"
                f"<td>{e(op.get('summary', ''))}</td><td>{e(', '.join(x for x in (params, body) if x))}</td>"
                f"<td>{e(codes)}</td></tr>"
            )
    schemas = json.dumps((spec.get("components") or {}).get("schemas") or {}, ensure_ascii=False, indent=1)
    example = (
        f"curl -u USER:PASSWORD -H 'Content-Type: application/json' "
        f'-d \'{{"question": "Who is the CEO of Mistral AI?"}}\' http://127.0.0.1:7860{prefix}/ask'
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>casebook HTTP API</title>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}td,th{border-bottom:1px solid #ddd;"
        "padding:4px 8px;text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:8px;overflow:auto}</style>"
        f"</head><body><h1>{e(spec.get('info', {}).get('title', ''))}</h1>"
        f"<p>{e(spec.get('info', {}).get('description', ''))} Machine-readable: "
        f"<a href='{e(prefix)}/openapi.json'>{e(prefix)}/openapi.json</a>.</p>"
        "<table><tr><th>Method</th><th>Path</th><th>What</th><th>Parameters</th><th>Status codes</th></tr>"
        f"{''.join(rows)}</table><h2>Example</h2><pre>{e(example)}</pre>"
        f"<h2>Schemas</h2><pre>{e(schemas)}</pre></body></html>"
    )
