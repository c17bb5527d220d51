"""CI gate: the dev question set, run through the real ask path, must not regress against its baseline."""

from __future__ import annotations

from pathlib import Path

from rag.cli import main
from tests.conftest import REPO, needs_shared

DEV = REPO / "eval" / "questions" / "dev.jsonl"
BASELINE = REPO / "eval" / "baselines" / "dev.json"


@needs_shared
def test_dev_set_does_not_regress(indexed_settings, tmp_path: Path) -> None:
    code = main(
        [
            "--data-dir",
            str(indexed_settings.data_dir),
            "eval",
            str(DEV),
            "--baseline",
            str(BASELINE),
            "--out",
            str(tmp_path / "dev"),
            "--quiet",
        ]
    )
    report = (tmp_path / "dev" / "report.md").read_text(encoding="utf-8")
    assert code == 0, report[:4000]
