"""OTLP/gRPC: ``TraceService/Export`` and ``LogsService/Export``.

Requests arrive as raw bytes (no generated servicer) so the shared receiver decodes them
exactly as it decodes OTLP/HTTP bodies. Errors become gRPC statuses; retryable ones carry
``RetryInfo``, which the OTLP spec requires before a client may retry RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from tracechat.errors import TracechatError
from tracechat.ingest.otlp import Encoding, Signal, encode_export_response
from tracechat.ingest.receiver import Receiver

TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService"
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""Export answers are small, but a trajectory (``TraceQueryService``) keeps up to 64 KiB of
text per entry, so a long one passes gRPC's usual 4 MiB; its clients raise their receive limit."""


@dataclass(frozen=True, slots=True)
class GrpcLimits:
    max_connections: int = 1000
    handshake_timeout_s: float = 10.0
    idle_timeout_s: float = 300.0
    """A connection with no call for this long is closed (exporters reconnect on their own)."""
    queued_calls: int = 256
    """Calls waiting for a worker thread; past them a call is refused with RESOURCE_EXHAUSTED."""


def build_grpc_server(
    receiver: Receiver,
    host: str,
    port: int,
    max_request_bytes: int,
    workers: int,
    limits: GrpcLimits | None = None,
) -> tuple[grpc.Server, int]:
    """A started-later gRPC server and the port it bound (``port=0`` picks a free one)."""
    limits = limits or GrpcLimits()
    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otlp-grpc"),
        options=[
            ("grpc.max_receive_message_length", max_request_bytes),
            ("grpc.max_send_message_length", MAX_RESPONSE_BYTES),
            ("grpc.so_reuseport", 0),
            # A connection that never completes the HTTP/2 handshake, or sits with no call,
            # is closed; past the cap new connections are refused, leaving descriptors for
            # the other listeners.
            ("grpc.max_allowed_incoming_connections", limits.max_connections),
            ("grpc.server_handshake_timeout_ms", int(limits.handshake_timeout_s * 1000)),
            ("grpc.max_connection_idle_ms", int(limits.idle_timeout_s * 1000)),
        ],
        maximum_concurrent_rpcs=workers + limits.queued_calls,
    )
    server.add_generic_rpc_handlers(
        (
            _service(TRACE_SERVICE, receiver, Signal.TRACES),
            _service(LOGS_SERVICE, receiver, Signal.LOGS),
        )
    )
    bound = server.add_insecure_port(_address(host, port))
    return server, bound


def abort(context: grpc.ServicerContext, exc: TracechatError) -> None:
    """End the call with the error's status (``abort_with_status`` raises)."""
    context.abort_with_status(rpc_status.to_status(status_of(exc)))


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _service(name: str, receiver: Receiver, signal: Signal) -> grpc.GenericRpcHandler[bytes, bytes]:
    def export(request: bytes, context: grpc.ServicerContext) -> bytes:
        authorization = metadata_value(context, "authorization")
        try:
            result = receiver.export(signal, request, Encoding.PROTOBUF, authorization, "grpc")
        except TracechatError as exc:
            context.abort_with_status(rpc_status.to_status(status_of(exc)))
            raise  # abort_with_status raises; this line only satisfies type checkers
        return encode_export_response(signal, result.rejected, result.error_message, Encoding.PROTOBUF)

    handler: Any = grpc.unary_unary_rpc_method_handler(export)
    return grpc.method_handlers_generic_handler(name, {"Export": handler})


def metadata_value(context: grpc.ServicerContext, key: str) -> str | None:
    for name, value in context.invocation_metadata() or ():
        if name == key:
            return value if isinstance(value, str) else value.decode()
    return None


def status_of(exc: TracechatError) -> status_pb2.Status:
    """The gRPC status of an error: its code, its message, ``RetryInfo`` when retryable."""
    status = status_pb2.Status(code=exc.grpc_code.value[0], message=exc.message)
    if exc.retry_after is not None:
        detail = any_pb2.Any()
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(int(exc.retry_after * 1000))
        detail.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        status.details.append(detail)
    return status
