"""What every answer of the API and viewer carries for the browser's sake, and which Host
names an open-mode server answers.

- Headers: a CSP that lets pages run only this server's own scripts and never be framed,
  ``nosniff``, ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``), and
  ``Referrer-Policy: no-referrer`` (trace ids in URLs stay here). A route that sets its own
  CSP (referenced content, ``content_headers``) keeps it.
- ``/docs`` (Swagger UI from fastapi-offline's local files) starts with one inline script:
  its CSP allows that script by its SHA-256, computed from the page as served.
- Open mode answers only loopback Host names: a page on another site that rebinds its DNS
  name to 127.0.0.1 reaches the port, but its requests carry its own name (DNS rebinding).
  A closed server needs a key for everything that matters, so it answers any Host.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import json
import re
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracechat.api.errors import error_body

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CONTENT_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"
"""Referenced content: a document that cannot run script, load anything or be framed."""
RASTER_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""The only types referenced content is shown inline as: images no browser can script."""

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def content_headers(media_type: str, ref: str) -> dict[str, str]:
    """Headers of referenced content (its type is whatever a span claimed): raster images
    inline, everything else as a download; always sandboxed and never sniffed."""
    essence = media_type.split(";", 1)[0].strip().lower()
    disposition = "inline" if essence in RASTER_IMAGES else "attachment"
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", ref)[:200]
    return {
        "Content-Security-Policy": CONTENT_CSP,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'{disposition}; filename="{filename}"',
    }


@functools.lru_cache(maxsize=256)
def is_loopback_host(host: str) -> bool:
    """Whether a Host header (with or without a port) names this machine's loopback.
    Remembered for the last few names: every request asks, and asks for the same one or two."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else ""
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class SecurityHeaders:
    """ASGI middleware: the headers above on every answer, and the Host rule of open mode
    (``open_mode`` is asked per request: a server may have no keys yet)."""

    def __init__(self, app: ASGIApp, open_mode: Callable[[], bool], docs_path: str | None = "/docs") -> None:
        self.app = app
        self.open_mode = open_mode
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if host is not None and not is_loopback_host(host) and self.open_mode():
            await _misdirected(send, host)
            return
        if scope["path"] == self.docs_path:
            await self.app(scope, receive, _DocsPage(send))
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _secured(list(message.get("headers", [])), PAGE_CSP)
            await send(message)

        await self.app(scope, receive, with_headers)


class _DocsPage:
    """Holds the /docs page back until its body is whole, to hash its inline script."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._start: Message | None = None
        self._body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self._body)
        hashes = " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
            for script in _INLINE_SCRIPT.findall(body)
        )
        policy = PAGE_CSP.replace("script-src 'self'", f"script-src 'self' {hashes}".rstrip())
        # Swagger UI's own stylesheet sets inline styles on the elements it renders.
        policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        headers = [(k, v) for k, v in self._start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self._send({**self._start, "headers": _secured(headers, policy)})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


def _secured(headers: list[tuple[bytes, bytes]], policy: str) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    added = [(name, value) for name, value in _COMMON if name not in present]
    if b"content-security-policy" not in present:
        added.append((b"content-security-policy", policy.encode()))
    return headers + added


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _misdirected(send: Send, host: str) -> None:
    message = (
        f"this server is in open mode (no API keys) and answers only loopback host names "
        f"(localhost, 127.0.0.1, [::1]), not {host[:100]!r}; create a key to serve other names"
    )
    body = json.dumps(error_body("misdirected_request", message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *_COMMON]
    await send({"type": "http.response.start", "status": 421, "headers": headers})
    await send({"type": "http.response.body", "body": body})
