"""What the capture tools' two stdlib HTTP servers share: reading a request body, and
serving on a loopback port until interrupted."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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


def serve(handler: type[BaseHTTPRequestHandler], port: int) -> None:
    """Serve on 127.0.0.1:``port`` (0: a free one), announcing the port as ``PORT n`` on
    stdout for capture.py, until interrupted."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
