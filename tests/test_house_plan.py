"""The floor plan, checked from the imports: who may import whom, and that no module reaches into another's
private names. README.md's Layout section states the same rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT, missing_tool

PACKAGES = ("pipelines", "reports", "search_spaces")
FIRST_PARTY = (*PACKAGES, "runner", "tests", "benchmarks")


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, line) of each import in `path`, functions' own imports included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names]
    return found


def _first_party(module: str) -> bool:
    return module.split(".")[0] in FIRST_PARTY


def test_no_module_imports_another_module_s_private_name():
    offences = []
    for path in [*_modules(*PACKAGES, "tests", "benchmarks"), ROOT / "runner.py"]:
        tree = ast.parse(path.read_text(), str(path))
        modules = set()  # names bound to first-party modules here: `from reports import figures`
        for module, names, line in _imports(path):
            if not _first_party(module):
                continue
            offences += [
                f"{path.relative_to(ROOT)}:{line} imports {module}.{n}"
                for n in names
                if n.startswith("_") and not n.startswith("__")
            ]
            modules |= {n for n in names if (ROOT / module.replace(".", "/") / f"{n}.py").is_file()}
        offences += [
            f"{path.relative_to(ROOT)}:{node.lineno} reads {node.value.id}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ]
    assert not offences, "\n".join(offences)


def test_reports_never_imports_training_code_and_the_store_imports_neither_side():
    """pipelines -> reports -> reports/store: the reading side works without the training side, and the store
    both share (its names, opening, migrations, the trials table, objectives, errors) stands on its own."""
    wrong = [
        f"{p.relative_to(ROOT)}:{line} imports {module}"
        for p in _modules("reports")
        for module, _, line in _imports(p)
        if module.split(".")[0] in ("pipelines", "search_spaces")
    ]
    wrong += [
        f"{p.relative_to(ROOT)}:{line} imports {module}"
        for p in _modules("reports/store")
        for module, _, line in _imports(p)
        if _first_party(module) and not module.startswith("reports.store")
    ]
    wrong += [
        f"{p.relative_to(ROOT)}:{line} imports {module}"
        for p in _modules("search_spaces")
        for module, _, line in _imports(p)
        if module.split(".")[0] in ("pipelines", "reports")
    ]
    assert not wrong, "\n".join(wrong)


def test_private_apis_of_kerastuner_and_mlflow_are_touched_only_in_their_compat_modules():
    allowed = {ROOT / "pipelines" / "kerastuner_compat.py", ROOT / "reports" / "store" / "mlflow_compat.py"}
    wrong = []
    for path in [*_modules(*PACKAGES), ROOT / "runner.py"]:
        if path in allowed:
            continue
        wrong += [
            f"{path.relative_to(ROOT)}:{line} imports {module}"
            for module, _, line in _imports(path)
            if module.startswith(("keras_tuner.src", "mlflow.store", "mlflow.utils", "mlflow.server"))
        ]
    assert not wrong, "\n".join(wrong)


def test_pipelines_parts_are_folders_and_distribution_never_reaches_back_into_the_search_flow():
    assert {p.name for p in (ROOT / "pipelines").iterdir() if (p / "__init__.py").is_file()} >= {
        "data",
        "distributed",
        "tracking",
    }
    wrong = [
        f"{p.relative_to(ROOT)}:{line} imports {module}"
        for p in _modules("pipelines/distributed", "pipelines/tracking")
        for module, _, line in _imports(p)
        if module in ("pipelines.search", "pipelines.closing")
    ]
    assert not wrong, "\n".join(wrong)


def test_a_missing_system_tool_fails_on_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="missing on CI"):
        missing_tool("chromium")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        missing_tool("chromium")


def test_the_search_flow_reads_in_short_functions():
    """search.py reads open-or-resume, train, close; no function of it runs past 40 lines."""
    tree = ast.parse((ROOT / "pipelines" / "search.py").read_text())
    longest = max((n.end_lineno - n.lineno + 1, n.name) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    assert longest[0] < 40, longest
