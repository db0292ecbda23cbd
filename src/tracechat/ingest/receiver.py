"""One receiver behind both OTLP transports: authenticate, decode, flatten, commit, answer.

``export`` returns only after the commit holding the request (the SpanStore promise), so the
edges can answer success the moment it returns.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass

import anyio.to_thread
from anyio import CapacityLimiter

from tracechat.auth.keys import KeyRing, Principal
from tracechat.errors import InvalidInput, TracechatError
from tracechat.ingest.flatten import Flattened, ProjectOf, flatten_logs, flatten_traces
from tracechat.ingest.otlp import (
    Encoding,
    Signal,
    decode_logs_request,
    decode_trace_request,
)
from tracechat.ingest.projects import project_resolver
from tracechat.ingest.wire import SpanSlices, WireFormatError, salvage, span_slices
from tracechat.metrics import Metrics
from tracechat.model.records import StoredCount
from tracechat.store.protocol import SpanStore


@dataclass(frozen=True, slots=True)
class ExportResult:
    rejected: int
    error_message: str


@dataclass(slots=True)
class _Accepted:
    signal: Signal
    flat: Flattened
    committed: Future[StoredCount]


class Receiver:
    def __init__(
        self, store: SpanStore, keys: KeyRing, metrics: Metrics, decoders: int = 1, http_threads: int = 8
    ) -> None:
        self._store = store
        self._keys = keys
        self._metrics = metrics
        # Decoding is Python work under the GIL: a second decoding thread adds no parallelism
        # and takes the GIL from the writer thread, which DuckDB's binding re-takes many times
        # per statement (measured in bench/ingest.py: 1 decoder 43k spans/s, 2: 34k, 8: 20k).
        # Network reads and commits stay fully concurrent.
        self._decoding = threading.BoundedSemaphore(decoders)
        # OTLP/HTTP's threads of its own: API handlers (slow reads) share the event loop but
        # never take a thread ingest is waiting for, nor the other way round.
        self._http_threads = http_threads
        self._limiter: CapacityLimiter | None = None

    def export(
        self,
        signal: Signal,
        body: bytes,
        encoding: Encoding,
        authorization: str | None,
        transport: str,
    ) -> ExportResult:
        """Store one export request; blocks until it is committed."""
        return self._wait(self._accept(signal, body, encoding, authorization, transport), transport)

    async def export_async(
        self,
        signal: Signal,
        body: bytes,
        encoding: Encoding,
        authorization: str | None,
        transport: str,
        inflate: Callable[[bytes], bytes] | None = None,
    ) -> ExportResult:
        """``export`` for an event loop: authenticating, then ``inflate`` (decompression), then
        decoding run in a worker thread of the receiver's own; the commit is awaited."""
        if self._limiter is None:
            self._limiter = CapacityLimiter(self._http_threads)
        accepted = await anyio.to_thread.run_sync(
            self._accept, signal, body, encoding, authorization, transport, inflate, limiter=self._limiter
        )
        with self._counting_refusal(accepted, transport):
            await asyncio.wrap_future(accepted.committed)
        return self._succeeded(accepted, transport)

    def export_as(
        self,
        principal: Principal,
        signal: Signal,
        body: bytes,
        encoding: Encoding,
        transport: str,
    ) -> ExportResult:
        """``export`` on behalf of a principal already known (files loaded by the server itself)."""
        return self._wait(self._accept(signal, body, encoding, principal, transport), transport)

    def _wait(self, accepted: _Accepted, transport: str) -> ExportResult:
        with self._counting_refusal(accepted, transport):
            accepted.committed.result()
        return self._succeeded(accepted, transport)

    @contextmanager
    def _counting_refusal(self, accepted: _Accepted, transport: str) -> Iterator[None]:
        try:
            yield
        except TracechatError as exc:
            self._count_refused(accepted, exc, transport)
            raise

    def _accept(
        self,
        signal: Signal,
        body: bytes,
        encoding: Encoding,
        caller: str | Principal | None,
        transport: str,
        inflate: Callable[[bytes], bytes] | None = None,
    ) -> _Accepted:
        try:
            principal = caller if isinstance(caller, Principal) else self._keys.authenticate(caller)
            if inflate is not None:  # only for a known caller, and outside the one decoder
                body = inflate(body)
        except TracechatError as exc:
            self._metrics.export_requests.labels(transport, signal.value, exc.code).inc()
            raise
        with self._decoding:
            return self._decode_and_submit(signal, body, encoding, principal, transport)

    def _decode_and_submit(
        self, signal: Signal, body: bytes, encoding: Encoding, principal: Principal, transport: str
    ) -> _Accepted:
        try:
            projects = project_resolver(principal)
            if signal is Signal.TRACES:
                flat = _flatten_traces(body, encoding, projects)
            else:
                flat = flatten_logs(decode_logs_request(body, encoding), projects)
        except TracechatError as exc:
            self._metrics.export_requests.labels(transport, signal.value, exc.code).inc()
            raise
        self._count_received(signal, flat, transport)
        try:
            committed = self._store.submit(flat.batch)
        except TracechatError as exc:
            accepted = _Accepted(signal, flat, Future())
            self._count_refused(accepted, exc, transport)
            raise
        return _Accepted(signal, flat, committed)

    def _succeeded(self, accepted: _Accepted, transport: str) -> ExportResult:
        flat, signal = accepted.flat, accepted.signal
        stored = accepted.committed.result()  # done: what the store held already is not counted again
        if signal is Signal.TRACES:
            self._metrics.spans_stored.inc(stored.spans)
            self._metrics.spans_duplicate.inc(len(flat.batch.spans) - stored.spans)
        else:
            self._metrics.logs_stored.inc(stored.logs)
            self._metrics.logs_duplicate.inc(len(flat.batch.logs) - stored.logs)
        self._metrics.export_requests.labels(transport, signal.value, "ok").inc()
        noun = "spans" if signal is Signal.TRACES else "log records"
        return ExportResult(flat.rejected, flat.error_message(noun))

    def _count_received(self, signal: Signal, flat: Flattened, transport: str) -> None:
        total = flat.batch.row_count + flat.rejected
        if signal is Signal.TRACES:
            self._metrics.spans_received.labels(transport).inc(total)
            if flat.rejected:
                self._metrics.spans_rejected.labels("invalid").inc(flat.rejected)
        else:
            self._metrics.logs_received.labels(transport).inc(total)
            if flat.rejected:
                self._metrics.logs_rejected.labels("invalid").inc(flat.rejected)

    def _count_refused(self, accepted: _Accepted, exc: TracechatError, transport: str) -> None:
        count = accepted.flat.batch.row_count
        rejected = self._metrics.spans_rejected if accepted.signal is Signal.TRACES else self._metrics.logs_rejected
        rejected.labels(exc.code).inc(count)
        self._metrics.export_requests.labels(transport, accepted.signal.value, exc.code).inc()


def _flatten_traces(body: bytes, encoding: Encoding, projects: ProjectOf) -> Flattened:
    """Decode and flatten a trace request. A protobuf request refused as a whole because of
    some of its spans (invalid UTF-8, say) keeps the spans that parse on their own, and the
    others are reported in ``partial_success``."""
    try:
        request = decode_trace_request(body, encoding)
    except InvalidInput as refused:
        if encoding is not Encoding.PROTOBUF:
            raise
        try:
            request, dropped, problems = salvage(body)
        except WireFormatError:
            raise refused from None
        kept = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        if not dropped or not kept:
            raise refused from None
        flat = flatten_traces(request, projects)
        for problem in problems:
            where, _, why = problem.partition(": ")
            flat.reject(where, why)
        return flat
    return flatten_traces(request, projects, _slices(body) if encoding is Encoding.PROTOBUF else None)


def _slices(body: bytes) -> SpanSlices | None:
    try:
        return span_slices(body)
    except WireFormatError:
        return None
