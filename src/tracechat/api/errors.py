"""One JSON error body for every API error: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import math
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from tracechat.errors import TracechatError


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """What every API error answers with."""

    error: ErrorDetail


_ERRORS: dict[int, str] = {
    400: "The request is malformed",
    401: "Authentication is required or failed",
    403: "The key may not read or write this project",
    404: "No such trace, span, content, chat or agent in this project",
    413: "The request body is too large",
    422: "A field is missing or invalid, or the trace is too large to read (trace_too_large)",
    429: "Rate limited, or too many assistant turns running (overloaded); retry after the Retry-After header",
    503: "Temporarily unavailable (storage full or write queue saturated); retry after the Retry-After header",
    504: "The trace read ran past TRACECHAT_READ_TIMEOUT_S and was stopped (read_timeout)",
}
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description} for status, description in _ERRORS.items()
}
"""The error answers any API route may give, documented once for the OpenAPI schema."""


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TracechatError)
    async def tracechat_error(request: Request, exc: TracechatError) -> JSONResponse:
        headers: dict[str, str] = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        if exc.http_status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="tracechat", Bearer'
        return JSONResponse(
            error_body(exc.code, exc.message),
            status_code=exc.http_status,
            headers=headers,
        )

    @app.exception_handler(HTTPException)
    async def framework_error(request: Request, exc: HTTPException) -> JSONResponse:
        """Errors the framework raises itself (unparseable body, unknown route, wrong method)."""
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
        )
        return JSONResponse(
            error_body("invalid_request", problems or "invalid request"),
            status_code=422,
        )
