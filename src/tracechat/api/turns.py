"""Assistant turns (POST /api/v1/chat, POST /api/agents/{id}/chat): a few at a time.

A turn holds an API thread for as long as the model and its trace-reading tools take (many
seconds), so sixteen of them would hold every thread and leave trace reads waiting. At most
``concurrency`` turns run; past that a turn is refused at once with 429 overloaded and a
Retry-After (a queued turn would only wait out a model call the client cannot see), which
leaves the other API threads to trace reads, and /healthz and ingest their own capacity.

Pure ASGI, around the whole response, so a streamed turn keeps its place until its stream ends.
"""

from __future__ import annotations

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tracechat.api.errors import error_body
from tracechat.errors import Overloaded
from tracechat.metrics import Metrics


def is_turn(scope: Scope) -> bool:
    path: str = scope["path"]
    return scope["method"] == "POST" and (
        path.rstrip("/") == "/api/v1/chat" or (path.startswith("/api/agents/") and path.rstrip("/").endswith("/chat"))
    )


class TurnCapacity:
    def __init__(self, app: ASGIApp, concurrency: int, metrics: Metrics) -> None:
        self._app = app
        self._concurrency = concurrency
        self._metrics = metrics
        self._limiter: anyio.CapacityLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_turn(scope):
            await self._app(scope, receive, send)
            return
        if self._limiter is None:  # made on the event loop that serves it
            self._limiter = anyio.CapacityLimiter(self._concurrency)
        try:
            self._limiter.acquire_nowait()
        except anyio.WouldBlock:
            self._metrics.turns_refused.inc()
            refused = Overloaded(
                f"{self._concurrency} assistant turns are already running (TRACECHAT_CHAT_CONCURRENCY); retry",
                retry_after=2.0,
            )
            headers = {"Retry-After": "2"}
            await JSONResponse(error_body(refused.code, refused.message), refused.http_status, headers)(
                scope, receive, send
            )
            return
        try:
            with self._metrics.turns_in_progress.track_inprogress():
                await self._app(scope, receive, send)
        finally:
            self._limiter.release()
