"""The statements of one group commit, kept apart from the code that runs them."""

from __future__ import annotations

from tracechat.genai.kinds import MODEL_CALL_OPERATIONS
from tracechat.model.names import MODEL_OF_SPAN_SQL

# Spans that sum their children's usage; their tokens are kept apart so totals don't double.
AGGREGATING_OPERATIONS = (
    "invoke_agent",
    "create_agent",
    "invoke_workflow",
    "chain",
    "task",
    "agent_step",
)


def in_list(values: tuple[str, ...]) -> str:
    """An SQL list literal of fixed names (operation names, never user input): ``('a', 'b')``."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


AGGREGATING = in_list(AGGREGATING_OPERATIONS)
MODEL_CALLS = in_list(MODEL_CALL_OPERATIONS)


def _add(column: str) -> str:
    # NULL + NULL stays NULL (nothing reported); otherwise a missing side counts as zero.
    return (
        f"{column} = CASE WHEN traces.{column} IS NULL AND excluded.{column} IS NULL THEN NULL "
        f"ELSE coalesce(traces.{column}, 0) + coalesce(excluded.{column}, 0) END"
    )


BEFORE_INSERT = """
SELECT
    (SELECT min(t.first_batch) FROM traces t
     SEMI JOIN staged_spans n ON t.project = n.project AND t.trace_id = n.trace_id),
    (SELECT count(*) <> count(DISTINCT (project, trace_id, span_id)) FROM staged_spans)
"""
"""The first batch holding any of the staged traces (None: all are new) and whether the
staged spans repeat one another; together they say how much deduplication the insert needs."""


def insert_spans(columns: str, *, skip_stored: bool, dedupe_batch: bool) -> str:
    """Append the staged spans; optionally leave out spans stored already or repeated in the batch."""
    source = "staged_spans n"
    if skip_stored:
        source += (
            " ANTI JOIN (SELECT project, trace_id, span_id FROM spans WHERE batch >= $since) s"
            " ON n.project = s.project AND n.trace_id = s.trace_id AND n.span_id = s.span_id"
        )
    qualify = " QUALIFY row_number() OVER (PARTITION BY n.project, n.trace_id, n.span_id) = 1" if dedupe_batch else ""
    selected = ", ".join(f"n.{c.strip()}" for c in columns.split(","))
    # by name: a file migrated from schema 4 has ``response_id`` last, a new one too, but the
    # staged rows keep it beside the other promoted attributes
    return f"INSERT INTO spans (batch, {columns}) SELECT $batch, {selected} FROM {source}{qualify}"


BEFORE_LOG_INSERT = """
SELECT
    (SELECT min(t.first_batch) FROM traces t
     SEMI JOIN staged_logs n ON t.project = n.project AND t.trace_id = n.trace_id),
    (SELECT count(*) <> count(DISTINCT (project, trace_id, scope_id, raw)) FROM staged_logs),
    (SELECT min(time_ns) FROM staged_logs),
    (SELECT max(time_ns) FROM staged_logs),
    (SELECT [min(time_ns), max(time_ns), min(observed_ns), max(observed_ns)]
     FROM staged_logs WHERE trace_id IS NULL)
