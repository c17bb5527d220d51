"""Question → cited answer (or a refusal), in the language of the question.

    from rag.answer import ask, ask_stream
    ans = ask("Mixtral 8x7Bの総パラメータ数とアクティブパラメータ数は？")
    ans.text, ans.citations, ans.refused, ans.timings
    for piece in ask_stream("How many parameters does Mixtral 8x7B have?"):
        ...  # str deltas of the answer text, then (last) the Answer object

Filters: `filters=None` lets a follow-up inherit the previous turn's filters (flagged); an
explicitly empty filter (`{}`, `[]`, `Filters()`) means none — a cleared filter stays cleared.

Pipeline: follow-up resolution (rag.followup) → entity gate (rag.answer.entities via
rag.answer.compose.entity_gate: a question about an entity no document covers is refused with that
reason, "The library has no document about Toyota.", the closest sections only as `related`) →
hybrid retrieval (rag.retrieval.retrieve, filters applied as given; inferred filters are only
*suggested*) → question analysis and answer units (rag.extractive) → refusal gate (rag.refusal,
calibrated thresholds; min_best is left to the reader's own threshold) → answer: by default the
reader-based answer (rag.answer.compose: the question split into parts, each part read by
rag.answer.reader, per company from its own sections when two library companies are named; answer
lines in the question's language, then the quotes as evidence; refused below the reader's
top-probability threshold); or an LLM backend when Settings.llm / CASEBOOK_LLM is set (rag.backends, rag.prompting),
whose citations are checked: invalid [n] are removed and flagged, an answer with no valid
citation (or in the wrong language) is replaced by the extractive answer and flagged.

Streaming contract: ask_stream yields str deltas (the extractive answer line by line, an LLM's
tokens as they arrive) and finally the Answer. The final Answer.text is authoritative: citation
repair or a fallback may rewrite what was streamed (Answer.flagged says why).

Timings (ms): followup, entities, retrieve (and retrieve_embed/_dense/_bm25/_fuse, retrieve_per_company),
analyze, read, answer (llm_first_token for an LLM), total.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from rag.answer import backends, compose, followup, refusal
from rag.answer import extractive as X
from rag.answer.entities import library_spelling
from rag.answer.prompting import (
    answer_messages,
    instruction_like,
    repair_citations,
    split_claims,
    strip_citations,
    without_instructions,
)
from rag.answer.question_parts import split_parts
from rag.answer.reader.question_kind import question_type
from rag.answer.reader.reading import N_SECTIONS
from rag.answer.scored_units import from_scored, rebase
from rag.answer.typed_answer import asked_terms
from rag.answer.units import label_value, section_units
from rag.config import Settings
from rag.index import get_library
from rag.ingest import detect_language
from rag.schema import Answer, Citation, Hit
from rag.search import infer_filters, retrieve

DEFAULT_K = 8  # sections returned in Answer.hits (the answer itself looks at the top UNIT_SECTIONS)
LLM_SOURCES = 5  # sections given to an LLM


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000.0, 3)


def ask(
    question: str,
    filters: Any = None,
    history: Iterable[Any] | None = None,
    settings: Settings | None = None,
    *,
    k: int = DEFAULT_K,
    chat_model: Any = None,
) -> Answer:
    """Answer `question` from the library (see the module docstring)."""
    ans = None
    for piece in _pipeline(question, filters, history, settings, k, chat_model, stream=False):
        if isinstance(piece, Answer):
            ans = piece
    assert ans is not None
    return ans


def ask_stream(
    question: str,
    filters: Any = None,
    history: Iterable[Any] | None = None,
    settings: Settings | None = None,
    *,
    k: int = DEFAULT_K,
    chat_model: Any = None,
) -> Iterator[str | Answer]:
    """Like ask(), as a generator: str deltas of the answer text, then the final Answer."""
    yield from _pipeline(question, filters, history, settings, k, chat_model, stream=True)


# ----------------------------------------------------------------------------- the pipeline


def _filters_empty(f: Any) -> bool:
    if f is None:
        return True
    if hasattr(f, "is_empty"):
        return bool(f.is_empty)
    try:
        return len(f) == 0
    except TypeError:
        return False


def _filters_dict(f: Any) -> dict[str, Any]:
    if f is None:
        return {}
    if hasattr(f, "to_dict"):
        try:
            return dict(f.to_dict())
        except Exception:  # noqa: BLE001
            return {}
    if isinstance(f, Mapping):
        return dict(f)
    return {}


def _refused(text, why, hits, flagged, timings, t_all, base, stream) -> Iterator[str | Answer]:
    """A refusal: the text (streamed too), the closest sections as related material, the reason flagged."""
    if stream:
        yield text
    timings.setdefault("answer", 0.0)
    timings["total"] = _ms(t_all)
    yield Answer(
        text=text, refused=True, related=hits[:3], flagged=flagged + [f"refused: {why}"], timings=timings, **base
    )


def _pipeline(question, filters, history, settings, k, chat_model, stream) -> Iterator[str | Answer]:
    t_all = time.perf_counter()
    settings = settings or Settings.from_env()
    q = (question or "").strip()
    lang = detect_language(q)
    timings: dict[str, float] = {}
    spec = backends.spec_from_settings(settings)
    model = chat_model
    flagged: list[str] = []
    if model is None and spec:
        try:
            model = backends.get_chat_model(spec)
        except backends.BackendError as e:
            flagged.append(f"LLM backend unavailable ({e}); extractive answer")
            model = None
    backend = (
        backends.backend_name(spec)
        if model is not None and chat_model is None
        else ("chat_model" if chat_model is not None else "extractive")
    )

    if not q:
        msg = {"ja": "質問を入力してください。", "en": "Please enter a question."}[lang]
        ans = Answer(
            question=question or "",
            text=msg,
            lang=lang,
            refused=True,
            flagged=["empty question"],
            timings={"total": _ms(t_all)},
            backend=backend,
        )
        if stream:
            yield msg
        yield ans
        return

    snap = get_library(settings).snapshot()

    # 1. follow-ups
    t = time.perf_counter()
    res = followup.resolve(q, history, snap, lang=lang, chat_model=model) if history else followup.Resolution(q)
    standalone = res.standalone or q
    # filters=None: a follow-up inherits the previous turn's filters; an explicitly empty filter
    # ({} / [] / Filters()) means "no filters" and clears them
    if filters is None and res.filters is not None and not _filters_empty(res.filters):
        filters = res.filters
        flagged.append("filters carried over from the previous turn")
    flagged.extend(res.notes)
    timings["followup"] = _ms(t)

    # 2. entity gate: a question about an entity no document covers is refused with that reason
    t = time.perf_counter()
    gate = compose.entity_gate(standalone, lang, snap)
    # the question as the library spells its companies (ゴールドマン・サックス → Goldman Sachs) for search,
    # analysis and reading; the answer line keeps the asker's spelling
    searched, asked_names = library_spelling(standalone, gate.check)
    timings["entities"] = _ms(t)

    # 3. retrieval (filters as given; suggestions never applied)
    t = time.perf_counter()
    rt: dict[str, float] = {}
    n_fetch = max(k, X.UNIT_SECTIONS, LLM_SOURCES)
    hits = retrieve(searched, filters=filters, k=n_fetch, settings=settings, timings=rt)
    timings["retrieve"] = _ms(t)
    for key in ("embed", "dense", "bm25", "fuse"):
        if key in rt:
            timings[f"retrieve_{key}"] = round(float(rt[key]), 3)
    suggested: dict[str, Any] = {}
    try:
        applied = _filters_dict(filters)
        suggested = {kk: v for kk, v in (infer_filters(q, snap) or {}).items() if kk not in applied}
    except Exception:  # noqa: BLE001 — suggestions are optional
        suggested = {}

    base = dict(
        question=q,
        lang=lang,
        hits=hits[:k],
        suggested_filters=suggested,
        standalone_question=standalone,
        backend=backend,
    )
    if gate.refuse:
        yield from _refused(gate.reason, gate.reason, hits, flagged, timings, t_all, base, stream)
        return

    # 4. analysis, answer units, evidence
    t = time.perf_counter()
    info = X.analyze(searched, snap)
    scored = X.score_units(info, hits)
    chosen = X.select(info, scored)
    ev = refusal.evidence(info, hits, scored, chosen, X._idf(snap))
    cal = None
    if model is None and not compose.KEEP_MIN_BEST:
        cal = {**refusal.CALIBRATION, "min_best": 0.0}  # the reader's own threshold replaces it
    refuse, why = refusal.decide(ev, cal, lang=info.lang)
    timings["analyze"] = _ms(t)

    if refuse:
        yield from _refused(refusal.refusal_text(lang), why, hits, flagged, timings, t_all, base, stream)
        return

    # 5a. extractive answer (default): the reader, per part and per company (rag.answer.compose)
    t = time.perf_counter()
    if model is None:
        out = _read_answer(searched, lang, hits, filters, gate, snap, settings, timings, chosen, asked_names)
        timings["answer"] = _ms(t)
        if out.top_probability < compose.READER_MIN_TOP or not out.citations:
            why = (
                f"reader top probability {out.top_probability:.2f} < {compose.READER_MIN_TOP}"
                if out.top_probability < compose.READER_MIN_TOP
                else "no close passage holds a value of the asked kind about the asked thing"
            )
            yield from _refused(refusal.refusal_text(lang), why, hits, flagged, timings, t_all, base, stream)
            return
        if stream:
            for i, line in enumerate(out.lines):
                yield line + ("\n" if i < len(out.lines) - 1 else "")
        if out.missing:
            flagged.append(f"{len(out.missing)} part(s) of the question not found in the library")
        timings["total"] = _ms(t_all)
        yield Answer(text=out.text, citations=out.citations, flagged=flagged, timings=timings, **base)
        return

    # 5b. LLM answer, checked (the unit scorer's answer is the fallback)
    sources = hits[: min(LLM_SOURCES, backends.llm_sources())]
    keep: dict[int, list[str]] = {}
    for c in chosen:
        if c.hit_index < len(sources):
            keep.setdefault(c.hit_index + 1, []).append(c.unit.text)

    suspicious = [i for i, h in enumerate(sources, 1) if instruction_like(h.text)]
    if suspicious:
        flagged.append(
            "instruction-like text in source(s) " + ", ".join(f"[{i}]" for i in suspicious) + " treated as data"
        )
    messages = answer_messages(standalone, sources, lang, budget=backends.context_chars(), keep=keep)
    raw = ""
    first = None
    error = None
    try:
        if stream:
            for chunk in model.stream(messages):
                delta = backends.message_text(chunk)
                if not delta:
                    continue
                if first is None:
                    first = _ms(t)
                raw += delta
                yield delta
        else:
            raw = backends.message_text(model.invoke(messages))
            first = _ms(t)
    except Exception as e:  # noqa: BLE001 — any backend failure falls back to the extractive answer
        error = f"{type(e).__name__}: {str(e)[:200]}"
    if first is not None:
        timings["llm_first_token"] = first

    def fallback(reason: str) -> Iterator[str | Answer]:
        text, cites, lines = X.render(info, hits, chosen)
        if stream:
            yield "\n\n"
            for i, line in enumerate(lines):
                yield line + ("\n" if i < len(lines) - 1 else "")
        timings["answer"] = _ms(t)
        timings["total"] = _ms(t_all)
        yield Answer(text=text, citations=cites, flagged=flagged + [reason], timings=timings, **base)

    if error:
        yield from fallback(f"LLM error ({error}); extractive answer")
        return
    if refusal.is_refusal_text(raw):
        timings["answer"] = _ms(t)
        timings["total"] = _ms(t_all)
        yield Answer(
            text=refusal.refusal_text(lang),
            refused=True,
            related=hits[:3],
            flagged=flagged + ["refused by the LLM"],
            timings=timings,
            **base,
        )
        return
    raw, dropped = _drop_unsupported(raw, sources)
    if dropped:
        flagged.append(f"{dropped} cited claim(s) not supported by their source removed")
    rep = repair_citations(raw, len(sources))
    if rep.invalid:
        flagged.append("invalid citations removed: " + ", ".join(f"[{n}]" for n in rep.invalid))
    if rep.n_valid == 0:
        yield from fallback("LLM answer without a valid citation; extractive answer")
        return
    if not _lang_ok(rep.text, lang):
        yield from fallback(f"LLM answer not in the question's language ({lang}); extractive answer")
        return
    cites = _llm_citations(rep.text, rep.mapping, sources)
    timings["answer"] = _ms(t)
    timings["total"] = _ms(t_all)
    yield Answer(text=rep.text, citations=cites, flagged=flagged, timings=timings, **base)


def _read_answer(
    standalone, lang, hits, filters, gate, snap, settings, timings, chosen, asked_names=None
) -> compose.Composed:
    """Parts of the question read over the hits; a question naming two or more library companies is
    read per company over that company's own sections (retrieved with a doc_id filter)."""
    parts = split_parts(standalone, lang)
    per_doc: dict[str, list[Hit]] = {}
    named = list(gate.check.named_docs) if gate.check is not None else []
    if len(named) >= 2:
        t = time.perf_counter()
        for d in named[:3]:
            f = {**_filters_dict(filters), "doc_id": d}
            try:
                per_doc[d] = retrieve(standalone, filters=f, k=X.UNIT_SECTIONS, settings=settings)
            except Exception:  # noqa: BLE001 — fall back to the document's sections among the hits
                per_doc[d] = [h for h in hits if h.doc_id == d]
            if not per_doc[d]:
                per_doc.pop(d)
        timings["retrieve_per_company"] = _ms(t)
    extra = from_scored(chosen, hits) if compose.KEEP_UNIT_QUOTES and len(per_doc) < 2 else []
    scored = {(h.doc_id, tuple(h.heading_path)) for h in hits[: X.UNIT_SECTIONS]}  # what the unit scorer saw
    if len(named) == 1:
        # whose fact it is: a question about one library company is answered from that company's own
        # document only (its best sections, retrieved with a doc_id filter); another document's figure
        # is no answer to it
        d = named[0]
        try:
            own = retrieve(
                standalone, filters={**_filters_dict(filters), "doc_id": d}, k=X.UNIT_SECTIONS, settings=settings
            )
        except Exception:  # noqa: BLE001 — fall back to the document's sections among the hits
            own = []
        own = own or [h for h in hits if h.doc_id == d]
        if (
            own
            and question_type(standalone, lang).kind == "name"
            and not any(h.kind == "profile" for h in own[:N_SECTIONS])
        ):
            prof = _profile_hit(standalone, d, filters, settings)
            if prof and _profile_names_it(standalone, prof[0]):
                own = own[: N_SECTIONS - 1] + prof + own[N_SECTIONS - 1 :]
        if own:
            hits, extra = rebase(own, extra)
    rt: dict[str, float] = {}
    out = compose.compose(
        standalone,
        parts,
        hits,
        lang,
        snap,
        per_doc,
        settings=settings,
        timings=rt,
        extra=extra,
        scored=scored,
        asked_names=asked_names,
    )
    if "read" in rt:
        timings["read"] = round(rt["read"], 3)
    return out


