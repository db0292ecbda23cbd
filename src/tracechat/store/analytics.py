"""Questions the assistant's tools ask of one project's traces. Hot columns and the trace
index only: no span payload is read."""

from __future__ import annotations

from typing import Any

from tracechat.store.duck import DuckDBStore
from tracechat.store.sql import AGGREGATING_OPERATIONS

_MODEL_CALLS = "(operation IS NULL OR operation NOT IN (" + ", ".join(f"'{op}'" for op in AGGREGATING_OPERATIONS) + "))"


class TraceAnalytics:
    def __init__(self, store: DuckDBStore) -> None:
        self._store = store

    def _rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        cursor = self._store.cursor().execute(query, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def errors(self, project: str, since_ns: int, limit: int) -> list[dict[str, Any]]:
        return self._rows(
            """
            SELECT name AS span_name, coalesce(status_message, '') AS message, count(*) AS count,
                list(DISTINCT trace_id)[1:3] AS example_trace_ids, max(start_ns) AS last_seen_ns
            FROM spans WHERE project = $project AND status_code = 2 AND start_ns >= $since
            GROUP BY ALL ORDER BY count DESC, last_seen_ns DESC LIMIT $limit
            """,
            {"project": project, "since": since_ns, "limit": limit},
        )

    def slowest_spans(self, project: str, since_ns: int, limit: int) -> list[dict[str, Any]]:
        return self._rows(
            """
            SELECT trace_id, span_id, name AS span_name, operation, agent_name,
                (end_ns - start_ns) // 1000000 AS duration_ms
            FROM spans WHERE project = $project AND start_ns >= $since
            ORDER BY end_ns - start_ns DESC LIMIT $limit
            """,
            {"project": project, "since": since_ns, "limit": limit},
        )

    def slowest_traces(self, project: str, since_ns: int, limit: int) -> list[dict[str, Any]]:
        return self._rows(
            """
            SELECT trace_id, root.name AS root_span_name, (end_ns - start_ns) // 1000000 AS duration_ms,
                span_count, has_error
            FROM traces WHERE project = $project AND span_count > 0 AND start_ns >= $since
            ORDER BY end_ns - start_ns DESC LIMIT $limit
            """,
            {"project": project, "since": since_ns, "limit": limit},
        )

    def usage(self, project: str, since_ns: int, group_by: str) -> list[dict[str, Any]]:
        column = {"model": "coalesce(response_model, request_model)", "agent": "agent_name"}[group_by]
        return self._rows(
            f"""
            SELECT {column} AS {group_by}, count(*) AS calls, sum(input_tokens) AS input_tokens,
                sum(output_tokens) AS output_tokens, round(sum(cost), 6) AS cost
            FROM spans
            WHERE project = $project AND start_ns >= $since AND {_MODEL_CALLS}
                AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL) AND {column} IS NOT NULL
            GROUP BY ALL ORDER BY coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) DESC
            """,
            {"project": project, "since": since_ns},
        )

    def traces_with_tool(self, project: str, tool: str, since_ns: int, limit: int) -> list[str]:
        rows = self._rows(
            "SELECT DISTINCT trace_id, max(start_ns) AS last FROM spans WHERE project = $project AND tool_name = $tool"
            " AND start_ns >= $since GROUP BY trace_id ORDER BY last DESC LIMIT $limit",
            {"project": project, "tool": tool, "since": since_ns, "limit": limit},
        )
        return [row["trace_id"] for row in rows]

    def catalog(self, project: str, since_ns: int) -> dict[str, list[dict[str, Any]]]:
        params = {"project": project, "since": since_ns}
        agents = self._rows(
            "SELECT agent, count(*) AS traces FROM (SELECT unnest(agents) AS agent FROM traces"
            " WHERE project = $project AND start_ns >= $since) GROUP BY agent ORDER BY traces DESC",
            params,
        )
        models = self._rows(
            "SELECT model, count(*) AS traces FROM (SELECT unnest(models) AS model FROM traces"
            " WHERE project = $project AND start_ns >= $since) GROUP BY model ORDER BY traces DESC",
            params,
        )
        tools = self._rows(
            "SELECT tool_name AS tool, count(*) AS calls FROM spans WHERE project = $project AND start_ns >= $since"
            " AND tool_name IS NOT NULL GROUP BY tool_name ORDER BY calls DESC",
            params,
        )
        return {"agents": agents, "models": models, "tools": tools}