"""
"""As ``BEFORE_INSERT``, for the staged log records (a record is one by ``LOG_IDENTITY``), and
their time range: a record sent again has its time, so only stored records in that range
are compared (row groups outside it are skipped by their ``time_ns`` statistics); and the
time and observed-time ranges of the records naming no trace (NULLs: there are none), which
are compared with the stored records of no trace in both ranges (their ``time_ns`` is often
0, unset; ``observed_ns``, set by the SDK, is not, and grows as they are committed)."""

LOG_IDENTITY = ("project", "trace_id", "scope_id", "raw")
"""What makes a log record one (OTLP gives it no id): its project, trace, resource and scope
(``scope_id``, their digest) and its own protobuf encoding, which holds every field of it
(span id, times, severity, body, attributes, flags, event name). An exporter's retry sends
the same bytes."""


def insert_logs(columns: str, *, skip_stored: bool, skip_traceless: bool, dedupe_batch: bool) -> str:
    """Append the staged log records; optionally leave out the records of known traces stored
    already since ``$since`` (``skip_stored``), the records of no trace stored already within
    their time ranges (``skip_traceless``: ``$tl_low``..``$tl_high`` and ``$ol_low``..``$ol_high``)
    and records repeated in the batch."""
    source = "staged_logs n"
    same = " AND ".join(f"n.{c} = s.{c}" for c in LOG_IDENTITY)
    if skip_stored:
        source += (
            f" ANTI JOIN (SELECT {', '.join(LOG_IDENTITY)} FROM logs WHERE batch >= $since"
            " AND time_ns BETWEEN $low AND $high AND trace_id IS NOT NULL) s"
            f" ON {same}"
        )
    if skip_traceless:
        source += (
            " ANTI JOIN (SELECT project, scope_id, raw FROM logs WHERE trace_id IS NULL"
            " AND time_ns BETWEEN $tl_low AND $tl_high AND observed_ns BETWEEN $ol_low AND $ol_high) u"
            " ON n.trace_id IS NULL AND n.project = u.project AND n.scope_id = u.scope_id AND n.raw = u.raw"
        )
    partition = ", ".join(f"n.{c}" for c in LOG_IDENTITY)
    qualify = f" QUALIFY row_number() OVER (PARTITION BY {partition}) = 1" if dedupe_batch else ""
    selected = ", ".join(f"n.{c.strip()}" for c in columns.split(","))
    return f"INSERT INTO logs SELECT $batch, {selected} FROM {source}{qualify}"


BATCH_SPAN_KEYS = "SELECT project, trace_id, span_id FROM spans WHERE batch = $batch"
BATCH_LOG_KEYS = f"SELECT {', '.join(LOG_IDENTITY)} FROM logs WHERE batch = $batch"
"""The keys of what one commit stored (``staging.stored_counts``, when it left some out)."""


def recorded_again(span: str, usage: str) -> str:
    """Whether ``span`` (a table alias) is a model call that another span already counted
    (spantree/tree.py ``records_again``, the trajectory's same rule): a model call with the same
    response id as its parent or as a sibling that comes first (double instrumentation names
    the provider's one response twice); or, where the two do not both name a response, below
    a span with the same input tokens (ADK's ``call_llm`` over ``generate_content``) or within
    a sibling model call's time with the same input tokens. Two calls that name different
    responses are two calls, whatever their tokens (parallel calls with equal prompts).
    ``usage`` is a relation of the candidate spans with usage (``project, trace_id, span_id,
    parent_span_id, start_ns, end_ns, input_tokens, response_id, model_call``), agents' sums
    left out."""
    s, c = span, "c"
    unnamed = f"({c}.response_id IS NULL OR {s}.response_id IS NULL)"
    same = f"{c}.response_id = {s}.response_id"
    return f"""{s}.operation IN {MODEL_CALLS} AND (
        EXISTS (SELECT 1 FROM {usage} {c} WHERE {c}.project = {s}.project AND {c}.trace_id = {s}.trace_id
                AND {c}.span_id = {s}.parent_span_id
                AND ({same} OR ({unnamed} AND {c}.input_tokens = {s}.input_tokens)))
        OR EXISTS (
            SELECT 1 FROM {usage} {c} WHERE {c}.model_call AND {c}.project = {s}.project
                AND {c}.trace_id = {s}.trace_id AND {c}.span_id <> {s}.span_id
                AND {c}.parent_span_id IS NOT DISTINCT FROM {s}.parent_span_id
                AND (
                    ({same} AND ({c}.start_ns, -{c}.end_ns, {c}.span_id) < ({s}.start_ns, -{s}.end_ns, {s}.span_id))
                    OR ({unnamed} AND {c}.input_tokens = {s}.input_tokens AND {c}.start_ns <= {s}.start_ns
                        AND {c}.end_ns >= {s}.end_ns
                        AND ({c}.start_ns < {s}.start_ns OR {c}.end_ns > {s}.end_ns OR {c}.span_id < {s}.span_id))))
    )"""


def reports_usage_only(span: str = "") -> str:
    """Whether a span (``span`` a table alias, or none) names no operation and no model it
    asked for: whatever tokens it carries, it called nothing, it reports usage (AG2's
    ``record_usage`` spans repeat each call's tokens after the call, and sum a sub-agent's
    calls after the tool that ran it). The trajectory reads no model call there either:
    tokens alone make no model call (genai/kinds.py). A call recorded without an operation
    names its model (ADK's schema-1 ``call_llm``: ``gen_ai.request.model``)."""
    at = f"{span}." if span else ""
    return f"({at}operation IS NULL AND {at}request_model IS NULL)"


COUNTED = f"(operation IS NULL OR operation NOT IN {AGGREGATING}) AND NOT inside_call AND NOT {reports_usage_only()}"
"""A span's usage counts in the trace's totals unless it sums others' (an agent's), it is
a model call recorded again (``recorded_again``) or it only reports usage
(``reports_usage_only``)."""


def commit_spans(spans: str, of_commit: str) -> str:
    """A ``WITH`` list for the statements that index a commit: ``batch_spans``, the spans of
    relation ``spans`` that ``of_commit`` (a condition on its alias ``s``) keeps, each marked
    ``inside_call`` when its usage is another span's recorded again."""
    return f"""usage AS (
    SELECT project, trace_id, span_id, parent_span_id, start_ns, end_ns, input_tokens, response_id,
        operation IN {MODEL_CALLS} AS model_call
    FROM {spans} s
    WHERE {of_commit} AND (input_tokens IS NOT NULL OR response_id IS NOT NULL)
        AND (operation IS NULL OR operation NOT IN {AGGREGATING})
),
batch_spans AS (
    SELECT s.*, {recorded_again("s", "usage")} AS inside_call
    FROM {spans} s
    WHERE {of_commit}
)
"""


COMMIT_SPANS = commit_spans("spans", "s.batch = $batch")
"""The spans of this commit (``$batch``) in the DuckDB file."""

SPAN_TOTALS = f"""min({{'has_parent': parent_span_id IS NOT NULL, 'start_ns': start_ns, 'name': name,
          'span_id': span_id, 'end_ns': end_ns}}),
    bool_or(status_code = 2),
    sum(input_tokens) FILTER (WHERE {COUNTED}),
    sum(output_tokens) FILTER (WHERE {COUNTED}),
    sum(input_tokens) FILTER (WHERE operation IN {AGGREGATING}),
    sum(output_tokens) FILTER (WHERE operation IN {AGGREGATING}),
    sum(cost) FILTER (WHERE {COUNTED}),
    sum(cost) FILTER (WHERE operation IN {AGGREGATING}),
    coalesce(list_distinct(list(agent_name)), []),
    coalesce(list_distinct(list({MODEL_OF_SPAN_SQL})), []),
    min(conversation_id)"""
"""What a commit's spans (``batch_spans``) add to their trace's index row, per trace: the
root candidate, the error flag, the usage sums (models' and agents'), the agents and models
and the conversation (the least, as ``store.sessions.INDEX_SESSIONS`` reads it). The DuckDB
store's ``INDEX_SPANS`` and the Iceberg store's trace index (``store.iceberg.traceindex``)
both select it, then merge it into the row each its own way."""

INDEX_SPANS = f"""
INSERT INTO traces
WITH {COMMIT_SPANS}
SELECT project, trace_id, $batch, $batch, min(start_ns), max(end_ns), count(*), 0,
    {SPAN_TOTALS}
FROM batch_spans
GROUP BY project, trace_id
ON CONFLICT (project, trace_id) DO UPDATE SET
    last_batch = excluded.last_batch,
    start_ns = least(traces.start_ns, excluded.start_ns),
    end_ns = greatest(traces.end_ns, excluded.end_ns),
    span_count = traces.span_count + excluded.span_count,
    root = least(traces.root, excluded.root),
    has_error = traces.has_error OR excluded.has_error,
    {_add("input_tokens")},
    {_add("output_tokens")},
    {_add("agent_input_tokens")},
    {_add("agent_output_tokens")},
    {_add("cost")},
    {_add("agent_cost")},
    agents = list_distinct(list_concat(traces.agents, excluded.agents)),
    models = list_distinct(list_concat(traces.models, excluded.models)),
    conversation_id = coalesce(traces.conversation_id, excluded.conversation_id)
"""

INDEX_LOGS = """
INSERT INTO traces
SELECT project, trace_id, $batch, $batch, NULL, NULL, 0, count(*), NULL, false,
    NULL, NULL, NULL, NULL, NULL, NULL, [], [], NULL
FROM logs WHERE batch = $batch AND trace_id IS NOT NULL
GROUP BY project, trace_id
ON CONFLICT (project, trace_id) DO UPDATE SET
    last_batch = excluded.last_batch,
    log_count = traces.log_count + excluded.log_count
"""

TRACE_ENTRY = """
SELECT project, trace_id, start_ns, end_ns, span_count, log_count,
    root.span_id, root.name, root.has_parent, root.start_ns, root.end_ns, has_error,
    coalesce(input_tokens, agent_input_tokens), coalesce(output_tokens, agent_output_tokens),
    agents, models, conversation_id, first_batch, last_batch
FROM traces WHERE trace_id = $trace_id
"""
"""Every project's entry for one trace id; the caller keeps its own project's. DuckDB looks
a trace up in the ``trace_id`` index only when that is the statement's sole predicate:
adding ``project = $project`` turns the lookup into a scan of the whole index table
(0.4 ms against 34 ms at a million traces)."""

TRACE_LOCATION = """
SELECT project, first_batch, last_batch, span_count, log_count, root.name
FROM traces WHERE trace_id = $trace_id
"""
"""What reading a trace's rows needs of its entries (a column less costs a column's decoding)."""

TRACE_FEEDBACK = """
SELECT project, id, trace_id, span_id, name, score, label, value, comment, author, created_at
FROM feedback WHERE trace_id = $trace_id ORDER BY created_at, id
"""
"""Every project's feedback on one trace id, through the ``trace_id`` index (as TRACE_ENTRY)."""

TRACE_PAYLOADS = """
SELECT batch, spans FROM payloads
WHERE batch BETWEEN $first AND $last AND project = $project AND trace_id = $trace_id
"""
"""The trace's payload rows, one per commit that stored some of its spans (schema 6): the
spans' own fields and promoted attributes come out of the payloads again
(``ingest.flatten.span_fields``) for less than reading the span rows' columns. Unordered:
sorting a trace's few rows in Python is cheaper than DuckDB's sort setup."""

INSERT_PAYLOADS = "INSERT INTO payloads SELECT $batch, project, trace_id, spans FROM staged_payloads"

BATCH_TRACES = "SELECT DISTINCT project, trace_id FROM spans WHERE batch = $batch"
"""The traces this commit stored spans of (when some were left out as stored before)."""

SPAN_LOGS = """
SELECT $project, $trace_id, span_id, time_ns, observed_ns, severity_number, severity_text,
    event_name, raw, scope_id
FROM logs
WHERE batch BETWEEN $first AND $last AND project = $project AND trace_id = $trace_id AND span_id = $span_id
ORDER BY time_ns, observed_ns
"""

TRACE_LOGS = """
SELECT $project, $trace_id, span_id, time_ns, observed_ns, severity_number, severity_text,
    event_name, raw, scope_id
FROM logs
WHERE batch BETWEEN $first AND $last AND project = $project AND trace_id = $trace_id
ORDER BY time_ns, observed_ns
"""

TRACE_LIST_COLUMNS = """
    trace_id, root.name, start_ns,
    CASE WHEN root.has_parent = false THEN (root.end_ns - root.start_ns) ELSE (end_ns - start_ns) END,
    agents, models, span_count,
    coalesce(input_tokens, agent_input_tokens), coalesce(output_tokens, agent_output_tokens),
    coalesce(cost, agent_cost), has_error, conversation_id
"""


TEXT_HITS = "text_hits"
"""The name under which a trace list registers the trace ids the search index found."""


def like_escaped(text: str) -> str:
    """``text`` matched literally by ``ILIKE … ESCAPE '\\'`` (span names have underscores:
    ``invoke_agent``; leaving them out would find nothing)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def trace_list_where(
    *,
    since: bool,
    until: bool,
    agent: bool,
    model: bool,
    has_error: bool | None,
    text: bool,
    text_hits: bool,
    active: bool = False,
) -> str:
    """The WHERE clause of a trace list; parameters are named after the conditions.
    ``text_hits``: the traces the full-text index found for the text (the table registered
    as ``TEXT_HITS``) match too."""
    conditions = ["project = $project", "span_count > 0"]
    if since:
        conditions.append("start_ns >= $since")
    if until:
        conditions.append("start_ns < $until")
    if active:
        conditions.append("end_ns >= $active")
    if agent:
        conditions.append("list_contains(agents, $agent)")
    if model:
        conditions.append("list_contains(models, $model)")
    if has_error is not None:
        conditions.append("has_error" if has_error else "NOT has_error")
    if text:
        conditions.append(
            "(root.name ILIKE $pattern ESCAPE '\\' OR trace_id = lower($text) OR conversation_id = $text"
            " OR list_contains(agents, $text) OR list_contains(models, $text)"
            + (f" OR trace_id IN (SELECT trace_id FROM {TEXT_HITS}))" if text_hits else ")")
        )
    return " AND ".join(conditions)


BATCH_SPAN_COLUMNS = (
    "project", "trace_id", "span_id", "parent_span_id", "name", "kind", "start_ns", "end_ns", "status_code",
    "status_message", "operation", "agent_name", "request_model", "response_model", "provider", "tool_name",
    "conversation_id", "response_id", "input_tokens", "output_tokens", "raw",
)  # fmt: skip
"""What the search indexer reads of a commit's spans (``store.texts``), in this order: from
the DuckDB file (``BATCH_SPANS``) or from the Arrow rows of an Iceberg commit."""

BATCH_SPANS = f"SELECT {', '.join(BATCH_SPAN_COLUMNS[:-1])} FROM spans WHERE batch = $batch"
"""The spans one commit stored, for the search indexer, all but the payload (in
``BATCH_PAYLOADS``): its columns are read rather than derived from the payload, since a
whole batch's rows are read at once."""

BATCH_PAYLOADS = "SELECT project, trace_id, spans FROM payloads WHERE batch = $batch"
"""The payloads one commit stored."""

BATCH_LOG_COLUMNS = (
    "project", "trace_id", "span_id", "time_ns", "observed_ns", "severity_number", "severity_text", "event_name", "raw",
)  # fmt: skip
"""What the search indexer reads of a commit's log records, in this order."""

BATCH_LOGS = f"SELECT {', '.join(BATCH_LOG_COLUMNS)} FROM logs WHERE batch = $batch AND trace_id IS NOT NULL"
"""The log records one commit stored that belong to a trace, for the search indexer."""
