"""The package's import structure: `import evogan` stays light, and no module imports another
that imports it back."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_evogan_does_not_import_torch_numba_or_matplotlib():
    code = ("import sys, evogan; from evogan.registry import available_algorithms; "
            "available_algorithms(); print(sorted({'torch', 'numba', 'matplotlib'} & "
            "set(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def _modules() -> dict[str, Path]:
    """evogan's module names -> files (the `problems/` folder installs as evogan.problems)."""
    modules = {}
    for package, folder in (("evogan", ROOT / "evogan"), ("evogan.problems", ROOT / "problems")):
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            modules[".".join((package, *parts))] = path
    return modules


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The evogan modules a file imports anywhere in it (functions included: a cycle through a
    function-level import is still a cycle of responsibilities)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evogan"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in modules}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_package_is_installed():
    """pyproject.toml lists the packages (evogan.problems is the top-level `problems/` folder, which
    setuptools' discovery cannot map), so a new sub-package must be added there: this says so.
    The data folders under problems/data are listed too (setuptools warns about folders it could
    import but is not told about)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(("evogan", *init.parent.relative_to(ROOT / "evogan").parts))
             for init in (ROOT / "evogan").rglob("__init__.py")}
    data = {"evogan.problems.data", *(f"evogan.problems.data.{folder.name}" for folder
                                      in (ROOT / "problems" / "data").iterdir() if folder.is_dir())}
    assert listed == found | {"evogan.problems"} | data
def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert _cycles(graph) == []
