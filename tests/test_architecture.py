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


# --------------------------------------------------------------------------- private names stay home
PACKAGES = ("clio", "evals", "reports", "synthetic")
SOURCES = sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))
NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_uses_from_elsewhere(source: str, me: str) -> list[str]:
    """Private names module `me` uses but does not define: `from other import _x`, and `obj._x`
    where no code of this module defines `_x` (a function, class, assignment or attribute store)."""
    tree = ast.parse(source)
    defined: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES and node.module != me:
            found += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names if _private(a.name)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in NAMEDTUPLE_API and node.attr not in defined:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_uses_another_modules_private_names(path):
    assert private_uses_from_elsewhere(path.read_text(encoding="utf-8"), _module_name(path)) == [], path


def test_the_private_name_check_sees_both_forms_and_allows_own_names():
    probe = (
        "from clio.facets import _hidden\nfrom clio.probe import _mine\nimport clio.llm.gateway as g\n\n"
        "class C:\n    def __init__(self):\n        self._own = 1\n\ndef f(gw, c):\n    return gw._retry_later(), g._x, c._own, c._replace()\n"
    )
    uses = [use.split(": ", 1)[1] for use in private_uses_from_elsewhere(probe, "clio.probe")]
    assert sorted(uses) == sorted(["from clio.facets import _hidden", "gw._retry_later", "g._x"])


def test_the_import_graph_in_docs_is_current():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(ROOT / "docs" / "import_graph.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
