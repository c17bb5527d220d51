"""A corpus of bad inputs, generated here (no committed binaries), through ONE real `casebook index` run.

The corpus (eval.bench_bad_inputs.CASES, shared with the benchmark): invalid YAML, front matter only, an empty file, a binary file, Shift_JIS
and UTF-16 files (detected, converted, indexed), a 20 MB binary file and a 26 MB file over the
size cap, two files sharing a doc_id, an unterminated front matter, a YAML alias bomb, deeply
nested YAML, a file name with spaces, Unicode and "..", headings holding <script> and Markdown
links, a prompt-injection document, and a good file.

`python -m rag.cli index --quiet DIR` runs once (CASEBOOK_DATA_DIR in tmp) under a peak-RSS
measurement (os.wait4 on the child); `python -m rag.cli docs --json` then shows what was indexed.
The 20 MB case of *real text* (which the default 25 MB cap admits) is tested at the loader level
(load_document + chunk_document, no embedding) for time and traced memory: embedding its ~30k
chunks would take far too long for a test (see eval/bench_bad_inputs.py for the figures).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from eval.bench_bad_inputs import (
    CASES,
    INJECTION,
    MB,
    XSS_HEADING,
    XSS_LINK_HEADING,
    Case,
    big_text_file,
    cli_env,
    doc_text,
    run_measured,
    slow_flow_yaml,
    write_corpus,
)
from rag.schema import LoadError, LoadIssue

from .conftest import REPO

pytestmark = pytest.mark.slow

RSS_LIMIT = int(2.5 * 1024 * MB)


def _doc(doc_id: str, title: str, company: str = "テスト株式会社") -> str:
    return doc_text(doc_id, title, company)


def _env(data_dir: Path) -> dict[str, str]:
    return cli_env(data_dir)


@dataclass
class Indexed:
    lib: Path
    data: Path
    code: int
    rss: int
    seconds: float
    stdout: str
    stderr: str
    docs: dict


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Indexed:
    root = tmp_path_factory.mktemp("bad-inputs")
    lib, data = root / "lib", root / "data"
    write_corpus(lib)
    argv = [sys.executable, "-m", "rag.cli.main", "index", "--quiet", str(lib)]
    code, rss, secs = run_measured(argv, _env(data), root / "index")
    stdout = (root / "index.stdout").read_text(encoding="utf-8", errors="replace")
    stderr = (root / "index.stderr").read_text(encoding="utf-8", errors="replace")
    docs_p = subprocess.run(
        [sys.executable, "-m", "rag.cli.main", "docs", "--json"],
        cwd=str(REPO),
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=600,
    )
    docs = (
        json.loads(docs_p.stdout)
        if docs_p.returncode == 0
        else {"documents": [], "errors": [], "stderr": docs_p.stderr}
    )
    print(f"\nindex run: exit {code}, peak RSS {rss / MB:.0f} MiB, {secs:.1f} s")
    return Indexed(lib, data, code, rss, secs, stdout, stderr, docs)


def _path(ix: Indexed, case: Case) -> str:
    return str((ix.lib / case.name).resolve())


# ----------------------------------------------------------------------------- the CLI run


def test_index_run_exits_zero_with_bounded_memory(indexed: Indexed, record_property) -> None:
    record_property("peak_rss_mib", round(indexed.rss / MB))
    record_property("index_seconds", round(indexed.seconds, 1))
    assert indexed.code == 0, indexed.stdout[-2000:] + indexed.stderr[-3000:]
    assert "Traceback" not in indexed.stderr, indexed.stderr[-3000:]
    assert 0 < indexed.rss < RSS_LIMIT, f"peak RSS {indexed.rss / MB:.0f} MiB"


def test_summary_counts(indexed: Indexed) -> None:
    n_files = len(CASES)
    n_err = sum(c.kind == "error" for c in CASES)
    summary = indexed.stdout.splitlines()[0]
    assert summary.startswith("generation 1: "), summary
    assert f"{n_files - n_err} documents" in summary and f"({n_files} files: {n_files - n_err} indexed" in summary, (
        summary
    )
    assert f"{n_err} failed" in summary, summary


def test_each_problem_file_reported_on_one_line(indexed: Indexed) -> None:
    lines = indexed.stdout.splitlines()
    problems = [ln for ln in lines if ln.startswith(("error: ", "warning: "))]
    # nothing but the summary, one line per problem, and the data directory
    others = [ln for ln in lines[1:] if ln not in problems and not ln.startswith("data directory: ")]
    assert not others, f"unexpected output lines (a problem spread over several lines?): {others[:5]}"
    for ln in problems:
        assert str(indexed.lib.resolve()) in ln, f"a problem line that names no library file: {ln}"
    for case in CASES:
        path = _path(indexed, case)
        mine = [
            ln
            for ln in problems
            if ln.split(": ", 1)[1].startswith(path + ":") or ln.split(": ", 1)[1].startswith(path + " ")
        ]
        if case.kind == "ok":
            assert not mine, f"{case.name} should load without a word: {mine}"
            continue
        prefix = "error: " if case.kind == "error" else "warning: "
        hit = [ln for ln in mine if ln.startswith(prefix) and case.reason in ln]
        assert hit, f"{case.name}: no '{prefix}… {case.reason}' line; its lines: {mine}"
        if case.kind == "error":
            assert len(mine) == 1, f"{case.name}: an unindexable file gets exactly one line: {mine}"


def test_docs_json_lists_everything_indexable(indexed: Indexed) -> None:
    docs = indexed.docs["documents"]
    assert docs, indexed.docs.get("stderr", "")
    by_path = {d["path"]: d for d in docs}
    for case in CASES:
        path = _path(indexed, case)
        if case.kind == "error":
            assert path not in by_path, case.name
            continue
        assert path in by_path, f"{case.name} not indexed"
        d = by_path[path]
        assert d["doc_id"] == case.doc_id, (case.name, d["doc_id"])
        assert d["chunks"] >= 1, case.name
    errors = {Path(e["path"]).name: e["message"] for e in indexed.docs["errors"]}
    assert set(errors) == {c.name for c in CASES if c.kind == "error"}
    for case in CASES:
        if case.kind == "error":
            assert case.reason in errors[case.name] and "\n" not in errors[case.name]


def test_converted_encodings_are_indexed_with_their_text(indexed: Indexed) -> None:
    by_id = {d["doc_id"]: d for d in indexed.docs["documents"]}
    assert by_id["SJIS_DOC"]["title"] == "シフトJIS文書"
    assert by_id["SJIS_DOC"]["facets"].get("company") == "シフト株式会社"
    assert any("Shift_JIS" in i["message"] and "UTF-8" in i["message"] for i in by_id["SJIS_DOC"]["issues"])
    assert by_id["UTF16_DOC"]["title"] == "UTF-16文書"
    assert by_id["UTF16_NOBOM"]["title"] == "BOMなしUTF-16"
    manifest = _manifest(indexed)
    enc = {v["doc_id"]: v["encoding"] for v in manifest["files"].values()}
    assert enc["SJIS_DOC"] == "cp932" and enc["UTF16_DOC"].startswith("utf-16") and enc["UTF16_NOBOM"] == "utf-16-le"


def test_utf16_conversion_is_warned(indexed: Indexed) -> None:
    for case in ("utf16.md", "utf16_nobom.txt"):
        path = str((indexed.lib / case).resolve())
        assert any(ln.startswith(f"warning: {path}") and "UTF-16" in ln for ln in indexed.stdout.splitlines()), case


def test_duplicate_doc_ids_both_kept_and_distinguishable(indexed: Indexed) -> None:
    dups = [d for d in indexed.docs["documents"] if d["doc_id"] == "DUP_CASE"]
    assert len(dups) == 2
    assert dups[0]["uid"] != dups[1]["uid"] and dups[0]["path"] != dups[1]["path"]
    assert {d["title"] for d in dups} == {"重複A", "重複B"}
    ids = [cid for v in _manifest(indexed)["files"].values() for cid in v["chunk_ids"]]
    assert len(ids) == len(set(ids)), "chunk ids collide between the two files"


def test_hostile_yaml_recovered_what_it_could(indexed: Indexed) -> None:
    by_id = {d["doc_id"]: d for d in indexed.docs["documents"]}
    bad = by_id["BAD_YAML"]
    assert bad["title"] == "壊れたYAML" and bad["facets"].get("country") == "日本"
    assert any(i["line"] == 4 and "company" in i["message"] for i in bad["issues"]), bad["issues"]
    bomb = json.dumps(by_id["ALIAS_BOMB"]["facets"], ensure_ascii=False)
    assert len(bomb) < 5_000, len(bomb)  # the plain block 'a' is kept; nothing is expanded
    assert by_id["FM_ONLY"]["chunks"] >= 1  # the profile chunk


def _manifest(ix: Indexed) -> dict:
    cur = json.loads((ix.data / "CURRENT.json").read_text(encoding="utf-8"))
    return json.loads(
        (ix.data / "generations" / f"g{cur['generation']:06d}" / "manifest.json").read_text(encoding="utf-8")
    )


def test_markup_and_injection_are_stored_as_plain_data(indexed: Indexed) -> None:
    from rag.config import Settings
    from rag.index import Library

    snap = Library(Settings.from_env(data_dir=indexed.data)).snapshot()
    xss = [m for m in snap.metas.values() if m.get("doc_id") == "XSS_CASE" and m.get("kind") == "section"]
    paths = {tuple(json.loads(m["heading_json"])) for m in xss}
    assert (XSS_LINK_HEADING,) in paths, paths  # heading text kept as written, markup and all
    texts = [snap.texts[cid] for cid, m in snap.metas.items() if m.get("doc_id") == "XSS_CASE"]
    assert any(XSS_HEADING in t for t in texts), texts
    inj = [cid for cid, m in snap.metas.items() if m.get("doc_id") == "INJECTION"]
    assert any(INJECTION in snap.texts[cid] for cid in inj)
    # the UI escapes what documents say (titles, facets, file names): nothing becomes markup
    from ui.render import library_html

    page = library_html(indexed.docs["documents"], indexed.docs["errors"])
    assert "<img src=x" not in page and "<b>太字</b>" not in page and "<script" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;事例" in page


# ----------------------------------------------------------------------------- loader level


_BIG_PROBE = r"""
import json, resource, sys, time, tracemalloc
from eval.bench_bad_inputs import cheap_count
from rag.ingest import chunk_document, load_document
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
calls = [0]
def count(text):
    calls[0] += 1
    return cheap_count(text)
