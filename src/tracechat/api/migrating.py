"""What port 8000 answers while the store is being opened (a schema migration can take
minutes): ``/healthz`` and every API path say "migrating, N% done" (503, Retry-After), the
viewer's page says it too and reloads until the real service answers."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tracechat import __version__
from tracechat.migration import MigrationStatus

RETRY_AFTER_S = 2


class Switch:
    """An ASGI app that hands every request to ``target``, which can be replaced."""

    def __init__(self, target: ASGIApp) -> None:
        self.target = target

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.target(scope, receive, send)


def migrating_app(status: MigrationStatus) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        response = _answer(Request(scope, receive), status)
        await response(scope, receive, send)

    return app


def _answer(request: Request, status: MigrationStatus) -> Response:
    message = status.message() if status.active else "starting"
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    path = request.url.path
    if path == "/healthz":
        body = {"status": "migrating" if status.active else "starting", "version": __version__}
        return JSONResponse({**body, "message": message, "percent": status.percent}, 503, headers)
    if (
        path == "/"
        or path.startswith(("/traces", "/sessions", "/chat"))
        or "text/html" in request.headers.get("accept", "")
    ):
        page = (
            f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="{RETRY_AFTER_S}">'
            f"<title>tracechat: {html.escape(message)}</title></head><body><h1>tracechat</h1>"
            f"<p>The store is being prepared: {html.escape(message)}. This page reloads by itself.</p></body></html>"
        )
        return HTMLResponse(page, 503, headers)
    return JSONResponse({"error": {"code": "migrating", "message": message}}, 503, headers)
