"""A commit's span totals for the trace index computed with pyarrow
(``store.iceberg.spantotals.span_totals``) are the DuckDB query's (``traceindex.SPAN_AGGREGATES``,
the DuckDB store's rules) on any spans: here, random ones drawn from small pools so that
parents, siblings, response ids, tokens and times collide the ways the rules care about."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from tracechat.store.iceberg.spantotals import span_totals
from tracechat.store.iceberg.traceindex import SPAN_AGGREGATES

_SCHEMA = pa.schema(
    [
        ("project", pa.string()),
        ("trace_id", pa.string()),
        ("span_id", pa.string()),
        ("parent_span_id", pa.string()),
        ("name", pa.string()),
        ("start_ns", pa.int64()),
        ("end_ns", pa.int64()),
        ("status_code", pa.int32()),
        ("operation", pa.string()),
        ("agent_name", pa.string()),
        ("request_model", pa.string()),
        ("response_model", pa.string()),
        ("conversation_id", pa.string()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("cost", pa.float64()),
        ("response_id", pa.string()),
    ]
)
_OPERATIONS = ["chat", "generate_content", "responses", "invoke_agent", "chain", "execute_tool", None]


def _maybe(rng: random.Random, values: list[Any]) -> Any:
    return rng.choice([*values, None])


def _spans(rng: random.Random) -> pa.Table:
    rows = []
    for project in ["p", "q"][: rng.randint(1, 2)]:
        for trace in range(rng.randint(1, 3)):
            ids = [f"s{n}" for n in range(rng.randint(1, 12))]
            for span_id in ids:
                start = rng.randint(0, 4)
                rows.append(
                    {
                        "project": project,
                        "trace_id": f"t{trace}",
                        "span_id": span_id,
                        "parent_span_id": _maybe(rng, ids[:3]),
                        "name": rng.choice(["a", "b"]),
                        "start_ns": start,
                        "end_ns": start + rng.randint(0, 4),
                        "status_code": rng.choice([0, 1, 2]),
                        "operation": rng.choice(_OPERATIONS),
                        "agent_name": _maybe(rng, ["researcher", "writer"]),
                        "request_model": _maybe(rng, ["gpt-4o", "gemini-2.0"]),
                        "response_model": _maybe(rng, ["gpt-4o-2024-08-06", "gpt-4o", "claude@20240229"]),
                        "conversation_id": _maybe(rng, ["c1", "c2"]),
                        "input_tokens": _maybe(rng, [10, 20]),
                        "output_tokens": _maybe(rng, [1, 2]),
                        "cost": _maybe(rng, [0.5, 0.25]),  # exact in binary: sums in any order agree
                        "response_id": _maybe(rng, ["r1", "r2"]),
                    }
                )
    rng.shuffle(rows)
    return pa.Table.from_pylist(rows, schema=_SCHEMA)


def _normal(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Lists as sorted lists (their order is no part of the figures), sums as ints."""
    out = []
    for row in rows:
        *head, agents, models, conversation, ids = row
        sums = [None if v is None else (v if isinstance(v, float) else int(v)) for v in head[7:13]]
        out.append((*head[:7], *sums, sorted(agents), sorted(models), conversation, sorted(ids)))
    return sorted(out, key=repr)


@pytest.mark.parametrize("seed", range(200))
def test_span_totals_are_the_duckdb_querys(seed: int) -> None:
    spans = _spans(random.Random(seed))
    with duckdb.connect(":memory:") as duck:
        duck.register("new_spans", spans)
        expected = duck.execute(SPAN_AGGREGATES).fetchall()

    assert _normal(span_totals(spans)) == _normal(expected)


def test_a_model_call_recorded_again_is_counted_once() -> None:
    """The rule the random spans exercise, once by hand: a chat span below a chat span naming
    the same response adds no tokens; an agent's sums are its own."""
    spans = pa.Table.from_pylist(
        [
            {**_base("root", None, "invoke_agent"), "input_tokens": 100},
            {**_base("outer", "root", "chat"), "input_tokens": 10, "response_id": "r"},
            {**_base("inner", "outer", "chat"), "input_tokens": 10, "response_id": "r"},
        ],
        schema=_SCHEMA,
    )

    [row] = span_totals(spans)

    assert row[7] == 10  # input tokens counted: the outer call's only
    assert row[9] == 100  # the agent's own sum


def _base(span_id: str, parent: str | None, operation: str) -> dict[str, Any]:
    return {
        "project": "p",
        "trace_id": "t",
        "span_id": span_id,
        "parent_span_id": parent,
        "name": span_id,
        "start_ns": 0,
        "end_ns": 10,
        "status_code": 0,
        "operation": operation,
        "request_model": "gpt-4o",
    }
