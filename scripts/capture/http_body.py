"""Reading a request body in the capture tools' stdlib HTTP servers."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, with Content-Length or Transfer-Encoding: chunked (node sends that)."""
    if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
        out = bytearray()
        for _ in range(1_000_000):  # bounded: at most this many chunks
            size_line = handler.rfile.readline(65537)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline(65537).strip():  # trailers up to the blank line
                    pass
                break
            out += handler.rfile.read(size)
            handler.rfile.readline(65537)  # CRLF after the chunk
        return bytes(out)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""
