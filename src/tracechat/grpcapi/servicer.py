"""The edge of ``tracechat.v1.TraceQueryService``: authenticate from metadata, check the
request, call one query, encode the answer; a ``TracechatError`` becomes its gRPC status
with the HTTP API's message. Registered on the OTLP/gRPC server with server reflection and
the standard health service (``add_query_services``)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from tracechat.auth.keys import KeyRing, Principal
from tracechat.errors import Overloaded, Retryable, TracechatError
from tracechat.grpcapi import codec
from tracechat.grpcapi.watch import follow
from tracechat.ingest.grpc_server import LOGS_SERVICE, TRACE_SERVICE, abort, metadata_value
from tracechat.ingest.projects import DEFAULT_PROJECT
from tracechat.query.service import TraceQueries
from tracechat.query.session_queries import SessionQueries
from tracechat.store.protocol import SpanStore
from tracechat.v1 import query_pb2 as pb_query
from tracechat.v1 import query_pb2_grpc as pb_query_grpc
from tracechat.v1 import session_pb2 as pb_session
from tracechat.v1 import trajectory_pb2 as pb

QUERY_SERVICE = pb_query.DESCRIPTOR.services_by_name["TraceQueryService"].full_name


class TraceQueryServicer(pb_query_grpc.TraceQueryServiceServicer):
    def __init__(self, traces: TraceQueries, store: SpanStore, keys: KeyRing, max_watches: int) -> None:
        """``max_watches``: streams open at once; each holds one of the server's threads,
        which OTLP exports need too."""
        self._traces = traces
        self._sessions = SessionQueries.over(traces)
        self._store = store
        self._keys = keys
        self._watch_slots = threading.BoundedSemaphore(max_watches)
        self._max_watches = max_watches
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._wakers: set[Callable[[], None]] = set()

    def close(self) -> None:
        """End the watches at once (the server is stopping): each ends UNAVAILABLE, to be
        watched again elsewhere or after the restart."""
        self._closing.set()
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    def GetTrajectory(
        self, request: pb_query.GetTrajectoryRequest, context: grpc.ServicerContext
    ) -> pb.AgentChatTrajectory:
        with _status_on_error(context):
            principal = self._principal(context)
            ref = codec.decode_trace_ref(request.project_id, request.trace_id)
            project = _project(principal, ref.project_id)
            return codec.encode_trajectory(self._traces.trajectory(project, ref.trace_id, request.include_feedback))
        raise AssertionError("unreachable: the call was aborted")

    def ListTraces(self, request: pb_query.ListTracesRequest, context: grpc.ServicerContext) -> pb.TraceList:
        with _status_on_error(context):
            principal = self._principal(context)
            query = codec.decode_list_request(request, datetime.now(UTC))
            project = _project(principal, query.project_id)
            listed = self._traces.list_traces(project, query.where, query.limit, query.offset)
            return codec.encode_trace_list(listed.model_copy(update={"since": query.since}))
        raise AssertionError("unreachable: the call was aborted")

    def ListSessions(
        self, request: pb_query.ListSessionsRequest, context: grpc.ServicerContext
    ) -> pb_session.SessionList:
        with _status_on_error(context):
            principal = self._principal(context)
            query = codec.decode_session_list_request(request, datetime.now(UTC))
            project = _project(principal, query.project_id)
            listed = self._sessions.list_sessions(project, query.where, query.limit, query.offset)
            return codec.encode_session_list(listed.model_copy(update={"since": query.since}))
        raise AssertionError("unreachable: the call was aborted")

    def GetSessionTrajectory(
        self, request: pb_query.GetSessionTrajectoryRequest, context: grpc.ServicerContext
    ) -> pb_session.SessionTrajectory:
        with _status_on_error(context):
            principal = self._principal(context)
            ref = codec.decode_session_ref(request.project_id, request.session_id)
            project = _project(principal, ref.project_id)
            found = self._sessions.session_trajectory(project, ref.session_id, request.include_feedback)
            return codec.encode_session_trajectory(found)
        raise AssertionError("unreachable: the call was aborted")

    def WatchTrajectory(
        self, request: pb_query.WatchTrajectoryRequest, context: grpc.ServicerContext
    ) -> Iterator[pb_query.WatchTrajectoryResponse]:
        with _status_on_error(context):
            principal = self._principal(context)
            ref = codec.decode_trace_ref(request.project_id, request.trace_id)
            quiet = codec.decode_quiet_for(request)
            project = _project(principal, ref.project_id)
            if not self._watch_slots.acquire(blocking=False):
                raise Overloaded(f"{self._max_watches} trajectories are watched already; retry later", retry_after=5)
            wakers: list[Callable[[], None]] = []

            def on_stop(wake: Callable[[], None]) -> None:
                wakers.append(wake)
                with self._lock:
                    self._wakers.add(wake)
                context.add_callback(wake)

            try:
                yield from follow(
                    self._traces,
                    self._store,
                    project,
                    ref.trace_id,
                    quiet.total_seconds(),
                    on_stop=on_stop,
                    stopped=lambda: self._closing.is_set() or not context.is_active(),
                )
                if self._closing.is_set():
                    raise Retryable("the server is shutting down; watch again", retry_after=1)
            finally:
                with self._lock:
                    self._wakers.difference_update(wakers)
                self._watch_slots.release()

    def _principal(self, context: grpc.ServicerContext) -> Principal:
        return self._keys.authenticate(metadata_value(context, "authorization"))


def _project(principal: Principal, project_id: str | None) -> str:
    """As the HTTP routes resolve it (``api.traces._project``): the project asked for, else
    the key's own, else ``default``; the key must be allowed it."""
    project = project_id or principal.project or DEFAULT_PROJECT
    principal.check_access(project)
    return project


@contextlib.contextmanager
def _status_on_error(context: grpc.ServicerContext) -> Iterator[None]:
    try:
        yield
    except TracechatError as exc:
        abort(context, exc)


class QueryServices:
    """What ``add_query_services`` registered, to be told when the server stops."""

    def __init__(self, queries: TraceQueryServicer | None, checker: health.HealthServicer) -> None:
        self._queries = queries
        self._checker = checker

    def begin_shutdown(self) -> None:
        """Health checks answer NOT_SERVING from now (load balancers move away) and watches
        end, so the server's grace period is left to the exports in flight."""
        self._checker.enter_graceful_shutdown()
        if self._queries is not None:
            self._queries.close()


def add_query_services(
    server: grpc.Server,
    traces: TraceQueries,
    store: SpanStore,
    keys: KeyRing,
    max_watches: int,
    *,
    queries_served: bool = True,
) -> QueryServices:
    """Register TraceQueryService, health and reflection on ``server`` (before it starts);
    health and reflection only when not ``queries_served`` (``--role ingest``)."""
    queries = TraceQueryServicer(traces, store, keys, max_watches) if queries_served else None
    if queries is not None:
        pb_query_grpc.add_TraceQueryServiceServicer_to_server(queries, server)
    checker = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    services = [TRACE_SERVICE, LOGS_SERVICE, *([QUERY_SERVICE] if queries is not None else [])]
    for name in ["", *services]:
        checker.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
    reflection.enable_server_reflection([*services, health_name, reflection.SERVICE_NAME], server)
    return QueryServices(queries, checker)
