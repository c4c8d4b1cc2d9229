"""The shape of the code: one-way imports, short functions, no code read from data."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("spikerules", "models", "rules", "analysis", "figures")

#: what each package may import from the suite (data flows one way: shared/DESIGN.md)
ALLOWED = {
    "spikerules": {"spikerules", "models", "rules", "analysis", "figures"},
    "figures": {"figures", "analysis"},
    "models": {"models", "rules", "analysis"},
    "rules": {"rules"},
    "analysis": {"analysis"},
}

#: reviewed uses of pickle: the CIFAR-10 reader resolves only NumPy's array constructors
PICKLE_EXCEPTIONS = {"analysis/datasets.py"}


def _modules(*packages):
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def _imports(path):
    """Top-level names of the suite's packages that ``path`` imports (module paths)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_flow_one_way(package):
    for path in _modules(package):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in PACKAGES:
                assert top in ALLOWED[package], f"{path.relative_to(ROOT)} imports {name}"


def test_no_model_imports_another_model():
    for path in _modules("models"):
        parts = path.relative_to(ROOT / "models").parts
        own = parts[0] if len(parts) > 1 else None
        for name in _imports(path):
            pieces = name.split(".")
            if pieces[0] == "models" and len(pieces) > 1 and pieces[1] != "common":
                assert pieces[1] == own, f"{path.relative_to(ROOT)} imports {name}"


def test_every_model_is_a_package_of_the_same_shape():
    packages = [p for p in (ROOT / "models").iterdir()
                if p.is_dir() and p.name not in ("common", "__pycache__")]
    assert len(packages) >= 7
    for package in packages:
        files = {f.name for f in package.glob("*.py")}
        assert {"__init__.py", "params.py", "network.py"} <= files, package.name
        assert "MODELS" in (package / "__init__.py").read_text(), package.name
    assert not [p.name for p in (ROOT / "models").glob("*.py") if p.name != "__init__.py"]


def test_no_function_under_models_is_longer_than_80_lines():
    long = []
    for path in _modules("models"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 80:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} "
                                f"({length} lines)")
    assert not long, long


def test_nothing_evaluates_text_or_unpickles_data():
    """No eval, exec, pickle or allow_pickle=True in the suite's packages (issue 18), apart
    from the reviewed exception above."""
    pattern = re.compile(r"\b(eval|exec)\s*\(|\bpickle\b|allow_pickle\s*=\s*True")
    found = []
    for path in _modules(*PACKAGES, "examples"):
        relative = path.relative_to(ROOT).as_posix()
        for k, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if pattern.search(code) and relative not in PICKLE_EXCEPTIONS:
                found.append(f"{relative}:{k}: {line.strip()}")
    assert not found, found