tracemalloc.start()
t0 = time.perf_counter(); doc = load_document(sys.argv[1], max_bytes=64 << 20); t_load = time.perf_counter() - t0
_, peak_load = tracemalloc.get_traced_memory()
tracemalloc.stop()
t0 = time.perf_counter(); chunks = chunk_document(doc, count); t_chunk = time.perf_counter() - t0
print(json.dumps({"doc_id": doc.doc_id, "t_load": t_load, "peak_load": peak_load, "t_chunk": t_chunk,
                  "chunks": len(chunks), "max_tokens": max(c.n_tokens for c in chunks), "calls": calls[0],
                  "rss_base": base * 1024, "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def test_20mb_text_file_loads_and_chunks_in_bounded_time_and_memory(tmp_path: Path, record_property) -> None:
    """A 20 MB text file is under the 25 MB cap: it must load and chunk (no embedding) without blowing up.

    Run in a child process: load_document under tracemalloc (peak traced memory), chunk_document timed
    on a plain run (tracemalloc slows the chunker ~20x), and the child's peak RSS for the whole."""
    path = tmp_path / "big.md"
    size = big_text_file(path, 20 * MB)
    p = subprocess.run(
        [sys.executable, "-c", _BIG_PROBE, str(path)],
        cwd=str(REPO),
        env=cli_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(p.stdout.strip().splitlines()[-1])
    for k in ("t_load", "t_chunk", "chunks", "calls"):
        record_property(k, round(r[k], 2))
    record_property("peak_load_mib", round(r["peak_load"] / MB))
    record_property("rss_peak_mib", round(r["rss_peak"] / MB))
    print(
        f"\n20 MB: load {r['t_load']:.1f} s (traced peak {r['peak_load'] / MB:.0f} MiB), chunk {r['t_chunk']:.1f} s, "
        f"{r['chunks']} chunks, {r['calls']} count_tokens calls, peak RSS {r['rss_peak'] / MB:.0f} MiB "
        f"(after imports {r['rss_base'] / MB:.0f} MiB)"
    )
    assert r["doc_id"] == "BIG" and r["chunks"] > 10_000 and r["max_tokens"] <= 512
    assert r["calls"] < 3 * r["chunks"]
    # generous bounds (2 shared cores; idle: ~1 s each): a quadratic step would take hours, a copy per chunk GiBs
    assert r["t_load"] < 60 and r["t_chunk"] < 120, r
    assert r["peak_load"] < 12 * size, r["peak_load"] / MB
    assert r["rss_peak"] - r["rss_base"] < 40 * size, (r["rss_peak"] - r["rss_base"]) / MB


# ----------------------------------------------------------------------------- known gaps


def test_report_line_stays_one_line_for_a_newline_in_a_file_name() -> None:
    from rag.index import IndexReport

    rep = IndexReport(
        errors=[LoadIssue("/lib/empty\nname.md", None, "file is empty", "error")],
        warnings=[LoadIssue("/lib/odd\rname.md", 3, "front matter block 'x' is not valid YAML")],
    )
    out = "\n".join(rep.lines()).splitlines()
    assert len(out) == 3, out


def test_non_utf8_file_name_does_not_stop_the_run(tmp_path: Path) -> None:
    from rag.config import Settings
    from rag.index import index_library

    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "good.md").write_text(_doc("GOOD_CASE", "正常な事例"), encoding="utf-8")
    bad = os.fsencode(str(lib)) + b"/" + "事例".encode("cp932") + b".md"
    with open(bad, "wb") as f:
        f.write(_doc("SJIS_NAME", "名前がShift_JIS").encode("utf-8"))
    rep = index_library(Settings.from_env(data_dir=tmp_path / "data", library=(lib,)), [lib])
    assert rep.published and rep.documents + rep.failed == 2
    assert "\n".join(rep.lines()).encode("utf-8")  # printable


def test_flow_nesting_bomb_in_front_matter_loads_fast(tmp_path: Path) -> None:
    from rag.ingest import load_document

    path = tmp_path / "slow.md"
    path.write_text(slow_flow_yaml(20), encoding="utf-8")  # 22 KiB of '['
    t0 = time.perf_counter()
    doc = load_document(path)
    took = time.perf_counter() - t0
    assert doc.doc_id == "SLOW_FLOW" and any("nested deeper" in i.message for i in doc.issues)
    assert took < 1.5, f"{took:.1f} s for a 22 KiB front matter"


def test_load_errors_are_one_line_for_every_bad_case(tmp_path: Path) -> None:
    """Loader level, no index: each bad file gives a Document or one LoadError line, nothing else."""
    from rag.ingest import load_document

    lib = tmp_path / "lib"
    write_corpus(lib)
    for case in CASES:
        try:
            doc = load_document(lib / case.name)
        except LoadError as e:
            assert case.kind == "error" and case.reason in str(e) and "\n" not in str(e), (case.name, str(e))
        else:
            assert case.kind != "error", case.name
            assert all("\n" not in str(i) for i in doc.issues), case.name
