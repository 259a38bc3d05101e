"""The layers of the code, read from its imports: no module of engine/ or webui/ imports
itself back through others, and nothing in engine/ imports webui/.

Every import counts, a function's too (importing late hides a cycle, it does not undo
it), except two kinds: those under `if TYPE_CHECKING:`, which never run, and those in a
function of a package's __init__.py, an app factory importing the modules that import
the package (webui.create_app, as Flask's own examples do).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("engine", "webui")


def module_names(root: Path) -> dict[str, Path]:
    """Every module of the layers under `root`, by dotted name (a package by its own)."""
    found = {}
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _skipped(tree: ast.Module, package_init: bool) -> set[int]:
    """The ids of the nodes whose imports do not count."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        typing_only = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        factory = package_init and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if typing_only or factory:
            skipped |= {id(inner) for inner in ast.walk(node)}
    return skipped


def imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the layers that the module `name` at `path` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skipped = _skipped(tree, path.name == "__init__.py")
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 more
                parents = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parents, *([base] if base else [])])
            found.add(base)  # `from a import b` imports a, and a.b when b is a module
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {module for module in found if module in modules and module != name}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the layers under `root`, and the modules of the layers it imports."""
    modules = module_names(root)
    return {name: imported(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another, each sorted (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def engine_imports_of_webui(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a webui module by an engine module, as `importer -> imported`."""
    return sorted(
        f"{module} -> {other}"
        for module, others in graph.items()
        if module.split(".")[0] == "engine"
        for other in others
        if other.split(".")[0] == "webui"
    )


@pytest.fixture(scope="module")
def graph():
    return import_graph(ROOT)


def test_no_module_imports_itself_back_through_others(graph):
    assert cycles(graph) == []


def test_nothing_in_engine_imports_webui(graph):
    assert engine_imports_of_webui(graph) == []


def test_every_module_of_both_layers_is_read(graph):
    assert {"engine.cli", "engine.records.service", "webui", "webui.speedups.csrf"} <= set(graph)
    assert "engine.commands.base" in graph["engine.cli"]


# the reading itself, on small trees of its own


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_is_found_however_the_modules_import(tmp_path):
    root = write(
        tmp_path,
        {
            "engine/__init__.py": "",
            "engine/a.py": "from engine import b\n",
            "engine/b.py": "def late():\n    import engine.c\n",
            "engine/c.py": "from .a import thing\n",
            "engine/d.py": "import engine.a\n",
            "webui/__init__.py": "",
        },
    )
    assert cycles(import_graph(root)) == [["engine.a", "engine.b", "engine.c"]]


def test_typing_imports_and_an_app_factorys_do_not_count_but_engine_to_webui_does(tmp_path):
    root = write(
        tmp_path,
        {
            "engine/__init__.py": "",
            "engine/a.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from engine import b\n",
            "engine/b.py": "from engine import a\n",
            "engine/c.py": "def serve():\n    from webui import app\n",
            "webui/__init__.py": "def create_app():\n    from webui import app\n",
            "webui/app.py": "import webui\n",
        },
    )
    graph = import_graph(root)
    assert cycles(graph) == []
    assert engine_imports_of_webui(graph) == ["engine.c -> webui", "engine.c -> webui.app"]
