"""The span tree of a trace, in reading order.

Spans whose parent never arrived become roots of their own (nothing is dropped). Siblings
are read in start order; at equal starts the enclosing (later-ending) span comes first; the
span id breaks ties so the order is stable. A child that starts before its parent (clock
skew between processes) stays under its parent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tracechat.genai.types import Kind, SpanFacts

MAX_DEPTH = 256


@dataclass(slots=True)
class Node:
    facts: SpanFacts
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None

    def descendants(self) -> Iterator[Node]:
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def first_descendant(self, kind: Kind) -> Node | None:
        return next((n for n in self.descendants() if n.facts.kind is kind), None)

    def has_ancestor(self, kind: Kind) -> bool:
        node = self.parent
        while node is not None:
            if node.facts.kind is kind:
                return True
            node = node.parent
        return False


def _order(node: Node) -> tuple[int, int, str]:
    return (node.facts.start_ns, -node.facts.end_ns, node.facts.span_id)


def build_tree(spans: list[SpanFacts]) -> list[Node]:
    """Roots of the trace in reading order, each with its children ordered."""
    nodes = {s.span_id: Node(s) for s in spans}
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.facts.parent_span_id or "")
        if parent is None or parent is node or _would_cycle(node, parent):
            roots.append(node)
        else:
            node.parent = parent
            parent.children.append(node)
    for node in nodes.values():
        node.children.sort(key=_order)
    roots.sort(key=_order)
    return roots


def _would_cycle(node: Node, parent: Node) -> bool:
    seen = 0
    ancestor: Node | None = parent
    while ancestor is not None and seen < MAX_DEPTH:
        if ancestor is node:
            return True
        ancestor = ancestor.parent
        seen += 1
    return False


def walk(roots: list[Node]) -> Iterator[tuple[Node, bool]]:
    """Depth-first, yielding ``(node, True)`` on entering and ``(node, False)`` on leaving.
    Iterative, so a deep (or hostile) trace cannot exhaust the stack."""
    stack: list[tuple[Node, bool]] = [(root, True) for root in reversed(roots)]
    while stack:
        node, entering = stack.pop()
        yield node, entering
        if entering:
            stack.append((node, False))
            stack.extend((child, True) for child in reversed(node.children))
