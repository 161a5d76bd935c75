"""The house is one-way: no package imports from a room above it, and no module
imports itself back through others (lazy imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# lowest first: a package may import only from the packages before it
ROOMS = ("planqa", "ingest", "retrieval", "evals", "webui", "app")


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [ROOT / "app.py", *(p for room in ROOMS[:-1] for p in (ROOT / room).rglob("*.py"))]
    return {_module(p): p for p in files}


def _imports(path: Path, module: str) -> set[str]:
    """Project modules that ``path`` imports anywhere in it (absolute or relative)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level] if path.name != "__init__.py" else module.split(".")
                base = ".".join([*package, *([base] if base else [])])
            # "from evals import metrics" depends on evals.metrics; "from evals.cases import Case" on evals.cases
            subs = {f"{base}.{alias.name}" for alias in node.names}
            known = {m for m in subs if _is_module(m)}
            out.update(known or {base})
    return {name for name in out if name.split(".")[0] in ROOMS}


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _room(module: str) -> int:
    return ROOMS.index(module.split(".")[0])


def test_no_package_imports_from_a_room_above_it() -> None:
    upward = [
        f"{module} imports {name}"
        for module, path in _sources().items()
        for name in _imports(path, module)
        if _room(name) > _room(module)
    ]
    assert upward == []


@pytest.mark.parametrize("low", ["planqa", "ingest"])
def test_the_lower_rooms_never_import_retrieval_evals_or_webui(low: str) -> None:
    offending = [
        f"{module} imports {name}"
        for module, path in _sources().items()
        if module.split(".")[0] == low
        for name in _imports(path, module)
        if name.split(".")[0] in ("retrieval", "evals", "webui", "app")
    ]
    assert offending == []


def test_there_are_no_import_circles() -> None:
    sources = _sources()
    graph = {
        module: {name if name in sources else name.rsplit(".", 1)[0] for name in _imports(path, module)} & set(sources)
        for module, path in sources.items()
    }
    for module in graph:  # a package's __init__ is not a dependency of its own modules
        graph[module].discard(module)
    cycles: list[str] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The test above can fail: an upward import in a lower room is found."""
    fake = tmp_path / "ingest" / "bad.py"
    fake.parent.mkdir()
    fake.write_text("def f():\n    from retrieval.hybrid import HybridSearcher\n", encoding="utf-8")
    assert "retrieval.hybrid" in _imports(fake, "ingest.bad")
