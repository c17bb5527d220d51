"""Write an evaluation run: results.json, report.md and PNG plots (each file written atomically).

paths = write_outputs(results, out_dir, diff=None)   # {"results": …, "report": …, "plots": {…}}
print(summary_table(results))
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from . import metrics as M

RESULTS_NAME = "results.json"
REPORT_NAME = "report.md"
PLOT_NAMES = {"by_kind": "metrics_by_kind.png", "by_lang": "metrics_by_lang.png", "latency": "latency_hist.png"}

# (key, short label) in table/plot order
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("pass_rate", "pass"),
    ("section_hit@1", "sec@1"),
    ("section_hit@3", "sec@3"),
    ("section_hit@5", "sec@5"),
    ("section_hit@10", "sec@10"),
    ("mrr@10", "MRR@10"),
    ("doc_hit@5", "doc@5"),
    ("fact_recall", "facts"),
    ("answer_line_fact_recall", "line facts"),
    ("all_facts_pass", "all facts"),
    ("citation_precision", "cite prec"),
    ("language_match", "lang"),
    ("refusal_accuracy", "refusal"),
    ("wrong_entity_answers", "wrong ent"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
)
PLOT_METRICS: tuple[str, ...] = (
    "section_hit@1",
    "section_hit@5",
    "mrr@10",
    "doc_hit@5",
    "fact_recall",
    "answer_line_fact_recall",
    "all_facts_pass",
    "citation_precision",
    "language_match",
    "refusal_accuracy",
    "pass_rate",
)
SUMMARY_KEYS: tuple[str, ...] = (
    "section_hit@1",
    "section_hit@3",
    "section_hit@5",
    "section_hit@10",
    "mrr@10",
    "doc_hit@1",
    "doc_hit@5",
    "fact_recall",
    "answer_line_fact_recall",
    "all_facts_pass",
    "citation_precision",
    "language_match",
    "refusal_accuracy",
    "wrong_entity_answers",
    "pass_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)


# ------------------------------------------------------------------------------------ atomic files
def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def dumps_results(results: dict[str, Any]) -> str:
    return json.dumps(results, ensure_ascii=False, indent=1, default=str) + "\n"


# ------------------------------------------------------------------------------------ formatting
def _is_vacuous(results: dict[str, Any], scope: str, group: str | None, key: str) -> bool:
    vac = (results.get("meta") or {}).get("vacuous") or {}
    if scope == "aggregate":
        return key in (vac.get("aggregate") or [])
    return key in ((vac.get(scope) or {}).get(group) or [])


def fmt_value(key: str, v: Any, vacuous: bool = False) -> str:
    if vacuous:
        return "n/a"
    if v is None:
        return "–"
    if key.startswith("latency_"):
        return f"{v:.0f}"
    if key.startswith("n") or key in M.COUNT_METRIC_KEYS:
        return f"{int(v)}"
    return f"{v:.3f}"


def _md_cell(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ").strip()


def _applicable_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    return {
        k: sum(1 for r in records if (r.get("metrics") or {}).get(k) is not None)
        for k in M.METRIC_KEYS + M.COUNT_METRIC_KEYS
    }


def summary_table(results: dict[str, Any]) -> str:
    """Plain-text summary for a terminal."""
    agg = results.get("aggregate") or {}
    counts = _applicable_counts(results.get("questions") or [])
    lines = [f"{'metric':<24} {'value':>8}  n"]
    for key in SUMMARY_KEYS:
        if key not in agg:
            continue
        vac = _is_vacuous(results, "aggregate", None, key)
        n = counts.get(key, "")
        if key.startswith("latency_"):
            n = sum(1 for r in results.get("questions") or [] if M.total_ms(r) is not None)
        lines.append(f"{key:<24} {fmt_value(key, agg[key], vac):>8}  {n}")
    n = int(agg.get("n", 0))
    passed = sum(1 for r in results.get("questions") or [] if r.get("pass"))
    skipped = int((results.get("meta") or {}).get("skipped_lines") or 0)
    tail = f", skipped {skipped} invalid line{'s' if skipped != 1 else ''}" if skipped else ""
    lines.append(
        f"{'questions':<20} {n:>8}  passed {passed}, failed {n - passed}, errors {int(agg.get('n_errors', 0))}{tail}"
    )
    return "\n".join(lines)


def _group_table(results: dict[str, Any], scope: str) -> list[str]:
    groups = results.get(scope) or {}
    head = ["group", "n"] + [label for _, label in TABLE_COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, agg in groups.items():
        cells = [_md_cell(name), str(int(agg.get("n", 0)))]
        for key, _ in TABLE_COLUMNS:
            cells.append(fmt_value(key, agg.get(key), _is_vacuous(results, scope, name, key)))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _path_str(path: Any) -> str:
    return " › ".join(path or []) or "(no heading)"


def _short(s: str, n: int = 400) -> str:
    s = " ".join((s or "").split())
    return s if len(s) <= n else s[: n - 1] + "…"


def render_markdown(results: dict[str, Any], plots: dict[str, str] | None = None, diff: Any = None) -> str:
    meta = results.get("meta") or {}
    agg = results.get("aggregate") or {}
    records = results.get("questions") or []
    counts = _applicable_counts(records)
    out: list[str] = ["# Evaluation report", ""]
    out.append(f"- question file: `{meta.get('question_file')}`")
    out.append(f"- run: {meta.get('started')} → {meta.get('finished')} ({meta.get('seconds')} s), k={meta.get('k')}")
    s = meta.get("settings") or {}
    if s:
        keys = ("embed_model", "embed_engine", "llm", "chroma_url", "data_dir")
        out.append("- settings: " + ", ".join(f"{k}=`{s.get(k)}`" for k in keys if k in s))
    passed = sum(1 for r in records if r.get("pass"))
    out.append(
        f"- questions: {len(records)} (passed {passed}, failed {len(records) - passed}, "
        f"errors {int(agg.get('n_errors', 0))})"
    )
    if meta.get("load_errors"):
        out.append(
            f"- question file problems: {len(meta['load_errors'])}"
            + (f" ({meta['skipped_lines']} invalid line(s) skipped)" if meta.get("skipped_lines") else "")
        )
    out.append(f"- pass rule: {meta.get('pass_rule', '')}")
    out.append(
        "- `n/a`: the metric applies to no question of that group (stored as 1.0, latency 0.0, see meta.vacuous)"
    )
    out += ["", "## Summary", "", "| metric | value | n |", "|---|---|---|"]
    for key in SUMMARY_KEYS:
        if key in agg:
            n = counts.get(key, sum(1 for r in records if M.total_ms(r) is not None))
            out.append(f"| {key} | {fmt_value(key, agg[key], _is_vacuous(results, 'aggregate', None, key))} | {n} |")

    if diff is not None:
        out += ["", "## Baseline comparison", "", "```"]
        out += list(diff.lines())
        out += ["```"]

    for scope, title in (("by_kind", "By kind"), ("by_lang", "By language")):
        out += ["", f"## {title}", ""] + _group_table(results, scope)
        plot = (plots or {}).get(scope)
        if plot:
            out += ["", f"![{title}]({plot})"]

    lat = results.get("latency") or {}
    if lat:
        out += [
            "",
            "## Latency per stage (ms)",
            "",
            "| stage | p50 | p95 | mean | max | n |",
            "|---|---|---|---|---|---|",
        ]
        for stage, v in lat.items():
            out.append(
                f"| {_md_cell(stage)} | {v['p50']:.0f} | {v['p95']:.0f} | {v['mean']:.0f} | {v['max']:.0f} | {v['n']} |"
            )
        if (plots or {}).get("latency"):
            out += ["", f"![Latency]({plots['latency']})"]

    failed = [r for r in records if not r.get("pass")]
    out += ["", f"## Failed questions ({len(failed)})", ""]
    if not failed:
        out.append("None.")
    for r in failed:
        out += _failure_block(r)

    if meta.get("load_errors"):
        out += ["", "## Question file problems", ""]
        out += [f"- {_md_cell(e)}" for e in meta["load_errors"]]
    return "\n".join(out) + "\n"


def _failure_block(r: dict[str, Any]) -> list[str]:
    out = [
        f"### {r['id']} ({r.get('kind')}, {r.get('lang')}, {'answerable' if r.get('answerable') else 'unanswerable'})",
        "",
    ]
    out.append(f"**Q:** {_short(r.get('question', ''), 300)}")
    if r.get("filters"):
        out.append(f"**filters:** `{json.dumps(r['filters'], ensure_ascii=False)}`")
    out.append("")
    for reason in r.get("reasons") or []:
        if not reason.startswith("missing facts:"):  # listed below with every alternative
            out.append(f"- {_md_cell(reason)}")
    if r.get("gold"):
        out.append("- gold: " + "; ".join(f"{g['doc']} › {g['section']}" for g in r["gold"]))
    if r.get("missing_facts"):
        out.append("- missing facts: " + "; ".join(" \\| ".join(f"`{a}`" for a in grp) for grp in r["missing_facts"]))
    out.append(f"- refused: {r.get('refused')}; answer lang: {r.get('answer_lang')}")
    if not r.get("refused"):
        out.append(f"- answer line(s): {_short(r.get('answer_line', ''), 300) or '(none: only a lead-in and quotes)'}")
    out.append(f"- answer: {_short(r.get('answer', ''), 400) or '(empty)'}")
    cites = r.get("citations") or []
    if cites:
        out.append("- cited:")
        for c in cites:
            mark = {True: "✓", False: "✗"}.get(c.get("ok"), "·")
            quote = _short(" / ".join(c.get("quote") or []), 160)
            out.append(
                f"  - {mark} [{c.get('n')}] {c.get('doc')} › {_path_str(c.get('path'))}"
                + (f" — “{quote}”" if quote else "")
            )
    else:
        out.append("- cited: nothing")
    hits = r.get("top_hits") or []
    if hits:
        out.append("- top hits: " + "; ".join(f"{h['rank']}. {h['doc']} › {_path_str(h['path'])}" for h in hits[:5]))
    out.append("")
    return out


# ------------------------------------------------------------------------------------ plots
def _plt():
    import matplotlib  # noqa: PLC0415 — heavy plotting library, loaded only when plots are written

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # noqa: PLC0415 — after use('Agg'), which must come first

    return plt


def _save_fig(fig: Any, path: Path) -> None:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing CJK glyphs in labels are not fatal
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())


def plot_groups(results: dict[str, Any], scope: str, path: Path, title: str) -> None:
    plt = _plt()
    groups = results.get(scope) or {}
    names = list(groups)
    metrics = list(PLOT_METRICS)
    fig, ax = plt.subplots(figsize=(max(8.0, 1.1 * len(metrics) + 0.25 * len(metrics) * len(names)), 4.6))
    try:
        width = 0.8 / max(1, len(names))
        for i, name in enumerate(names):
            vals = []
            for key in metrics:
                v = groups[name].get(key)
                vac = _is_vacuous(results, scope, name, key)
                vals.append(math.nan if v is None or vac else float(v))
            xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(metrics))]
            ax.bar(xs, vals, width=width, label=f"{name} (n={int(groups[name].get('n', 0))})")
        ax.set_xticks(range(len(metrics)))
        ax.set_xticklabels(metrics, rotation=30, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("score")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        if names:
            ax.legend(fontsize=8, ncol=min(4, len(names)), loc="upper center", bbox_to_anchor=(0.5, -0.28))
        _save_fig(fig, path)
    finally:
        plt.close(fig)


def plot_latency(results: dict[str, Any], path: Path) -> None:
    plt = _plt()
    totals = [t for t in (M.total_ms(r) for r in results.get("questions") or []) if t is not None]
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        if totals:
            ax.hist(totals, bins=min(30, max(5, len(totals) // 2)), color="#4C72B0", alpha=0.85)
            agg = results.get("aggregate") or {}
            for key, style in (("latency_p50_ms", "--"), ("latency_p95_ms", ":")):
                if key in agg:
                    ax.axvline(agg[key], color="k", linestyle=style, label=f"{key.split('_')[1]} {agg[key]:.0f} ms")
            ax.legend()
        else:
            ax.text(0.5, 0.5, "no latency data", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel("total latency per question (ms)")
        ax.set_ylabel("questions")
        ax.set_title("Latency")
        _save_fig(fig, path)
    finally:
        plt.close(fig)


# ------------------------------------------------------------------------------------ all outputs
def write_outputs(results: dict[str, Any], out_dir: str | Path, diff: Any = None) -> dict[str, Any]:
    """Write results.json, the PNG plots and report.md into out_dir; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Any] = {"results": out / RESULTS_NAME, "report": out / REPORT_NAME, "plots": {}}
    atomic_write_text(paths["results"], dumps_results(results))
    if diff is not None:
        atomic_write_text(
            out / "baseline_diff.json", json.dumps(diff.to_dict(), ensure_ascii=False, indent=1, default=str) + "\n"
        )
        paths["diff"] = out / "baseline_diff.json"
    plots: dict[str, str] = {}
    try:
        plot_groups(results, "by_kind", out / PLOT_NAMES["by_kind"], "Metrics by kind")
        plots["by_kind"] = PLOT_NAMES["by_kind"]
        plot_groups(results, "by_lang", out / PLOT_NAMES["by_lang"], "Metrics by language")
        plots["by_lang"] = PLOT_NAMES["by_lang"]
        plot_latency(results, out / PLOT_NAMES["latency"])
        plots["latency"] = PLOT_NAMES["latency"]
    except ImportError as e:  # matplotlib missing: the report is still useful
        paths["plot_error"] = str(e)
    paths["plots"] = {k: out / v for k, v in plots.items()}
    atomic_write_text(paths["report"], render_markdown(results, plots, diff))
    return paths