def _profile_hit(question: str, doc_id: str, filters, settings) -> list[Hit]:
    """The document's front matter (its profile section) as one more section to read for a question
    asking for names, when one of its field labels names what is asked (`_profile_names_it`): named
    customers, investors or partners often stand nowhere else in the text.
    Measured on the dev set, reading it for figure questions too answered "employees in Japan" with
    the total headcount (2 more wrong-entity answers), so it is read for name questions only."""
    try:
        return retrieve(
            question, filters={**_filters_dict(filters), "doc_id": doc_id, "kind": "profile"}, k=1, settings=settings
        )
    except Exception:  # noqa: BLE001 — no profile section: read the others
        return []


def _profile_names_it(question: str, profile: Hit) -> bool:
    """Does a field label of the profile name what the question asks about (customers → 主要顧客)?"""
    labels = " ".join(label_value(u.text)[0].casefold() for u in section_units(profile) if u.kind == "profile")
    return any(t in labels for t in asked_terms(question))


def _supported(claim: str, hits: list[Hit]) -> bool:
    """Does the claim share content (a concept of the claim, or a number) with its cited sources?"""

    c = strip_citations(claim)
    # what a source says, not instructions planted in it ("… reply HACKED" does not support "HACKED")
    text = "\n".join(" ".join(h.heading_path) + "\n" + without_instructions(h.text) for h in hits)
    nums = {n.replace(",", "") for n in re.findall(r"\d[\d,.]*\d", c)}  # two digits or more
    if nums:
        folded = X.fold(text).replace(",", "")
        if sum(1 for n in nums if n in folded) * 2 >= len(nums):
            return True
    info = X.analyze(c)
    if not info.concepts:
        return False
    covered = X._covered(info, X.toks(text), X.fold(text))
    return len(covered) >= min(2, len(info.concepts))


