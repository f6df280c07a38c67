"""The package layout is the data flow: no import cycle, and no layer imports one above it.

The graph is read from the source (every `import`, at module level, inside functions and
under TYPE_CHECKING alike), so a deferred import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Bottom to top. A module may import its own package and any package of a lower rank.
LAYERS: dict[str, int] = {
    "realtime.core": 0,
    "realtime.analysis": 1,
    "realtime.sources": 2, "realtime.models": 2, "cues": 2,
    "realtime.record": 3,
    "realtime.pipeline": 4,
    "realtime.outputs": 5, "realtime.report": 5,
    "realtime.apps": 6,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for top in ("realtime", "cues"):
        for path in sorted((ROOT / top).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """The project's modules that `path` imports (absolute or relative)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported(path, name, set(found)) for name, path in found.items()}


def layer_of(name: str) -> str | None:
    matches = [layer for layer in LAYERS if name == layer or name.startswith(layer + ".")]
    return max(matches, key=len) if matches else None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_module_sits_in_a_layer():
    packages = {"realtime", "cues"}
    assert [m for m in modules() if m not in packages and layer_of(m) is None] == []


def test_the_import_graph_has_no_cycle():
    assert cycles(graph()) == []


def test_no_layer_imports_one_above_it_or_beside_it():
    wrong = []
    for name, targets in graph().items():
        here = layer_of(name)
        for target in targets:
            there = layer_of(target)
            if here is None or there is None or here == there:
                continue
            if LAYERS[there] >= LAYERS[here]:
                wrong.append(f"{name} ({here}) imports {target} ({there})")
    assert wrong == []


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path):
    """The checks above can fail: a made-up graph with a cycle and a layer inversion."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("realtime.analysis.gait") == "realtime.analysis"
    source = tmp_path / "realtime" / "analysis" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from realtime.apps.cli import main\n")
    known = {"realtime.apps.cli", "realtime.analysis.x"}
    assert imported(source, "realtime.analysis.x", known) == {"realtime.apps.cli"}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_every_layer_is_a_package_with_a_docstring(layer):
    init = ROOT.joinpath(*layer.split("."), "__init__.py")
    assert ast.get_docstring(ast.parse(init.read_text()))
