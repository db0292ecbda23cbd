"""One error tree for the whole service.

Every error knows the HTTP status and the gRPC code it maps to, so an edge (HTTP route,
gRPC servicer) turns any of them into the right answer without a table of its own.
Retryable errors carry ``retry_after`` seconds: OTLP clients retry only on those.
"""

from __future__ import annotations

import grpc


class TracechatError(Exception):
    """Base of every error the service raises on purpose."""

    http_status: int = 500
    grpc_code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    code: str = "internal_error"
    retry_after: float | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(TracechatError):
    """The request cannot be understood: bad encoding, bad ids, missing fields."""

    http_status = 400
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT
    code = "invalid_input"


class InvalidRequest(InvalidInput):
    """A well-formed request whose fields or parameters the route does not take."""

    http_status = 422
    code = "invalid_request"


class UnsupportedMediaType(InvalidInput):
    """A content type or content encoding the receiver does not speak."""

    http_status = 415
    code = "unsupported_media_type"


class PayloadTooLarge(InvalidInput):
    """The (decompressed) request is over the configured limit."""

    http_status = 413
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED
    code = "payload_too_large"


class TraceTooLarge(InvalidInput):
    """The trace has more spans than one read may take (``TRACECHAT_TRAJECTORY_MAX_SPANS``)."""

    http_status = 422
    code = "trace_too_large"

    @classmethod
    def check(cls, trace_id: str, span_count: int, max_spans: int | None) -> None:
        """Refuse a read of ``span_count`` spans beyond ``max_spans`` (None: no bound)."""
        if max_spans is not None and span_count > max_spans:
            raise cls(
                f"trace {trace_id} has {span_count} spans, more than the {max_spans} one read may "
                "take (TRACECHAT_TRAJECTORY_MAX_SPANS)"
            )


class Unauthenticated(TracechatError):
    """Credentials are missing or do not match a key."""

    http_status = 401
    grpc_code = grpc.StatusCode.UNAUTHENTICATED
    code = "unauthenticated"


class PermissionDenied(TracechatError):
    """The key is valid but may not touch that project."""

    http_status = 403
    grpc_code = grpc.StatusCode.PERMISSION_DENIED
    code = "permission_denied"


class NotFound(TracechatError):
    """The thing asked for does not exist in the caller's project."""

    http_status = 404
    grpc_code = grpc.StatusCode.NOT_FOUND
    code = "not_found"


class MethodNotAllowed(TracechatError):
    """The path exists, but not for this method."""

    http_status = 405
    grpc_code = grpc.StatusCode.UNIMPLEMENTED
    code = "method_not_allowed"


class Unsupported(TracechatError):
    """The store this server runs on cannot do that yet (the Iceberg store: full-text
    statistics, export while serving)."""

    http_status = 501
    grpc_code = grpc.StatusCode.UNIMPLEMENTED
    code = "unsupported"


class Retryable(TracechatError):
    """Nothing was stored; the same request may succeed later."""

    http_status = 503
    grpc_code = grpc.StatusCode.UNAVAILABLE
    code = "unavailable"

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Overloaded(Retryable):
    """The write queue is full: back off and retry (OTLP backpressure)."""

    http_status = 429
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED
    code = "overloaded"


class StorageUnavailable(Retryable):
    """The store failed to commit (disk full, I/O error, shutting down)."""

    code = "storage_unavailable"


class CatalogUnavailable(StorageUnavailable):
    """The Iceberg store's PostgreSQL (catalog, trace index, chats, keys) cannot be reached,
    or dropped the connection (restarted): nothing was stored; the same request may succeed
    once it is back, on the same node (connections are re-made when taken)."""

    def __init__(self, message: str, retry_after: float = 5.0) -> None:
        super().__init__(message, retry_after)


class StoreCorrupted(StorageUnavailable):
    """The database file is damaged: nothing more is written to it until it is restored.
    Retryable, so clients keep what they hold (a long delay: it takes a person)."""

    code = "store_corrupt"

    def __init__(self, message: str, retry_after: float = 60.0) -> None:
        super().__init__(message, retry_after)


class ReadInterrupted(Retryable):
    """A read was stopped while it ran (its client left); nothing is wrong with the trace."""

    code = "read_interrupted"


class ReadTimedOut(ReadInterrupted):
    """A read ran past TRACECHAT_READ_TIMEOUT_S and was stopped; a narrower read may succeed."""

    http_status = 504
    grpc_code = grpc.StatusCode.DEADLINE_EXCEEDED
    code = "read_timeout"


class StoreVersionError(TracechatError):
    """The database file was written by a schema this build cannot open."""

    code = "store_version"
