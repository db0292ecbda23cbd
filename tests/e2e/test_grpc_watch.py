"""WatchTrajectory against a real server while a trace arrives span by span from the real OTel
SDK (each span exported over OTLP/gRPC as it ends): after each acknowledged export the
watcher holds the new entries, later responses carry only what changed, the stream ends
when the trace is quiet, and cancelling frees the watcher's place."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from tests.otel import grpc_exporter, make_agent_spans
from tests.servers import InProcessServer, settings_for_test
from tracechat.grpcapi.watch import apply
from tracechat.v1 import query_pb2 as q
from tracechat.v1 import query_pb2_grpc as qg
from tracechat.v1 import trajectory_pb2 as pb

DONE = object()


class Watcher:
    """A client of WatchTrajectory on a thread of its own: what it was sent, and the
    messages it holds after each response."""

    def __init__(self, endpoint: str, trace_id: str, quiet_s: float) -> None:
        self._channel = grpc.insecure_channel(endpoint)
        request = q.WatchTrajectoryRequest(project_id="default", trace_id=trace_id, quiet_for=Duration(seconds=0))
        request.quiet_for.FromMilliseconds(int(quiet_s * 1000))
        self.call = qg.TraceQueryServiceStub(self._channel).WatchTrajectory(request)
        self.responses: list[q.WatchTrajectoryResponse] = []
        self.held: list[pb.AgentChatMessage] = []
        self.arrived: queue.Queue[object] = queue.Queue()
        self.error: grpc.RpcError | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for response in self.call:
                before = list(self.held)
                for change in response.changes:  # only what changed is sent
                    assert change.index >= len(before) or before[change.index] != change.message
                apply(self.held, response)
                self.responses.append(response)
                self.arrived.put(response)
        except grpc.RpcError as exc:
            self.error = exc
        finally:
            self.arrived.put(DONE)

    def wait_for(self, predicate: object, timeout: float = 30) -> None:
        """Wait until the held messages satisfy ``predicate`` (a callable on them)."""
        assert callable(predicate)
        while not predicate(self.held):
            item = self.arrived.get(timeout=timeout)
            assert item is not DONE, f"the stream ended early: {self.error}"

    def finish(self, timeout: float = 30) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive()
        self._channel.close()


class Acknowledged(SpanExporter):
    """The real OTLP/gRPC exporter, remembering each span it got an acknowledgement for."""

    def __init__(self, endpoint: str) -> None:
        self._inner = grpc_exporter(endpoint)
        self.acked: queue.Queue[ReadableSpan] = queue.Queue()

    def export(self, spans: object) -> SpanExportResult:
        batch = list(spans)  # type: ignore[call-overload]
        result = self._inner.export(batch)
        assert result is SpanExportResult.SUCCESS
        for span in batch:
            self.acked.put(span)
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[InProcessServer]:
    """Two gRPC threads, so one watch at most."""
    server = InProcessServer(settings_for_test(tmp_path / "data", grpc_workers=2))
    yield server
    server.stop()


def _ids(messages: list[pb.AgentChatMessage]) -> set[tuple[str, str]]:
    return {(m.span_id, m.type) for m in messages}


def test_entries_arrive_as_the_spans_do(server: InProcessServer) -> None:
    exporter = Acknowledged(server.grpc_endpoint)
    provider = TracerProvider(resource=Resource.create({"service.name": "watched-agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))  # each span sent when it ends
    tracer = provider.get_tracer("tests.watch")
    with tracer.start_as_current_span("invoke_agent planner") as agent:
        agent.set_attribute("gen_ai.operation.name", "invoke_agent")
        agent.set_attribute("gen_ai.agent.name", "planner")
        trace_id = format(agent.get_span_context().trace_id, "032x")
        watcher = Watcher(server.grpc_endpoint, trace_id, quiet_s=1.5)
        for turn in range(3):
            with tracer.start_as_current_span("chat gpt-4o") as chat:
                chat.set_attribute("gen_ai.operation.name", "chat")
                chat.set_attribute("gen_ai.request.model", "gpt-4o")
                chat.set_attribute("gen_ai.usage.input_tokens", 100 + turn)
                chat.set_attribute("gen_ai.usage.output_tokens", 10)
                chat.set_attribute(
                    "gen_ai.input.messages", f'[{{"role":"user","parts":[{{"type":"text","content":"q{turn}"}}]}}]'
                )
                chat.set_attribute(
                    "gen_ai.output.messages",
                    f'[{{"role":"assistant","parts":[{{"type":"text","content":"a{turn}"}}],"finish_reason":"stop"}}]',
                )
            chat_id = format(exporter.acked.get(timeout=30).context.span_id, "016x")
            # acknowledged: the watcher gets the model call's entry without anything else sent
            watcher.wait_for(lambda held, s=chat_id: (s, "assistant_message") in _ids(held))
            with tracer.start_as_current_span("execute_tool lookup") as tool:
                tool.set_attribute("gen_ai.operation.name", "execute_tool")
                tool.set_attribute("gen_ai.tool.name", "lookup")
                tool.set_attribute("gen_ai.tool.call.result", f"r{turn}")
            tool_id = format(exporter.acked.get(timeout=30).context.span_id, "016x")
            watcher.wait_for(lambda held, s=tool_id: (s, "tool_call") in _ids(held))
    exporter.acked.get(timeout=30)  # the agent span, last to end
    watcher.wait_for(lambda held: any(m.agent_name == "planner" for m in held))
    provider.shutdown()
    watcher.finish()  # ends by itself: the trace is quiet for 1.5 s

    assert watcher.error is None
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        final = qg.TraceQueryServiceStub(channel).GetTrajectory(
            q.GetTrajectoryRequest(project_id="default", trace_id=trace_id)
        )
    assert list(final.messages) == watcher.held  # the changes add up to the trajectory
    last = watcher.responses[-1]
    assert (last.root_span_name, last.total_duration_ms) == (final.root_span_name, final.total_duration_ms)
    assert len(watcher.responses) >= 7  # one per span at least: nothing waited for the end
    sent = sum(len(r.changes) for r in watcher.responses)
    assert sent < sum(r.message_count for r in watcher.responses)  # not the whole list each time


def test_a_trace_that_never_comes_is_not_found(server: InProcessServer) -> None:
    watcher = Watcher(server.grpc_endpoint, "ab" * 16, quiet_s=0.3)
    watcher.finish()
    assert watcher.error is not None
    assert watcher.error.code() is grpc.StatusCode.NOT_FOUND
    assert watcher.error.details() == f"no trace {'ab' * 16} in project 'default'"


def _send_one_trace(server: InProcessServer) -> str:
    spans = make_agent_spans(turns=1)
    exporter = grpc_exporter(server.grpc_endpoint)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    exporter.shutdown()
    return format(spans[0].context.trace_id, "032x")


def test_a_cancelled_watch_frees_its_place(small_server: InProcessServer) -> None:
    trace_id = _send_one_trace(small_server)
    first = Watcher(small_server.grpc_endpoint, trace_id, quiet_s=600)
    first.wait_for(lambda held: len(held) > 0)  # it is being served: it holds the one place
    second = Watcher(small_server.grpc_endpoint, trace_id, quiet_s=600)
    second.finish()
    assert second.error is not None
    assert second.error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    first.call.cancel()
    first.finish()
    assert first.error is not None
    assert first.error.code() is grpc.StatusCode.CANCELLED
    # the server wakes the cancelled watch at once (not after its 600 s): its place is free again
    deadline = time.monotonic() + 10
    while True:
        third = Watcher(small_server.grpc_endpoint, "cd" * 16, quiet_s=0.3)
        third.finish()
        assert third.error is not None
        if third.error.code() is not grpc.StatusCode.RESOURCE_EXHAUSTED or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert third.error.code() is grpc.StatusCode.NOT_FOUND


def test_quiet_for_is_bounded(server: InProcessServer) -> None:
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        request = q.WatchTrajectoryRequest(project_id="default", trace_id="ef" * 16, quiet_for=Duration(seconds=7200))
        with pytest.raises(grpc.RpcError) as raised:
            next(qg.TraceQueryServiceStub(channel).WatchTrajectory(request))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("quiet_for:")


def test_stopping_the_server_ends_the_watches(tmp_path: Path) -> None:
    server = InProcessServer(settings_for_test(tmp_path / "data"))
    try:
        watcher = Watcher(server.grpc_endpoint, _send_one_trace(server), quiet_s=600)
        watcher.wait_for(lambda held: len(held) > 0)
        server.running.queries.begin_shutdown()  # what stop() does first
        watcher.finish()
        with grpc.insecure_channel(server.grpc_endpoint) as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""))
        assert health.status == health_pb2.HealthCheckResponse.NOT_SERVING  # load balancers move away
    finally:
        server.stop()
    assert watcher.error is not None
    assert (watcher.error.code(), watcher.error.details()) == (
        grpc.StatusCode.UNAVAILABLE,
        "the server is shutting down; watch again",
    )
