"""Thin layers (DESIGN.md): ingest and query share the span tree and the agent rule
(``spantree``); ingest imports nothing of the read side, and ``spantree`` nothing of either
layer or of storage. (Query reads stored payloads with ingest's pure codec,
``ingest.codec``: that direction is allowed.)
Read from the source's import statements, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tracechat

PACKAGE = Path(tracechat.__file__).parent
FORBIDDEN = {
    "ingest": ("tracechat.query", "tracechat.api", "tracechat.chat"),
    "spantree": ("tracechat.query", "tracechat.ingest", "tracechat.store", "tracechat.api", "tracechat.chat"),
}


def imported(path: Path) -> set[str]:
    """Every module an import statement in ``path`` names (``from x import y``: ``x`` and
    ``x.y``, since ``y`` may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def crossings(layer: str) -> list[str]:
    return sorted(
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / layer).rglob("*.py")
        for name in imported(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer])
    )


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_no_module_of_the_layers_it_must_not_know(layer: str) -> None:
    assert (PACKAGE / layer).is_dir()
    assert crossings(layer) == []


def test_the_walk_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from tracechat.query import reader\n    import tracechat.query.tree\n")
    assert {"tracechat.query", "tracechat.query.reader", "tracechat.query.tree"} <= imported(module)
