"""Crash test: SIGKILL a real `python -m rag.cli index` at random (seeded) moments, then check the index.

    python eval/crash_test.py [--kills 20] [--seed 7] [--work DIR] [--keep] [--out FILE.json]

Library: a copy of seeds/, the two smallest cases of ../shared/corpus/cases (when present) and
tests/fixtures/docs/*.md. After one clean build, each round maybe changes the library (adds,
edits, renames or deletes a file), starts `index --quiet` (every other round `--rebuild`, so the
run has embedding work to do), sends SIGKILL at a random moment within the expected run time and
then checks, in this process:

* the published index opens (`rag.index.Library(settings).snapshot()`) and answers a query
  (`rag.search.retrieve`, at least one hit);
* no duplicate chunk ids; Chroma count == manifest chunk count == BM25 entries;
* the published generation is the previous one or a newer complete one (never a torn one).

At the end an unkilled `index` brings the library up to date, and its documents and chunk ids
must equal a clean build of the same library in a fresh data directory; at most two generation
folders may remain. Prints a table (round, change, mode, kill time, phase reached, generation
seen, chunks, ok) and exits 1 on any failure (2 when the setup itself fails).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.config import Settings
from rag.index import Library
from rag.index import generations as gens
from rag.search import retrieve

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEEDS = REPO / "seeds"
FIXTURES = REPO / "tests" / "fixtures" / "docs"
CORPUS = REPO.parent / "shared" / "corpus" / "cases"
QUERIES = ["ミストラルAIのCEOは誰？", "What does the company sell?", "売上", "生成AIの導入効果"]


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CASEBOOK_DATA_DIR": str(data_dir),
            "ANONYMIZED_TELEMETRY": "False",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PYTHONPATH": str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        }
    )
    return env


def _index_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "rag.cli.main", "index", "--quiet", *args]


def build_library(dest: Path) -> Path:
    lib = dest / "lib"
    lib.mkdir(parents=True)
    for p in sorted(SEEDS.iterdir()):
        if p.is_file():
            shutil.copy(p, lib / p.name)
    if CORPUS.is_dir():
        for p in sorted(CORPUS.glob("*.md"), key=lambda q: q.stat().st_size)[:2]:
            shutil.copy(p, lib / p.name)
    fx = lib / "fixtures"
    fx.mkdir()
    for p in sorted(FIXTURES.glob("*.md")):
        shutil.copy(p, fx / p.name)
    return lib


def change_library(lib: Path, rng: random.Random, round_no: int, force: bool = False) -> str:
    """One seeded change (or none, unless `force`); returns a short description."""
    kind = rng.choice(["add", "edit", "rename", "delete", "add"] + ([] if force else ["none", "none"]))
    extras = sorted(lib.glob("extra_*.md"))
    if kind in ("rename", "delete") and not extras:
        kind = "edit"
    if kind == "add":
        p = lib / f"extra_{round_no:02d}.md"
        p.write_text(
            f"---\ndoc_id: EXTRA_{round_no:02d}\ntitle: 追加事例{round_no}\ncompany: 追加{round_no}株式会社\n---\n"
            f"# 追加事例{round_no}\n\n## 概要\n\n追加{round_no}株式会社は生成AIを導入し、問い合わせ対応を{round_no + 10}%効率化した。\n\n"
            f"## 成果\n\n売上は{round_no}億円増えた。The rollout reached {round_no * 100} employees.\n",
            encoding="utf-8",
        )
        return f"add {p.name}"
    if kind == "edit":
        files = sorted(p for p in lib.rglob("*") if p.is_file())
        p = rng.choice(files)
        with open(p, "a", encoding="utf-8") as f:
            f.write(f"\n\n## 追記{round_no}\n\n第{round_no}回の追記です。新しい数値は{round_no * 7}件。\n")
        return f"edit {p.name}"
    if kind == "rename":
        p = rng.choice(extras)
        q = p.with_name(p.stem + "_r.md")
        p.rename(q)
        return f"rename {p.name}"
    if kind == "delete":
        p = rng.choice(extras)
        p.unlink()
        return f"delete {p.name}"
    return "none"


def _phase(data_dir: Path, before: int) -> str:
    """How far the killed run got, from what it left on disk."""

    ptr = gens.read_pointer(data_dir)
    seen = ptr.generation if ptr else 0
    if seen > before:
        return "published"
    newer = [g for g in gens.existing_generations(data_dir) if g > before]
    if not newer:
        return "startup"
    gdir = gens.gen_dir(data_dir, max(newer))
    if (gdir / "manifest.json").exists():
        return "manifest"
    if (gdir / "lexical.json").exists() or (gdir / "lexical").exists():
        return "lexical"
    if (gdir / "chroma").exists():
        return "vectors"
    return "gen-dir"


@dataclass
class Row:
    round: int
    change: str
    mode: str
    kill_at: float
    outcome: str  # "killed" | "finished"
    phase: str
    generation: int = 0
    documents: int = 0
    chunks: int = 0
    hits: int = 0
    ok: bool = False
    problems: list[str] = field(default_factory=list)


def check_index(settings, prev_gen: int) -> tuple[int, int, int, int, list[str]]:
    """(generation, documents, chunks, hits, problems) of the published index."""

    problems: list[str] = []
    try:
        snap = Library(settings).snapshot()
    except Exception as e:  # noqa: BLE001
        return 0, 0, 0, 0, [f"index does not open: {type(e).__name__}: {e}"]
    got = snap.store.collection.get(include=[])
    ids = got["ids"]
    manifest_ids = [cid for v in snap.manifest.get("files", {}).values() for cid in v["chunk_ids"]]
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} duplicate chunk ids in Chroma")
    if len(manifest_ids) != len(set(manifest_ids)):
        problems.append("duplicate chunk ids in the manifest")
    if set(ids) != set(manifest_ids):
        problems.append(f"Chroma ids != manifest ids ({len(ids)} vs {len(manifest_ids)})")
    if len(snap.lexical) != len(ids):
        problems.append(f"BM25 has {len(snap.lexical)} entries for {len(ids)} chunks")
    if snap.generation < prev_gen:
        problems.append(f"generation went back from {prev_gen} to {snap.generation}")
    hits = 0
    try:
        for q in QUERIES[:2]:
            hits += len(retrieve(q, k=3, settings=settings))
        if not hits:
            problems.append("retrieve() returned no hit")
    except Exception as e:  # noqa: BLE001
        problems.append(f"retrieve() failed: {type(e).__name__}: {e}")
    return snap.generation, len(snap.documents), len(ids), hits, problems


def run_cli(args: list[str], data_dir: Path, timeout: float = 1800) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(args, cwd=str(REPO), env=_env(data_dir), capture_output=True, text=True, timeout=timeout)
    return p.returncode, time.perf_counter() - t0, (p.stdout + p.stderr)


def kill_run(args: list[str], data_dir: Path, after: float) -> tuple[str, float]:
    """Start the index run, SIGKILL it `after` seconds later; ("killed"|"finished", seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args,
        cwd=str(REPO),
        env=_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=after)
        return "finished", time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # our own session: the run and anything it started
    except ProcessLookupError:
        pass
    proc.wait()
    return "killed", time.perf_counter() - t0


