"""The shape of the code, checked: layers import only downward, modules stay small, and the
declared dependencies are exactly the ones the code imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import ROOT

PACKAGES = ("bot", "index", "prompts", "ui")
TOOLS = {"ruff", "mypy"}  # declared dev tools that are run, not imported
OPTIONAL = {"llama_cpp": "llama-cpp-python"}  # imported only by an optional backend (extra "llm")


def _modules(*packages: str):
    for pkg in packages:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            yield path, ast.parse(path.read_text("utf-8"))


def _imports(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> tuple[set[str], set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    name = lambda spec: _norm(re.split(r"[=<>!~\[; ]", spec, maxsplit=1)[0])  # noqa: E731
    extras = project["optional-dependencies"]
    runtime = {name(d) for d in project["dependencies"]}
    dev = {name(d) for d in extras["dev"]}
    optional = {name(d) for k, v in extras.items() if k != "dev" for d in v}
    for spec in project["dependencies"] + [d for v in extras.values() for d in v]:
        assert "==" in spec, f"not pinned exactly: {spec}"
    return runtime, dev, optional


def _third_party(tops: set[str]) -> set[str]:
    dists = packages_distributions()
    local = set(PACKAGES) | {"tests"}
    out = set()
    for top in tops - local - set(sys.stdlib_module_names):
        if top not in dists and top in OPTIONAL:
            out.add(OPTIONAL[top])  # an optional extra that is not installed here
            continue
        assert top in dists, f"imported but not installed from any distribution: {top}"
        out |= {_norm(d) for d in dists[top]}
    return out


def test_core_never_imports_the_web_layer():
    for path, tree in _modules("bot", "index"):
        for name in _imports(tree):
            assert name.split(".")[0] not in ("ui", "gradio"), f"{path.relative_to(ROOT)} imports {name}"


def test_index_imports_nothing_from_bot():
    for path, tree in _modules("index"):
        assert not any(n.split(".")[0] == "bot" for n in _imports(tree)), path


def test_no_module_over_400_lines():
    for pkg in (*PACKAGES, "tests"):
        for path in (ROOT / pkg).rglob("*.py"):
            n = len(path.read_text("utf-8").splitlines())
            assert n <= 400, f"{path.relative_to(ROOT)} has {n} lines"


def test_dependencies_are_exactly_what_the_code_imports():
    runtime, dev, optional = _declared()
    used = _third_party({n.split(".")[0] for _, tree in _modules(*PACKAGES) for n in _imports(tree)})
    used_by_tests = _third_party({n.split(".")[0] for _, tree in _modules("tests") for n in _imports(tree)})
    assert used <= runtime | optional, f"imported by the code but not declared: {sorted(used - runtime - optional)}"
    assert optional <= used, f"optional dependency never imported: {sorted(optional - used)}"
    assert runtime <= used, f"declared but never imported: {sorted(runtime - used)}"
    assert used_by_tests <= runtime | dev | optional, f"imported by tests but not declared: {sorted(used_by_tests - runtime - dev)}"
    assert dev - TOOLS <= used_by_tests, f"dev dependency never imported: {sorted(dev - TOOLS - used_by_tests)}"
