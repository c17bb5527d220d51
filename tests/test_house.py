"""The house rules, checked by tools: layer contracts (import-linter), style (ruff), module size,
imports at module top."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("rag", "ui", "eval")
MAX_LINES = 500
MAX_LOCAL_OWN_IMPORTS = 12


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed (it is in the test extra: pip install -e '.[test]')")
    return found


def _py_files():
    for pkg in PACKAGES:
        yield from sorted((REPO / pkg).rglob("*.py"))


def test_import_contracts_hold():
    r = subprocess.run([_tool("lint-imports")], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_ruff_check_and_format_are_clean():
    ruff = _tool("ruff")
    r = subprocess.run([ruff, "check", "."], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:]
    r = subprocess.run([ruff, "format", "--check", "."], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:]


def test_no_module_over_500_lines():
    big = {str(p.relative_to(REPO)): n for p in _py_files() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def _own_local_imports() -> list[str]:
    found = []
    for p in _py_files():
        tree = ast.parse(p.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for sub in ast.walk(node):
                own = (
                    isinstance(sub, ast.ImportFrom) and (sub.level > 0 or (sub.module or "").split(".")[0] in PACKAGES)
                ) or (isinstance(sub, ast.Import) and any(a.name.split(".")[0] in PACKAGES for a in sub.names))
                if own:
                    found.append(f"{p.relative_to(REPO)}:{sub.lineno}: {ast.unparse(sub)}")
    return sorted(set(found))


def test_imports_of_own_modules_are_at_module_top():
    local = _own_local_imports()
    assert len(local) <= MAX_LOCAL_OWN_IMPORTS, "\n".join(local)


def test_the_checker_sees_a_function_local_import():
    """The counter above must be able to fail: a planted local import is found."""
    planted = REPO / "rag" / "_planted_local_import_probe.py"
    planted.write_text("def f():\n    from rag.schema import Hit\n    return Hit\n")
    try:
        assert any("_planted_local_import_probe" in x for x in _own_local_imports())
    finally:
        planted.unlink()
