"""Layers point one way: the pipeline package `clio` never imports the evaluation harness (`evals`)
or the report writers (`reports`); only the command line (`clio/cli.py`) wires them in."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WIRING = {ROOT / "clio" / "cli.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):  # nested (lazy) imports count as much as top-level ones
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "clio").rglob("*.py") if p not in WIRING), ids=lambda p: str(p.relative_to(ROOT)))
def test_pipeline_never_imports_evals_or_reports(path):
    assert not _imports(path) & {"evals", "reports", "benchmarks", "synthetic"}, path


def test_the_check_sees_imports():
    assert {"evals", "reports"} <= _imports(ROOT / "clio" / "cli.py")
