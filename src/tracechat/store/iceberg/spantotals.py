"""What a commit's new spans add to each trace's index row, computed with pyarrow: the same
figures as ``traceindex.SPAN_AGGREGATES`` (the DuckDB store's own rules, ``store.sql``), rows
of the same shape, without a DuckDB query per commit.

That query cost the writer thread ~10 ms a commit whatever its size (its plan: two
correlated ``EXISTS`` for the model calls recorded again, a dozen aggregates), 9.6 µs/span of
a ~3,000-span commit in ``bench/iceberg_commit.py``; a pyarrow group-by of the same totals
takes about 1 ms. ``tests/unit/test_iceberg_spantotals.py`` holds the two to each other.

The model calls recorded again (``sql.recorded_again``) are found in Python over the spans
that carry usage only, each looked up by its parent and its siblings by response id and by
input tokens, so a commit costs a dict lookup or two per such span.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from tracechat.genai.kinds import MODEL_CALL_OPERATIONS
from tracechat.model.names import SNAPSHOT_SUFFIX
from tracechat.store.sql import AGGREGATING_OPERATIONS

_AGGREGATING = pa.array(AGGREGATING_OPERATIONS, pa.string())
_MODEL_CALLS = frozenset(MODEL_CALL_OPERATIONS)
_KEYS = ["project", "trace_id"]


class _Usage(NamedTuple):
    """A span with usage, as ``_inside_call`` compares it (the columns of the same names)."""

    operation: str | None
    project: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    start_ns: int
    end_ns: int
    input_tokens: int | None
    response_id: str | None


def span_totals(spans: pa.Table) -> list[tuple[Any, ...]]:
    """Per trace of ``spans`` (the span rows, payloads or not): project, trace id, first start,
    last end, span count, the root candidate (a dict), whether any span failed, input and
    output tokens and cost counted (agents' sums, calls recorded again and usage-only
    reports left out), the agents' sums of the three, the agents, the models, the least
    conversation id and the span ids — ``SPAN_AGGREGATES``' columns, in its order."""
    if not spans.num_rows:
        return []
    operation = spans.column("operation")
    aggregating = pc.fill_null(pc.is_in(operation, value_set=_AGGREGATING), False)
    usage_only = pc.and_(pc.is_null(operation), pc.is_null(spans.column("request_model")))
    inside = pa.array(_inside_call(spans, aggregating), pa.bool_())
    counted = pc.and_(pc.and_(pc.invert(aggregating), pc.invert(inside)), pc.invert(usage_only))
    model = pc.replace_substring_regex(
        pc.coalesce(spans.column("response_model"), spans.column("request_model")),
        SNAPSHOT_SUFFIX,
        "",
        max_replacements=1,
    )

    def only(mask: pa.Array, column: str) -> pa.ChunkedArray | pa.Array:
        values = spans.column(column)
        return pc.if_else(mask, values, pa.scalar(None, values.type))

    table = pa.table(
        {
            "project": spans.column("project"),
            "trace_id": spans.column("trace_id"),
            "start_ns": spans.column("start_ns"),
            "end_ns": spans.column("end_ns"),
            "span_id": spans.column("span_id"),
            "error": pc.equal(spans.column("status_code"), 2),
            "tin": only(counted, "input_tokens"),
            "tout": only(counted, "output_tokens"),
            "ain": only(aggregating, "input_tokens"),
            "aout": only(aggregating, "output_tokens"),
            "cost": only(counted, "cost"),
            "acost": only(aggregating, "cost"),
            "agent": spans.column("agent_name"),
            "model": model,
            "conversation": spans.column("conversation_id"),
        }
    )
    valid = pc.CountOptions(mode="only_valid")
    totals = table.group_by(_KEYS, use_threads=False).aggregate(
        [
            ("start_ns", "min"),
            ("end_ns", "max"),
            ("span_id", "count"),
            ("error", "any"),
            ("tin", "sum", pc.ScalarAggregateOptions(min_count=1)),
            ("tout", "sum", pc.ScalarAggregateOptions(min_count=1)),
            ("ain", "sum", pc.ScalarAggregateOptions(min_count=1)),
            ("aout", "sum", pc.ScalarAggregateOptions(min_count=1)),
            ("cost", "sum", pc.ScalarAggregateOptions(min_count=1)),
            ("acost", "sum", pc.ScalarAggregateOptions(min_count=1)),
            ("agent", "distinct", valid),
            ("model", "distinct", valid),
            ("conversation", "min"),
            ("span_id", "list"),
        ]
    )
    roots = _roots(spans)
    columns = [totals.column(i).to_pylist() for i in range(totals.num_columns)]
    names = totals.column_names
    at = {name: number for number, name in enumerate(names)}
    found = []
    for number in range(totals.num_rows):
        key = (columns[at["project"]][number], columns[at["trace_id"]][number])
        found.append(
            (
                *key,
                *(columns[at[name]][number] for name in ("start_ns_min", "end_ns_max", "span_id_count")),
                roots[key],
                columns[at["error_any"]][number],
                *(
                    columns[at[name]][number]
                    for name in ("tin_sum", "tout_sum", "ain_sum", "aout_sum", "cost_sum", "acost_sum")
                ),
                columns[at["agent_distinct"]][number] or [],
                columns[at["model_distinct"]][number] or [],
                columns[at["conversation_min"]][number],
                columns[at["span_id_list"]][number],
            )
        )
    return found