def snapshot_summary(settings) -> dict:
    snap = Library(settings).snapshot()
    files = snap.manifest.get("files", {})
    return {
        "documents": sorted((v["doc_id"], v["uid"]) for v in files.values()),
        "chunk_ids": sorted(cid for v in files.values() for cid in v["chunk_ids"]),
        "errors": sorted(Path(p).name for p in snap.manifest.get("errors", {})),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", help="work folder (default: a new temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--out", help="also write the rows as JSON here")
    args = ap.parse_args(argv)
    for k, v in (("ANONYMIZED_TELEMETRY", "False"), ("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1")):
        os.environ.setdefault(k, v)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="casebook-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    lib = build_library(work)
    data = work / "data"
    settings = Settings.from_env(data_dir=data, library=(lib,))
    print(
        f"library: {lib} ({sum(1 for p in lib.rglob('*') if p.is_file())} files); data: {data}; seed {args.seed}",
        flush=True,
    )

    code, t_full, out = run_cli(_index_cmd(str(lib)), data)
    if code:
        print(f"setup: the first index run failed (exit {code}):\n{out[-3000:]}")
        return 2
    code, t_noop, out = run_cli(_index_cmd(), data)
    print(f"clean build {t_full:.1f} s; no-op run {t_noop:.1f} s", flush=True)
    gen, ndocs, nchunks, hits, problems = check_index(settings, 0)
    if problems:
        print(f"setup: the first index is not usable: {problems}")
        return 2

    rows: list[Row] = []
    prev_gen = gen
    inc_times: list[float] = []  # durations of incremental runs that finished before their kill
    r = 0
    while sum(x.outcome == "killed" for x in rows) < args.kills and r < 2 * args.kills:
        r += 1
        rebuild = r % 2 == 0
        change = change_library(lib, rng, r, force=not rebuild)
        if rebuild:
            horizon = 1.1 * t_full
        else:  # an incremental run is short: aim inside what such runs took so far
            est = sorted(inc_times)[len(inc_times) // 2] if inc_times else t_noop + 0.15 * max(0.0, t_full - t_noop)
            horizon = 0.95 * est
        after = rng.uniform(0.2, max(0.5, horizon))
        outcome, took = kill_run(_index_cmd(*(["--rebuild"] if rebuild else [])), data, after)
        if outcome == "finished" and not rebuild:
            inc_times.append(took)
        phase = _phase(data, prev_gen) if outcome == "killed" else "finished"
        gen, ndocs, nchunks, hits, problems = check_index(settings, prev_gen)
        row = Row(
            r,
            change,
            "rebuild" if rebuild else "incremental",
            round(took, 2),
            outcome,
            phase,
            gen,
            ndocs,
            nchunks,
            hits,
            not problems,
            problems,
        )
        rows.append(row)
        prev_gen = max(prev_gen, gen)
        print(
            f"{r:>3}  {change[:26]:<26} {row.mode:<11} {took:7.2f}s  {outcome:<8} {phase:<9} g{gen:<4} "
            f"{ndocs:>3} docs {nchunks:>5} chunks  {'ok' if row.ok else 'FAIL ' + '; '.join(problems)}",
            flush=True,
        )

    # the final run completes; its result must equal a clean build of the same library
    final_problems: list[str] = []
    code, t_final, out = run_cli(_index_cmd(), data)
    if code:
        final_problems.append(f"final index run exited {code}: {out[-1500:]}")
    clean = work / "clean"
    code_c, t_clean, out_c = run_cli(_index_cmd(str(lib)), clean)
    if code_c:
        final_problems.append(f"clean build exited {code_c}: {out_c[-1500:]}")
    gen, ndocs, nchunks, hits, problems = check_index(settings, prev_gen)
    final_problems += problems
    if not final_problems:
        mine = snapshot_summary(settings)
        ref = snapshot_summary(Settings.from_env(data_dir=clean, library=(lib,)))
        for key in ("documents", "chunk_ids", "errors"):
            if mine[key] != ref[key]:
                a, b = set(map(str, mine[key])), set(map(str, ref[key]))
                final_problems.append(
                    f"{key} differ from a clean build: only here {sorted(a - b)[:5]}, only clean {sorted(b - a)[:5]}"
                )

        left = gens.existing_generations(data)
        if len(left) > 2:
            final_problems.append(f"{len(left)} generation folders left: {left}")
        ref_docs, ref_chunks = len(ref["documents"]), len(ref["chunk_ids"])
    else:
        ref_docs = ref_chunks = -1

    killed = [x for x in rows if x.outcome == "killed"]
    phases: dict[str, int] = {}
    for x in killed:
        phases[x.phase] = phases.get(x.phase, 0) + 1
    print()
    print(
        "| round | change | mode | kill at (s) | outcome | phase reached | generation seen | docs | chunks | hits | ok |"
    )
    print("|---:|---|---|---:|---|---|---:|---:|---:|---:|---|")
    for x in rows:
        print(
            f"| {x.round} | {x.change} | {x.mode} | {x.kill_at:.2f} | {x.outcome} | {x.phase} | {x.generation} | "
            f"{x.documents} | {x.chunks} | {x.hits} | {'ok' if x.ok else 'FAIL: ' + '; '.join(x.problems)} |"
        )
    print()
    print(f"kills: {len(killed)} of {len(rows)} runs (the others finished first); phases reached: {phases}")
    print(
        f"final: generation {gen}, {ndocs} documents, {nchunks} chunks; clean build: {ref_docs} documents, "
        f"{ref_chunks} chunks ({t_clean:.1f} s)"
    )
    failed = [x for x in rows if not x.ok]
    for p in final_problems:
        print(f"FAIL (final): {p}")
    if args.out:
        Path(args.out).write_text(
            json.dumps(
                {
                    "rows": [x.__dict__ for x in rows],
                    "final_problems": final_problems,
                    "final": {"generation": gen, "documents": ndocs, "chunks": nchunks},
                    "clean": {"documents": ref_docs, "chunks": ref_chunks},
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    if not args.keep and not args.work:
        shutil.rmtree(work, ignore_errors=True)
    ok = not failed and not final_problems
    print("crash test: " + ("PASS" if ok else f"FAIL ({len(failed)} rounds, {len(final_problems)} final problems)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
