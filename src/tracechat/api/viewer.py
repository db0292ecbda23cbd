"""The trajectory viewer: static files shipped in the package, no build step, no CDN."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

VIEWER = files("tracechat") / "viewer"
router = APIRouter(include_in_schema=False)


def _page() -> HTMLResponse:
    return HTMLResponse((VIEWER / "index.html").read_text(encoding="utf-8"))


@router.get("/")
def traces_page() -> HTMLResponse:
    return _page()


@router.get("/traces/{trace_id}")
def trace_page(trace_id: str) -> HTMLResponse:
    return _page()


@router.get("/sessions")
def sessions_page() -> HTMLResponse:
    return _page()


@router.get("/sessions/{session_id:path}")
def session_page(session_id: str) -> HTMLResponse:
    return _page()


@router.get("/chat")
def chat_page() -> HTMLResponse:
    return _page()


@router.get("/chat/{chat_id}")
def chat_thread_page(chat_id: str) -> HTMLResponse:
    return _page()


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/viewer", StaticFiles(directory=str(VIEWER)), name="viewer")