def _roots(spans: pa.Table) -> dict[tuple[str, str], dict[str, Any]]:
    """Per trace, the least of (has a parent, start, name, span id, end) over its spans."""
    has_parent = pc.is_valid(spans.column("parent_span_id"))
    keyed = pa.table(
        {
            "project": spans.column("project"),
            "trace_id": spans.column("trace_id"),
            "has_parent": has_parent,
            "start_ns": spans.column("start_ns"),
            "name": spans.column("name"),
            "span_id": spans.column("span_id"),
            "end_ns": spans.column("end_ns"),
        }
    )
    ordered = keyed.take(pc.sort_indices(keyed, sort_keys=[(name, "ascending") for name in keyed.column_names]))
    # each trace's first row: where (project, trace id) differs from the row before
    first: pa.Array | None = None
    for name in _KEYS:
        values = ordered.column(name).combine_chunks()
        changed = pc.not_equal(values.slice(1), values.slice(0, len(values) - 1))
        first = changed if first is None else pc.or_(first, changed)
    assert first is not None
    first = pa.concat_arrays([pa.array([True], pa.bool_()), first])
    roots: dict[tuple[str, str], dict[str, Any]] = {}
    for row in ordered.filter(first).to_pylist():
        roots[(row.pop("project"), row.pop("trace_id"))] = row
    return roots


def _inside_call(spans: pa.Table, aggregating: pa.Array | pa.ChunkedArray) -> list[bool]:
    """Per span, whether its usage is another span's, counted already: a model call (or a span
    of no operation) that ``sql.recorded_again`` finds recorded again, over the spans with
    usage that are not an agent's sums."""
    inside = [False] * spans.num_rows
    has_usage = pc.or_(pc.is_valid(spans.column("input_tokens")), pc.is_valid(spans.column("response_id")))
    candidate = pc.and_(has_usage, pc.invert(aggregating))
    positions = pc.indices_nonzero(candidate).to_pylist()
    if not positions:
        return inside
    chosen = spans.select(list(_Usage._fields)).take(pa.array(positions, pa.int64()))
    rows = [_Usage(*row) for row in zip(*(chosen.column(name).to_pylist() for name in _Usage._fields), strict=True)]
    by_id: dict[tuple[str, str, str], _Usage] = {}
    by_response: dict[tuple[Any, ...], list[_Usage]] = defaultdict(list)
    by_tokens: dict[tuple[Any, ...], list[_Usage]] = defaultdict(list)
    for row in rows:
        by_id[(row.project, row.trace_id, row.span_id)] = row
        if row.operation in _MODEL_CALLS:
            if row.response_id is not None:
                by_response[(row.project, row.trace_id, row.parent_span_id, row.response_id)].append(row)
            if row.input_tokens is not None:
                by_tokens[(row.project, row.trace_id, row.parent_span_id, row.input_tokens)].append(row)
    for position, row in zip(positions, rows, strict=True):
        # A span of no operation is "inside" too where the rule holds: in SQL its
        # ``operation IN (…)`` is NULL, so ``inside_call`` is NULL and its usage not counted.
        if row.operation is not None and row.operation not in _MODEL_CALLS:
            continue
        trace, parent = (row.project, row.trace_id), row.parent_span_id
        inside[position] = _below_the_same(by_id.get((*trace, parent)) if parent is not None else None, row)
        if inside[position]:
            continue
        siblings = by_response.get((*trace, parent, row.response_id)) if row.response_id is not None else None
        if siblings is not None and siblings != [row]:  # (the span alone: no sibling)
            inside[position] = any(
                c.span_id != row.span_id
                and (c.start_ns, -c.end_ns, c.span_id) < (row.start_ns, -row.end_ns, row.span_id)
                for c in siblings
            )
        siblings = by_tokens.get((*trace, parent, row.input_tokens)) if row.input_tokens is not None else None
        if not inside[position] and siblings is not None and siblings != [row]:
            inside[position] = any(
                c.span_id != row.span_id
                and (c.response_id is None or row.response_id is None)
                and c.start_ns <= row.start_ns
                and c.end_ns >= row.end_ns
                and (c.start_ns < row.start_ns or c.end_ns > row.end_ns or c.span_id < row.span_id)
                for c in siblings
            )
    return inside


def _below_the_same(parent: _Usage | None, row: _Usage) -> bool:
    """Whether the span's parent, a span with usage, names its response, or (where the two do
    not both name one) the same input tokens."""
    if parent is None:
        return False
    if row.response_id is not None and parent.response_id == row.response_id:
        return True
    return (
        (parent.response_id is None or row.response_id is None)
        and row.input_tokens is not None
        and parent.input_tokens == row.input_tokens
    )
