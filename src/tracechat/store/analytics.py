"""Questions the assistant's tools ask of one project's traces. Hot columns and the trace
index only: no span payload is read."""

from __future__ import annotations

from typing import Any

from tracechat.model.names import MODEL_OF_SPAN_SQL, SNAPSHOT_SUFFIX
from tracechat.store.cursors import DuckCursorSource
from tracechat.store.sql import AGGREGATING, MODEL_CALLS, recorded_again, reports_usage_only

_MODEL_CALLS = f"(operation IS NULL OR operation NOT IN {AGGREGATING})"


class TraceAnalytics:
    def __init__(self, store: DuckCursorSource) -> None:
        self._store = store

    def _rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        cursor = self._store.cursor().execute(query, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def errors(self, project: str, since_ns: int, limit: int) -> list[dict[str, Any]]:
        """The failed spans since then, grouped by what failed and why: a tool by the tool's
        name where one is recorded (the AI SDK names every tool's span ``ai.toolCall``),
        any other span by its name; and by the stored status message (``ingest.flatten.span_status``).
        The largest groups first, at most ``limit``; each row also says how many groups and failed
        spans there are in all (``groups_total``, ``spans_total``), so a cut list is known to be cut."""
        return self._rows(
            """
            SELECT coalesce(tool_name, name) AS name, coalesce(status_message, '') AS message, count(*) AS count,
                list(DISTINCT trace_id)[1:3] AS example_trace_ids, max(start_ns) AS last_seen_ns,
                count(*) OVER () AS groups_total, (sum(count(*)) OVER ())::BIGINT AS spans_total
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

    def usage(self, project: str, since_ns: int) -> list[dict[str, Any]]:
        """Tokens and cost of the model calls that started since then, by model; one call
        recorded by two spans counts once, as in the trace list (``sql.recorded_again``), and
        a span that only reports usage is no call (``sql.reports_usage_only``).
        By agent is ``query.service.TraceQueries.usage_by_agent``: which agent a call belongs
        to is read from the trace's tree (``spantree.attribution``), not from these columns."""
        return self._rows(
            f"""
            WITH usage AS (
                SELECT project, trace_id, span_id, parent_span_id, start_ns, end_ns, input_tokens, response_id,
                    operation IN {MODEL_CALLS} AS model_call
                FROM spans
                WHERE project = $project AND start_ns >= $since AND {_MODEL_CALLS}
                    AND (input_tokens IS NOT NULL OR response_id IS NOT NULL)
            ),
            calls AS (  -- one call recorded by two spans counts once, as in the trace list
                SELECT s.*, {MODEL_OF_SPAN_SQL} AS model
                FROM spans s
                WHERE s.project = $project AND s.start_ns >= $since
                    AND (s.operation IS NULL OR s.operation NOT IN {AGGREGATING})
                    AND (s.input_tokens IS NOT NULL OR s.output_tokens IS NOT NULL)
                    AND NOT {reports_usage_only("s")}
                    AND NOT coalesce({recorded_again("s", "usage")}, false)
            )
            SELECT model, count(*) AS calls, sum(input_tokens) AS input_tokens,
                sum(output_tokens) AS output_tokens,
                -- summed exactly (each cost to 12 places): a sum of doubles depends on its order,
                -- which the two stores' scans do not share, and the last place rounded either way
                round(sum(cost::DECIMAL(38, 12)), 6)::DOUBLE AS cost
            FROM calls WHERE model IS NOT NULL
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
            "SELECT model, count(DISTINCT trace_id) AS traces FROM (SELECT trace_id,"
            f" regexp_replace(unnest(models), '{SNAPSHOT_SUFFIX}', '') AS model FROM traces"
            " WHERE project = $project AND start_ns >= $since) GROUP BY model ORDER BY traces DESC",
            params,
        )
        tools = self._rows(
            "SELECT tool_name AS tool, count(*) AS calls FROM spans WHERE project = $project AND start_ns >= $since"
            " AND tool_name IS NOT NULL GROUP BY tool_name ORDER BY calls DESC",
            params,
        )
        return {"agents": agents, "models": models, "tools": tools}
