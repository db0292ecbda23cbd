"""``WatchTrajectory``: a trajectory followed while its trace arrives.

The watch subscribes to the trace's commits (``SpanStore.watch_trace``) before it first
reads, so no commit falls between the read and the wait. After each commit of the trace it
builds the trajectory again (the trajectory is reconstructed whole: a late span may reorder,
merge or complete entries) and sends what differs from what it sent, by position
(``changes``). It ends when the trace has been quiet for ``quiet_for``, or when the client
goes away (``stopped``, which also wakes the wait).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tracechat.errors import NotFound
from tracechat.grpcapi.codec import encode_trajectory
from tracechat.query.service import TraceQueries
from tracechat.store.commits import TraceWatch
from tracechat.store.protocol import SpanStore
from tracechat.v1 import query_pb2 as pb_query
from tracechat.v1 import trajectory_pb2 as pb


@dataclass(slots=True)
class Sent:
    """What the watcher holds: the header fields and messages sent so far."""

    header: tuple[object, ...] | None = None
    messages: list[pb.AgentChatMessage] = field(default_factory=list)


def _header(trajectory: pb.AgentChatTrajectory) -> tuple[object, ...]:
    return tuple(
        getattr(trajectory, name) if trajectory.HasField(name) else None
        for name in ("root_span_name", "provider", "total_duration_ms")
    )


def changes(sent: Sent, trajectory: pb.AgentChatTrajectory) -> pb_query.WatchTrajectoryResponse | None:
    """The response that brings ``sent`` to ``trajectory`` (and updates ``sent``), or None
    when nothing differs. Pure but for ``sent``."""
    header = _header(trajectory)
    messages = list(trajectory.messages)
    changed = [
        pb_query.MessageChange(index=i, message=m)
        for i, m in enumerate(messages)
        if i >= len(sent.messages) or sent.messages[i] != m
    ]
    if sent.header == header and not changed and len(messages) == len(sent.messages):
        return None
    sent.header, sent.messages = header, messages
    response = pb_query.WatchTrajectoryResponse(trace_id=trajectory.trace_id, message_count=len(messages))
    for name, value in zip(("root_span_name", "provider", "total_duration_ms"), header, strict=True):
        if value is not None:
            setattr(response, name, value)
    response.changes.extend(changed)
    return response


def apply(messages: list[pb.AgentChatMessage], response: pb_query.WatchTrajectoryResponse) -> None:
    """A client's side of ``changes``: ``messages`` becomes the trajectory's messages."""
    del messages[response.message_count :]
    messages.extend(pb.AgentChatMessage() for _ in range(response.message_count - len(messages)))
    for change in response.changes:
        messages[change.index] = change.message


def follow(
    traces: TraceQueries,
    store: SpanStore,
    project: str,
    trace_id: str,
    quiet_s: float,
    on_stop: Callable[[Callable[[], None]], None],
    stopped: Callable[[], bool],
) -> Iterator[pb_query.WatchTrajectoryResponse]:
    """Responses until the trace is quiet for ``quiet_s`` or ``stopped()``; ``on_stop``
    registers a callback run when the client goes away. NotFound when the trace never came."""
    with store.watch_trace(trace_id) as watch:
        on_stop(watch.notify)
        sent: Sent | None = None
        while not stopped():
            trajectory = _read(traces, project, trace_id)
            if trajectory is not None:
                sent = sent or Sent()
                response = changes(sent, trajectory)
                if response is not None:
                    yield response
            if not _next_commit(watch, quiet_s, stopped):
                break
        if sent is None and not stopped():
            raise NotFound(f"no trace {trace_id} in project {project!r}")


def _read(traces: TraceQueries, project: str, trace_id: str) -> pb.AgentChatTrajectory | None:
    try:
        return encode_trajectory(traces.trajectory(project, trace_id))
    except NotFound:
        return None


def _next_commit(watch: TraceWatch, quiet_s: float, stopped: Callable[[], bool]) -> bool:
    """Wait for the trace's next commit: False when it stayed quiet or the client left."""
    return watch.wait(quiet_s) and not stopped()
