"""Request bodies on the API: read only from a caller whose key is valid, and only up to the
route's limit, counted while reading (the framework reads whole bodies before any check).

Pure ASGI, outside the routes: a body over the limit is cut off where it passes it (the
application then sees the client as gone) and the answer is 413 whatever the application
made of that. OTLP/HTTP keeps its own limit (``max_request_bytes``) on its own port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracechat.api.errors import error_body
from tracechat.auth.keys import KeyRing
from tracechat.errors import PayloadTooLarge, TracechatError


class BodyLimit:
    def __init__(
        self, app: ASGIApp, keys: Callable[[], KeyRing], limit: int, per_route: Mapping[str, int] | None = None
    ) -> None:
        self._app = app
        self._keys = keys
        self._limit = limit
        self._per_route = dict(per_route or {})

    def limit_for(self, path: str) -> int:
        """The longest matching path prefix's limit, else the default."""
        matches = [prefix for prefix in self._per_route if path.startswith(prefix)]
        return self._per_route[max(matches, key=len)] if matches else self._limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_have_body(scope):
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(scope["path"])
        try:
            self._keys().authenticate(headers.get("authorization"))  # before a byte of the body
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(limit)
        except TracechatError as refused:
            await _refusal(refused)(scope, receive, send)
            return
        await _Limited(self._app, limit)(scope, receive, send)


class _Limited:
    """One request: counts body bytes as the application receives them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._limit = limit
        self._read = 0
        self._over = False
        self._answered = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted_receive() -> Message:
            if self._over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self._read += len(message.get("body", b""))
                if self._read > self._limit:
                    self._over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if self._over:
                await self._answer(scope, receive, send)
                return  # whatever the application answered to a body cut short
            await send(message)

        try:
            await self._app(scope, counted_receive, guarded_send)
        except Exception:
            if not self._over:
                raise
        if self._over:
            await self._answer(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._answered:
            self._answered = True
            await _refusal(_too_large(self._limit))(scope, receive, send)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is larger than this route's limit of {limit} bytes")


def _refusal(exc: TracechatError) -> JSONResponse:
    headers = {"Connection": "close"}  # the rest of the body is not read
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="tracechat", Bearer'
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.http_status, headers=headers)


def _may_have_body(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    return "transfer-encoding" in headers or headers.get("content-length", "0") != "0"
