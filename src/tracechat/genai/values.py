"""Tolerant readers for attribute values: JSON strings or structured OTLP values, truncated
JSON, redaction placeholders, numbers sent as text."""

from __future__ import annotations

import json
from typing import Any

import orjson

REDACTED = frozenset(
    {
        *("", "{}", "[]", "null", "<redacted>", "__redacted__", "[redacted]", "redacted", "readacted", "<omitted>"),
        "<elided>",  # Google ADK's log bodies without OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
    }
)
"""Placeholders instrumentations write when content capture is off (compared lowercased)."""
_PLACEHOLDER_MAX = max(map(len, REDACTED))


def is_placeholder(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    # Histories are long and asked about on every read: never lowercase a copy of one
    # (lowercasing never shortens a string, so a longer one is no placeholder).
    stripped = value.strip()
    return len(stripped) <= _PLACEHOLDER_MAX and stripped.lower() in REDACTED


def text(value: Any) -> str | None:
    """A string value that is real content, or None."""
    if value is None or is_placeholder(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return None
    return dumps(value)


def dumps(value: Any) -> str:
    """Compact JSON text of a structured value (orjson; the standard library for what orjson
    refuses, such as integers beyond 64 bits or keys that are not strings)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except (ValueError, OverflowError):  # not a number, NaN, or infinite ("INF")
            return None
    return None


def structured(value: Any) -> Any:
    """A JSON document given as a JSON string or as a structured value; None when absent,
    redacted or not JSON. Truncated JSON is closed up where that is unambiguous."""
    if value is None or is_placeholder(value):
        return None
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    return _loads(stripped)


def _loads(document: str) -> Any:
    try:
        return parse_json(document)
    except TooDeep:
        return None
    except ValueError:
        return _repair(document)


JSON_DEPTH_MAX = 1024
"""How deep a stored JSON document may nest and still be read as a structure (orjson's own
bound); deeper, readers take it as text."""
NESTING_MAX = 64
"""How deep a value a client sends through the API (feedback, chat metadata) may nest."""


class TooDeep(ValueError):
    """A JSON document nests deeper than readers follow."""


def parse_json(document: str) -> Any:
    """Strict JSON: orjson first (histories are parsed on every read, it is 3× faster), the
    standard library for what orjson refuses (NaN, Infinity). Raises ``ValueError`` (never
    ``RecursionError``: a document nested deeper than ``JSON_DEPTH_MAX`` is ``TooDeep``)."""
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError as exc:
        if too_deep_for_orjson(exc):
            raise TooDeep(f"the document is nested deeper than {JSON_DEPTH_MAX} levels") from None
    try:
        return json.loads(document)
    except RecursionError:
        raise TooDeep(f"the document is nested deeper than {JSON_DEPTH_MAX} levels") from None


def too_deep_for_orjson(error: orjson.JSONDecodeError) -> bool:
    """Whether orjson refused a document for its nesting ("depth limit exceeded")."""
    message = str(error).lower()
    return "depth limit" in message or "recursion" in message


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and dicts in ``value`` nest more than ``limit`` levels (a walk with a
    stack of its own, so any depth is safe to ask about)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def bounded_json(text: str, limit: int = NESTING_MAX) -> Any:
    """A stored JSON value read back: the structure, or the text itself when it does not
    parse or nests deeper than ``limit`` (written before the bound at entry existed)."""
    try:
        value = parse_json(text)
    except ValueError:
        return text
    return text if nested_deeper_than(value, limit) else value


def json_text(value: Any) -> str | None:
    """Arguments or results as JSON text: structures are dumped; a string stays as it is,
    unless it is itself a JSON-encoded string (``"\"18C\""``), which is unwrapped."""
    if value is None or is_placeholder(value):
        return None
    if isinstance(value, str):
        return _unquoted(value)
    if isinstance(value, (bytes, bytearray)):
        return None
    return dumps(value)


def _unquoted(value: str) -> str:
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    try:
        inner = json.loads(value)
    except ValueError:
        return value
    return inner if isinstance(inner, str) else value


def _repair(truncated: str) -> Any:
    """Close the strings and brackets a cut-off JSON document left open."""
    closers: list[str] = []
    in_string = False
    escaped = False
    for char in truncated:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            closers.append("]" if char == "[" else "}")
        elif char in "]}" and closers:
            closers.pop()
    body = truncated.rstrip("\\") if escaped else truncated
    candidates = [body + ('"' if in_string else "") + "".join(reversed(closers))]
    # a cut after a key or a comma needs the dangling piece dropped
    trimmed = body[: max(body.rfind(","), body.rfind("[") + 1, body.rfind("{") + 1)]
    candidates.append(trimmed + "".join(reversed(closers)))
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except (ValueError, RecursionError):
            continue
    return None


def flattened(attributes: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """``prefix.0.a.b = x`` style attributes as a list of nested dicts, by index."""
    items: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        if not key.startswith(prefix):
            continue
        index_text, _, rest = key[len(prefix) :].partition(".")
        if not index_text.isdigit():
            continue
        node = items.setdefault(int(index_text), {})
        if rest:
            _put(node, rest, value)
    return [items[i] for i in sorted(items)]


def _put(node: dict[str, Any], dotted: str, value: Any) -> None:
    head, _, rest = dotted.partition(".")
    if not rest:
        node[head] = value
        return
    child = node.get(head)
    if not isinstance(child, dict):
        child = {}
        node[head] = child
    _put(child, rest, value)


def indexed(node: dict[str, Any]) -> list[Any]:
    """The values of a dict keyed by decimal indexes ("0", "1", …), in order."""
    keys = sorted((int(k), k) for k in node if isinstance(k, str) and k.isdigit())
    return [node[k] for _, k in keys]
