"""One JSON error body for every API error: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tracechat.errors import TracechatError


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

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
        )
        return JSONResponse(
            error_body("invalid_request", problems or "invalid request"),
            status_code=422,
        )
