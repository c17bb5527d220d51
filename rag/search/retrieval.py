"""Hybrid retrieval: dense (e5 via Chroma) + BM25 (fugashi tokens), fused, grouped into sections.

    hits = retrieve("ミストラルAIの評価額は？", filters=Filters.parse(["country=フランス"]), k=5)

Pipeline (per query, on one index snapshot):
  1. filters: resolved against the index's metadata (aliases, folding, see rag.filters); the same
     resolved filter is the Chroma `where` of the dense side and the `allowed` set of the BM25 side.
     A filter that matches nothing returns [] (never unfiltered results).
  2. dense: e5 "query: " embedding → Chroma top-N chunks (cosine).
  3. BM25: rag.japanese.tokenize(question) (+ the bilingual glossary for English questions, see
     rag.glossary) → top-N chunks.
  4. fusion per query language (weights below), document focus (a company named in the question
     boosts that document), chunk scores → sections (doc uid, heading path).
  5. each section: its chunk texts in order, line range, best sentences for the question.

Chosen configuration: see `DEFAULT_CONFIG` and the figures in its docstring
(rag.search.retrieval_config). The pieces: rag.search.snap_index (what is derived once per
snapshot), rag.search.dense (the dense side), rag.search.query (BM25 query tokens, documents the
question names), rag.search.sections (a section's text, heading and best sentences).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from rag.config import Settings
from rag.index import get_embedder, get_library, token_pairs
from rag.ingest import chunk_body
from rag.schema import Hit
from rag.search.dense import dense_query
from rag.search.filter_index import allowed_chunks
from rag.search.filters import Filters
from rag.search.fusion import fuse
from rag.search.query import _japanese, detect_language, focus_names, query_tokens, without_names
from rag.search.retrieval_config import DEFAULT_CONFIG, RetrievalConfig
from rag.search.sections import _chunk_units, _heading_list, _join_chunks, best_sentences, sentence_score
from rag.search.snap_index import _SnapIndex, snapshot_index

# ------------------------------------------------------------------------------- the retriever


class Retriever:
    """Holds settings (and a config); `run(question, filters, k)` → ranked section hits."""

    def __init__(self, settings: Settings | None = None, config: RetrievalConfig | None = None):
        self.settings = settings or Settings.from_env()
        self.config = config or DEFAULT_CONFIG
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._qlock = threading.Lock()

    def embed_query(self, question: str) -> np.ndarray:
        """The e5 query vector (a small LRU: a question re-run with other filters is not re-embedded)."""
        with self._qlock:
            v = self._qcache.get(question)
            if v is not None:
                self._qcache.move_to_end(question)
                return v
        v = self.embedder().embed_query(question)
        with self._qlock:
            self._qcache[question] = v
            while len(self._qcache) > 256:
                self._qcache.popitem(last=False)
        return v

    # -- pieces, also used by the benchmarks
    def snapshot(self):
        return get_library(self.settings).snapshot()

    def embedder(self):
        return get_embedder(self.settings)

    def run(
        self,
        question: str,
        filters: Filters | Mapping[str, Any] | Iterable[str] | None = None,
        k: int = 5,
        timings: dict | None = None,
        snapshot: Any = None,
    ) -> list[Hit]:
        hits, _ = self.search(question, filters, k, timings, snapshot)
        return hits

    def search(
        self,
        question: str,
        filters: Filters | Mapping[str, Any] | Iterable[str] | None = None,
        k: int = 5,
        timings: dict | None = None,
        snapshot: Any = None,
        chunk_level: bool = False,
    ) -> tuple[list[Hit], list[tuple[str, float]]]:
        """(section hits, fused chunk ranking). chunk_level=True skips section building."""
        t0 = time.perf_counter()
        tm = timings if timings is not None else {}
        for key in ("embed", "dense", "bm25", "fuse"):
            tm.setdefault(key, 0.0)
        cfg = self.config
        snap = snapshot if snapshot is not None else self.snapshot()
        idx = snapshot_index(snap)
        f = Filters.coerce(filters)
        allowed: frozenset[str] | None = None
        where = None
        if not f.is_empty:
            f, allowed = allowed_chunks(snap, f)  # f.resolve(snap.metas); the chunks f.matches
            if f.matches_nothing():
                tm["total"] = (time.perf_counter() - t0) * 1000
                return [], []
            if not allowed:
                tm["total"] = (time.perf_counter() - t0) * 1000
                return [], []
            where = f.to_where()
        question = (question or "").strip()
        if not question or not snap.metas:
            tm["total"] = (time.perf_counter() - t0) * 1000
            return [], []
        lang = detect_language(question)
        wd, wb = cfg.lang_weights(lang)

        # documents the question names (a company / alias): searched on their own as well, so their
        # best sections compete even when the whole-library lists are dominated by other documents
        focus: list[str] = []
        named: dict[str, list[str]] = focus_names(question, idx) if cfg.focus or cfg.mask_names else {}
        # an English question's glossary terms come from its words, not from the names it names
        glossed = without_names(question, named, idx) if lang == "en" and cfg.mask_names else None
        if cfg.focus:
            focus = sorted(named)
            if allowed is not None:
                focus = [u for u in focus if any(c in allowed for c in idx.uid_chunks.get(u, ()))]
            if len(focus) > 3 or len(focus) == len(idx.uid_chunks):
                focus = []
        # each named document's chunks (within the filter): searched on their own on both sides
        focus_chunks = {
            u: set(idx.uid_chunks.get(u, ())) & allowed if allowed is not None else set(idx.uid_chunks.get(u, ()))
            for u in focus
        }
        lists: list[list[tuple[str, float]]] = []
        weights: list[float] = []
        floors: list[float | None] = []  # score of an unlisted chunk where known (rag.fusion)

        def add(lst: list[tuple[str, float]], w: float, asked: int | None = None) -> None:
            lists.append(lst)
            weights.append(w)
            # a BM25 list shorter than asked holds every matching chunk: the others score 0
            floors.append(0.0 if asked is not None and len(lst) < asked else None)

        dense: list[tuple[str, float]] = []
        if wd:
            t = time.perf_counter()
            qv = self.embed_query(question)
            tm["embed"] += (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            dense = [
                (cid, cos)
                for cid, cos in dense_query(snap, qv, cfg.n_dense, where, allowed)
                if allowed is None or cid in allowed
            ]
            add(dense, wd)
            for uid in focus:
                w_uid: dict[str, Any] = {"uid": uid}
                w = {"$and": [where, w_uid]} if where else w_uid
                add(
                    [
                        (cid, cos)
                        for cid, cos in dense_query(snap, qv, cfg.n_focus, w, focus_chunks[uid])
                        if allowed is None or cid in allowed
                    ],
                    wd * cfg.focus,
                )
            tm["dense"] += (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        qtoks = query_tokens(question, lang, cfg, glossed)
        bm25: list[tuple[str, float]] = []
        if wb:
            bm25 = snap.lexical.search(qtoks, cfg.n_bm25, allowed=allowed)
            add(bm25, wb, cfg.n_bm25)
            wp = cfg.lang_pair_weight(lang)
            if wp and len(qtoks) > 1:
                add(snap.lexical.search(token_pairs(qtoks), cfg.n_bm25, allowed=allowed, field="pairs"), wp, cfg.n_bm25)
            wc = cfg.lang_char_weight(lang)
            if wc:
                add(
                    snap.lexical.search(_japanese().char_bigrams(question), cfg.n_bm25, allowed=allowed, field="chars"),
                    wc,
                    cfg.n_bm25,
                )
            for uid in focus:
                # inside the document its own name says nothing: rank by the rest of the question
                name_toks = {t for nm in named.get(uid, ()) for t in _japanese().tokenize(nm)}
                rest = [t for t in qtoks if t not in name_toks] or qtoks
                add(snap.lexical.search(rest, cfg.n_focus, allowed=focus_chunks[uid]), wb * cfg.focus, cfg.n_focus)
        tm["bm25"] += (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        fused = fuse(lists, weights, cfg.lang_method(lang), cfg.rrf_k, floors if cfg.bm25_floor else None)
        if cfg.sentence_weight and fused:
            # sentence-level evidence: the top chunks re-scored by their best single sentence
            top = sorted(fused.items(), key=lambda kv: -kv[1])[: cfg.rerank_depth]
            hi, lo = top[0][1], (top[-1][1] if len(top) > 1 else 0.0)
            span = (hi - lo) or 1.0
            qset = set(qtoks)
            for cid, sc in top:
                fused[cid] = (
                    lo
                    + (sc - lo) / span
                    + cfg.sentence_weight * sentence_score(qset, _chunk_units(snap, idx, cid), idx.idf)
                )
        if cfg.profile_penalty != 1.0:
            for cid in fused:
                if (snap.metas.get(cid) or {}).get("kind") == "profile":
                    fused[cid] *= cfg.profile_penalty
        if cfg.ref_penalty != 1.0 and idx.refs:
            for cid in fused:
                if cid in idx.refs:
                    fused[cid] *= cfg.ref_penalty
        ranking = sorted(fused.items(), key=lambda kv: -kv[1])
        tm["fuse"] += (time.perf_counter() - t) * 1000
        if chunk_level:
            tm["total"] = (time.perf_counter() - t0) * 1000
            return [], ranking

        dense_d = dict(dense)
        bm25_d = dict(bm25)
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        bm25_rank = {cid: r for r, (cid, _) in enumerate(bm25, 1)}
        groups: dict[tuple[str, str], list[tuple[str, float]]] = {}
        for cid, sc in ranking:
            key = idx.section_of.get(cid)
            if key is None:
                continue
            groups.setdefault(key, []).append((cid, sc))
        scored = []
        for key, members in groups.items():
            s = members[0][1] + (cfg.section_bonus * members[1][1] if len(members) > 1 else 0.0)
            scored.append((s, key, members))
        scored.sort(key=lambda x: -x[0])
        hits = [
            self._hit(snap, idx, key, members, s, qtoks, dense_d, bm25_d, dense_rank, bm25_rank, lang)
            for s, key, members in scored[:k]
        ]
        tm["total"] = (time.perf_counter() - t0) * 1000
        return hits, ranking

    def _hit(
        self, snap, idx: _SnapIndex, key, members, score, qtoks, dense_d, bm25_d, dense_rank, bm25_rank, lang
    ) -> Hit:
        best = members[0][0]
        meta = dict(snap.metas.get(best) or {})
        cids = idx.sections.get(key, [best])
        bodies = [chunk_body(snap.texts.get(c, "")) for c in cids]
        text = _join_chunks([b for b in bodies if b])
        starts = [int((snap.metas.get(c) or {}).get("start_line", 0) or 0) for c in cids]
        ends = [int((snap.metas.get(c) or {}).get("end_line", 0) or 0) for c in cids]
        units = [u for c in cids for u in _chunk_units(snap, idx, c)]
        sents = best_sentences(qtoks, units, idx.idf, self.config.sentences)
        scores = {
            "fused": float(score),
            "dense": float(max((dense_d.get(c, 0.0) for c, _ in members), default=0.0)),
            "bm25": float(max((bm25_d.get(c, 0.0) for c, _ in members), default=0.0)),
        }
        dr = [dense_rank[c] for c, _ in members if c in dense_rank]
        br = [bm25_rank[c] for c, _ in members if c in bm25_rank]
        if dr:
            scores["dense_rank"] = float(min(dr))
        if br:
            scores["bm25_rank"] = float(min(br))
        return Hit(
            doc_id=str(meta.get("doc_id", "")),
            title=str(meta.get("title", "")),
            heading_path=tuple(_heading_list(meta)),
            text=text,
            start_line=min(starts) if starts else 0,
            end_line=max(ends) if ends else 0,
            score=float(score),
            source=str(meta.get("source", "")),
            chunk_ids=list(cids),
            sentences=sents,
            metadata=meta,
            scores=scores,
            kind=str(meta.get("kind", "section")),
        )


_retrievers: dict[Settings, Retriever] = {}


def get_retriever(settings: Settings | None = None) -> Retriever:
    s = settings or Settings.from_env()
    r = _retrievers.get(s)
    if r is None:
        r = _retrievers[s] = Retriever(s)
    return r


def retrieve(
    question: str,
    filters: Filters | Mapping[str, Any] | Iterable[str] | None = None,
    k: int = 5,
    settings: Settings | None = None,
    timings: dict | None = None,
) -> list[Hit]:
    """Top-k sections for `question` (hybrid dense + BM25, filtered on both sides)."""
    return get_retriever(settings).run(question, filters, k, timings)
