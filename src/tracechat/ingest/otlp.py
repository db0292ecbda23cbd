"""Pure, paired codecs for OTLP export requests and responses (protobuf and OTLP/JSON).

OTLP/JSON differs from the proto3 JSON mapping in one way that matters: trace and span ids
are hex strings, not base64. ``decode_*`` rewrites them before handing the document to the
protobuf JSON parser, which already accepts lowerCamelCase keys, integer enums, int64 as
strings or numbers, and (with ``ignore_unknown_fields``) fields from newer protocol versions.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess as PB2LogsPartialSuccess,
)
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest as PB2LogsRequest,
)
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceResponse as PB2LogsResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess as PB2TracePartialSuccess,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest as PB2TraceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse as PB2TraceResponse,
)

from tracechat.errors import InvalidInput

M = TypeVar("M", bound=Message)


class Encoding(enum.Enum):
    """How a request body (and so its response) is encoded."""

    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"


class Signal(enum.Enum):
    TRACES = "traces"
    LOGS = "logs"


def decode_trace_request(body: bytes, encoding: Encoding) -> PB2TraceRequest:
    if encoding is Encoding.PROTOBUF:
        return _parse_protobuf(body, PB2TraceRequest())
    document = _load_json(body)
    _hex_ids_to_base64(document, "resourceSpans", "scopeSpans", "spans", link_key="links")
    return _parse_json(document, PB2TraceRequest())


def decode_logs_request(body: bytes, encoding: Encoding) -> PB2LogsRequest:
    if encoding is Encoding.PROTOBUF:
        return _parse_protobuf(body, PB2LogsRequest())
    document = _load_json(body)
    _hex_ids_to_base64(document, "resourceLogs", "scopeLogs", "logRecords", link_key=None)
    return _parse_json(document, PB2LogsRequest())


def encode_export_response(signal: Signal, rejected: int, message: str, encoding: Encoding) -> bytes:
    """The ``Export*ServiceResponse``; ``partial_success`` only when something was rejected."""
    response: PB2TraceResponse | PB2LogsResponse
    if signal is Signal.TRACES:
        response = PB2TraceResponse()
        if rejected or message:
            response.partial_success.CopyFrom(PB2TracePartialSuccess(rejected_spans=rejected, error_message=message))
    else:
        response = PB2LogsResponse()
        if rejected or message:
            response.partial_success.CopyFrom(
                PB2LogsPartialSuccess(rejected_log_records=rejected, error_message=message)
            )
    if encoding is Encoding.PROTOBUF:
        return response.SerializeToString()
    return json_format.MessageToJson(response, indent=None).encode()


def encode_trace_request(request: PB2TraceRequest, encoding: Encoding) -> bytes:
    """The inverse of ``decode_trace_request`` (ids as hex in JSON, as OTLP requires)."""
    if encoding is Encoding.PROTOBUF:
        return request.SerializeToString()
    document = json_format.MessageToDict(request)
    _base64_ids_to_hex(document, "resourceSpans", "scopeSpans", "spans", link_key="links")
    return json.dumps(document).encode()


def encode_logs_request(request: PB2LogsRequest, encoding: Encoding) -> bytes:
    if encoding is Encoding.PROTOBUF:
        return request.SerializeToString()
    document = json_format.MessageToDict(request)
    _base64_ids_to_hex(document, "resourceLogs", "scopeLogs", "logRecords", link_key=None)
    return json.dumps(document).encode()


def _parse_protobuf(body: bytes, message: M) -> M:
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise InvalidInput(f"request body is not a valid OTLP protobuf message: {exc}") from None
    return message


def _load_json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        # protobuf reads at most 100 nested messages anyway (json_format's own bound)
        raise InvalidInput(
            "request body is nested deeper than the JSON parser follows (OTLP/JSON nests at most 100 messages)"
        ) from None
    if not isinstance(document, dict):
        raise InvalidInput("request body must be a JSON object")
    return document


def _parse_json(document: dict[str, Any], message: M) -> M:
    try:
        return json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise InvalidInput(f"request body is not valid OTLP/JSON: {exc}") from None


IdConverter = Callable[[str, str], str]
"""(id text, where it is in the document) → the id in the other text form."""

_ID_KEYS = (
    ("traceId", "trace_id"),
    ("spanId", "span_id"),
    ("parentSpanId", "parent_span_id"),
)


def _records(document: dict[str, Any], outer: str, middle: str, inner: str) -> list[tuple[str, dict[str, Any]]]:
    """Every record dict (span or log record) with a path that names it in errors."""
    found = []
    for i, resource in enumerate(_list_at(document, outer)):
        for j, scope in enumerate(_list_at(resource, middle)):
            for k, record in enumerate(_list_at(scope, inner)):
                if isinstance(record, dict):
                    found.append((f"{outer}[{i}].{middle}[{j}].{inner}[{k}]", record))
    return found


def _list_at(node: Any, camel: str) -> list[Any]:
    if not isinstance(node, dict):
        return []
    value = node.get(camel, node.get(_snake(camel)))
    return value if isinstance(value, list) else []


def _snake(camel: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in camel)


def _hex_ids_to_base64(document: dict[str, Any], outer: str, middle: str, inner: str, link_key: str | None) -> None:
    _convert_ids(document, outer, middle, inner, link_key, _hex_to_base64)


def _base64_ids_to_hex(document: dict[str, Any], outer: str, middle: str, inner: str, link_key: str | None) -> None:
    _convert_ids(document, outer, middle, inner, link_key, _base64_to_hex)


def _convert_ids(
    document: dict[str, Any], outer: str, middle: str, inner: str, link_key: str | None, convert: IdConverter
) -> None:
    for path, record in _records(document, outer, middle, inner):
        _rewrite_ids(record, path, convert)
        if link_key:
            for n, link in enumerate(_list_at(record, link_key)):
                if isinstance(link, dict):
                    _rewrite_ids(link, f"{path}.{link_key}[{n}]", convert)


def _rewrite_ids(record: dict[str, Any], path: str, convert: IdConverter) -> None:
    for camel, snake in _ID_KEYS:
        for key in (camel, snake):
            value = record.get(key)
            if isinstance(value, str) and value:
                record[key] = convert(value, f"{path}.{camel}")


def _hex_to_base64(value: str, where: str) -> str:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise InvalidInput(f"{where} is not a hexadecimal id: {value[:80]!r}") from None
    return base64.b64encode(raw).decode()


def _base64_to_hex(value: str, where: str) -> str:
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{where} is not base64: {value[:80]!r}") from None
