"""Prometheus metrics of one running service (a registry per service, so tests can run many)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.spans_received = self._counter(
            "tracechat_spans_received", "Spans received in OTLP export requests.", "transport"
        )
        self.spans_stored = self._counter(
            "tracechat_spans_stored", "Spans committed to the store (a span sent again is counted once)."
        )
        self.spans_duplicate = self._counter(
            "tracechat_spans_duplicate",
            "Spans accepted that the store held already (sent again with the same ids: an exporter's retry,"
            " possibly through another receiver), acknowledged and not stored again.",
        )
        self.spans_rejected = self._counter(
            "tracechat_spans_rejected",
            "Spans not stored: invalid (reported in partial_success) or refused (retryable error).",
            "reason",
        )
        self.logs_received = self._counter(
            "tracechat_log_records_received", "Log records received in OTLP export requests.", "transport"
        )
        self.logs_stored = self._counter(
            "tracechat_log_records_stored", "Log records committed to the store (a record sent again is counted once)."
        )
        self.logs_duplicate = self._counter(
            "tracechat_log_records_duplicate",
            "Log records of a trace accepted that the store held already (the same record of the same resource"
            " and scope: an exporter's retry), acknowledged and not stored again.",
        )
        self.logs_rejected = self._counter("tracechat_log_records_rejected", "Log records not stored.", "reason")
        self.export_requests = self._counter(
            "tracechat_export_requests",
            "OTLP export requests by transport, signal and outcome.",
            "transport",
            "signal",
            "outcome",
        )
        self.commit_seconds = Histogram(
            "tracechat_commit_seconds",
            "Duration of one group commit.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.commit_requests = Histogram(
            "tracechat_commit_requests",
            "Export requests grouped into one commit.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=self.registry,
        )
        self.reads_abandoned = self._counter(
            "tracechat_api_reads_abandoned",
            "Trace reads whose client left before the answer; cancelled unless already running.",
        )
        self.reads_interrupted = self._counter(
            "tracechat_api_reads_interrupted",
            "Trace reads stopped while running (their DuckDB query interrupted, or refused the next one), "
            "because the client left or TRACECHAT_READ_TIMEOUT_S passed.",
            "reason",
        )
        self.turns_in_progress = self._gauge(
            "tracechat_api_chat_turns_in_progress", "Assistant turns running (at most TRACECHAT_CHAT_CONCURRENCY)."
        )
        self.turns_refused = self._counter(
            "tracechat_api_chat_turns_refused",
            "Assistant turns refused with 429 because TRACECHAT_CHAT_CONCURRENCY were already running.",
        )
        self.reads_in_progress = self._gauge(
            "tracechat_api_reads_in_progress",
            "Trace reads running or waiting for their turn (TRACECHAT_READ_CONCURRENCY run at once).",
        )
        self.queue_bytes = self._gauge("tracechat_write_queue_bytes", "Request bytes waiting for a commit.")
        self.queue_requests = self._gauge("tracechat_write_queue_requests", "Requests waiting for a commit.")
        self.search_lag = self._gauge(
            "tracechat_search_lag_batches",
            "Commits whose text is not searchable yet (the full-text index trails the store by design).",
        )
        self.search_dead = self._gauge(
            "tracechat_search_dead_batches",
            "Commits whose text indexing failed too often and stopped (Iceberg store: retry them with"
            " tracechat maintain --retry-dead-text); their spans are stored and read, their text is not searchable.",
        )
        self.store_corrupt = self._gauge(
            "tracechat_store_corrupt",
            "1 when the store found its file damaged and takes no more writes (see /healthz), else 0.",
        )

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        return Counter(name, documentation, labels, registry=self.registry)

    def _gauge(self, name: str, documentation: str) -> Gauge:
        return Gauge(name, documentation, registry=self.registry)

    def watch_store(self, corrupt: Callable[[], float]) -> None:
        self.store_corrupt.set_function(corrupt)

    def observe_commit(self, seconds: float, requests: int) -> None:
        self.commit_seconds.observe(seconds)
        self.commit_requests.observe(requests)

    def watch_queue(self, queued_bytes: Callable[[], float], queued_requests: Callable[[], float]) -> None:
        self.queue_bytes.set_function(queued_bytes)
        self.queue_requests.set_function(queued_requests)

    def watch_search(self, lag_batches: Callable[[], float], dead_batches: Callable[[], float]) -> None:
        self.search_lag.set_function(lag_batches)
        self.search_dead.set_function(dead_batches)

    def render(self) -> bytes:
        return generate_latest(self.registry)
