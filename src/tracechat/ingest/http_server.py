"""OTLP/HTTP: ``POST /v1/traces`` and ``POST /v1/logs``, protobuf or JSON, gzip or deflate.

Answers in the request's encoding. Errors carry a ``google.rpc.Status`` body (as the OTLP
spec asks) in that encoding too; retryable ones (429, 503) carry ``Retry-After``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from google.protobuf import json_format
from google.rpc import status_pb2
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from tracechat.errors import (
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    TracechatError,
    UnsupportedMediaType,
)
from tracechat.ingest.compression import MAX_MEMBERS, MAX_SECONDS, decompress
from tracechat.ingest.otlp import Encoding, Signal, encode_export_response
from tracechat.ingest.receiver import Receiver

_MEDIA_TYPES = {
    "application/x-protobuf": Encoding.PROTOBUF,
    "application/protobuf": Encoding.PROTOBUF,
    "application/json": Encoding.JSON,
}


def otlp_http_app(receiver: Receiver, max_request_bytes: int, limits: InflateLimits | None = None) -> Starlette:
    inflate_limits = limits or InflateLimits()

    async def traces(request: Request) -> Response:
        return await _export(request, Signal.TRACES)

    async def logs(request: Request) -> Response:
        return await _export(request, Signal.LOGS)

    async def _export(request: Request, signal: Signal) -> Response:
        encoding = Encoding.PROTOBUF
        try:
            encoding = _encoding(request.headers.get("content-type"))
            body = await _read_body(request, max_request_bytes)
            # Inflated in a worker thread after the key is checked: a bomb never holds the
            # event loop, and only a known caller gets to spend CPU on one.
            inflate = functools.partial(
                decompress,
                content_encoding=request.headers.get("content-encoding"),
                limit=max_request_bytes,
                max_members=inflate_limits.max_members,
                max_seconds=inflate_limits.max_seconds,
            )
            authorization = request.headers.get("authorization")
            result = await receiver.export_async(signal, body, encoding, authorization, "http", inflate)
        except TracechatError as exc:
            return error_response(exc, encoding)
        payload = encode_export_response(signal, result.rejected, result.error_message, encoding)
        return Response(payload, media_type=encoding.value)

    async def metrics(request: Request) -> Response:
        # The OTel SDKs export metrics to the same endpoint as traces: tell them plainly.
        refusal = NotFound(f"tracechat does not collect metrics; it serves {SERVED}")
        return error_response(refusal, _answer_encoding(request))

    routes = [
        Route("/v1/traces", traces, methods=["POST"]),
        Route("/v1/logs", logs, methods=["POST"]),
        Route("/v1/metrics", metrics, methods=["POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: _no_such_path, 405: _wrong_method})


@dataclass(frozen=True, slots=True)
class InflateLimits:
    max_members: int = MAX_MEMBERS
    max_seconds: float = MAX_SECONDS


SERVED = "POST /v1/traces and POST /v1/logs"


async def _no_such_path(request: Request, exc: Exception) -> Response:
    refusal = NotFound(f"no OTLP endpoint at {request.url.path}; this receiver serves {SERVED}")
    return error_response(refusal, _answer_encoding(request))


async def _wrong_method(request: Request, exc: Exception) -> Response:
    refusal = MethodNotAllowed(f"{request.method} {request.url.path} is not served; this receiver serves {SERVED}")
    return error_response(refusal, _answer_encoding(request))


def _answer_encoding(request: Request) -> Encoding:
    """The request's encoding when it names one; else JSON, which a person can read."""
    media_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    return _MEDIA_TYPES.get(media_type, Encoding.JSON)


def _encoding(content_type: str | None) -> Encoding:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    encoding = _MEDIA_TYPES.get(media_type)
    if encoding is None:
        raise UnsupportedMediaType(
            f"Content-Type {content_type!r} is not supported; send application/x-protobuf or application/json"
        )
    return encoding


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body of {declared} bytes is larger than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or closed for stalling: nobody reads the answer
        raise InvalidInput(f"the connection closed after {size} bytes of the request body") from None
    return b"".join(chunks)


def error_response(exc: TracechatError, encoding: Encoding) -> Response:
    status = status_pb2.Status(code=exc.grpc_code.value[0], message=exc.message)
    if encoding is Encoding.JSON:
        body = json_format.MessageToJson(status, indent=None).encode()
    else:
        body = status.SerializeToString()
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return Response(body, status_code=exc.http_status, media_type=encoding.value, headers=headers)
