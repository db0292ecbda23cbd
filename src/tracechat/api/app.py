"""The FastAPI application of port 8000."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from tracechat import __version__
from tracechat.api import agents, chat, chats, exports, ops, sessions, traces, trajectories, viewer
from tracechat.api.body_limit import BodyLimit
from tracechat.api.errors import ERROR_RESPONSES, install_error_handlers
from tracechat.api.reads import ReadCapacity
from tracechat.api.security import SecurityHeaders
from tracechat.api.turns import TurnCapacity

if TYPE_CHECKING:
    from tracechat.app import Service


DOCS = "/docs"


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