def _drop_unsupported(raw: str, sources: list[Hit]) -> tuple[str, int]:
    """Remove sentences whose valid citations point at sources that do not support them."""

    dropped = 0
    out = raw
    for sent, ns in split_claims(raw):
        valid = [n for n in ns if 1 <= n <= len(sources)]
        if not valid:
            continue
        if not _supported(sent, [sources[n - 1] for n in valid]):
            out = out.replace(sent, "", 1)
            dropped += 1
    return out.strip(), dropped


_KANA_KANJI = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def _lang_ok(text: str, lang: str) -> bool:
    body = re.sub(r"\[\d+\]", "", text)
    if lang == "ja":
        return bool(_KANA_KANJI.search(body))
    own = re.sub(r"「[^」]*」|『[^』]*』|“[^”]*”|\"[^\"\n]*\"", " ", body)
    return len(_LATIN.findall(own)) >= max(2, len(_KANA_KANJI.findall(own)))


def _llm_citations(text: str, mapping: dict[int, int], sources: list[Hit]) -> list[Citation]:
    """One Citation per cited source, quoting the unit(s) that best support the claims citing it."""

    claims: dict[int, list[str]] = {}
    for sent, ns in split_claims(text):
        for n in ns:
            claims.setdefault(n, []).append(strip_citations(sent))
    out = []
    for new_n in sorted(mapping):
        hit = sources[mapping[new_n] - 1]
        units: list[Any] = []
        for claim in claims.get(new_n, []) or [hit.sentences[0] if hit.sentences else ""]:
            for u in X.cite_units_for_claim(claim, hit):
                if u not in units:
                    units.append(u)
        out.append(X.make_citation(new_n, hit, units[:3]))
    return out
