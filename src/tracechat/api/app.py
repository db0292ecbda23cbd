"""The FastAPI application of port 8000."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Receive, Scope, Send

from tracechat import __version__
from tracechat.api import agents, chat, chats, exports, ops, sessions, traces, trajectories, viewer
from tracechat.api.body_limit import BodyLimit
from tracechat.api.errors import ERROR_RESPONSES, error_body, install_error_handlers
from tracechat.api.reads import ReadCapacity
from tracechat.api.security import SecurityHeaders
from tracechat.api.turns import TurnCapacity

if TYPE_CHECKING:
    from tracechat.app import Service


DOCS = "/docs"


INGEST_PATHS = frozenset({"/healthz", "/metrics"})
"""What the API port of an ingest node (``--role ingest``) serves."""


class IngestOnly:
    """The API port of an ingest node: health and metrics, and for anything else a 404 that
    says where the API is."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in INGEST_PATHS:
            await self._app(scope, receive, send)
            return
        message = (
            "this node runs --role ingest: it receives OTLP and serves /healthz and /metrics only; "
            "the API, the viewer and the chat are on the nodes of --role query or all"
        )
        await JSONResponse(error_body("not_found", message), status_code=404)(scope, receive, send)


def create_api(service: Service) -> FastAPI:
    # /docs from the Swagger UI files that fastapi-offline ships, not from a CDN, so it works
    # with no internet. No /redoc: ReDoc's bundle always loads its logo from its CDN.
    app = FastAPIOffline(
        docs_url=DOCS,
        redoc_url=None,
        title="tracechat",
        version=__version__,
        summary="Agent trajectories from OpenTelemetry spans, and an assistant that reads them.",
    )
    app.state.service = service
    install_error_handlers(app)
    app.include_router(ops.router, responses=ERROR_RESPONSES)
    if service.settings.role == "ingest":
        app.add_middleware(IngestOnly)
        app.add_middleware(SecurityHeaders, open_mode=lambda: service.keys.open_mode, docs_path=None)
        return app
    app.include_router(traces.router, responses=ERROR_RESPONSES)
    app.include_router(sessions.router, responses=ERROR_RESPONSES)
    app.include_router(trajectories.router, responses=ERROR_RESPONSES)
    app.include_router(exports.router, responses=ERROR_RESPONSES)
    app.include_router(chats.router, responses=ERROR_RESPONSES)
    app.include_router(chat.router, responses=ERROR_RESPONSES)
    app.include_router(agents.router, responses=ERROR_RESPONSES)
    viewer.mount(app)
    # Outermost last: the Host and the key and the body's size are checked before a read is relayed.
    reads = service.settings.read_concurrency
    prefixes = ("/agents/traces", "/agents/sessions")
    timeout = service.settings.read_timeout_s
    app.add_middleware(ReadCapacity, prefixes=prefixes, concurrency=reads, timeout_s=timeout, metrics=service.metrics)
    settings = service.settings
    app.add_middleware(TurnCapacity, concurrency=settings.chat_concurrency, metrics=service.metrics)
    histories = dict.fromkeys(("/api/v1/chat", "/api/agents"), settings.chat_max_body_bytes)  # chats too
    app.add_middleware(BodyLimit, keys=lambda: service.keys, limit=settings.api_max_body_bytes, per_route=histories)
    app.add_middleware(SecurityHeaders, open_mode=lambda: service.keys.open_mode, docs_path=DOCS)
    return app
