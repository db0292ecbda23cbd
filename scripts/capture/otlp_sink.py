"""A tiny OTLP/HTTP receiver that saves every export request body, in arrival order.

Stdlib only. Listens on 127.0.0.1 (ephemeral port unless --port is given), prints
``PORT <n>`` on its first stdout line, and accepts:

* ``POST /v1/traces``  -> ``NNNN.traces.pb``
* ``POST /v1/logs``    -> ``NNNN.logs.pb``
* ``POST /v1/metrics`` -> acknowledged and dropped (not part of the samples)

``NNNN`` is one counter over traces and logs, so the files sort in arrival order. Bodies
sent with ``Content-Encoding: gzip`` (or ``deflate``) are saved decompressed; otherwise the
bytes are saved exactly as sent. An OTLP/JSON body (``Content-Type: application/json``) is
saved as ``.json`` instead of ``.pb``. The answer is an empty
``ExportTraceServiceResponse`` / ``ExportLogsServiceResponse`` (zero bytes of protobuf,
``Content-Type: application/x-protobuf``; ``{}`` for JSON).
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler
from typing import Any

from http_body import read_body, serve  # a sibling: these run as scripts

KINDS = {"/v1/traces": "traces", "/v1/logs": "logs", "/v1/metrics": "metrics"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "otlp-sink/1.0"
    out_dir = "."
    lock = threading.Lock()
    counter = 0

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write("otlp_sink: " + (format % args) + "\n")

    def _reply(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        kind = KINDS.get(path)
        raw = read_body(self)
        if kind is None:
            self._reply(404, b"not found", "text/plain")
            return
        encoding = (self.headers.get("Content-Encoding") or "").strip().lower()
        try:
            if encoding == "gzip":
                raw = gzip.decompress(raw)
            elif encoding == "deflate":
                raw = zlib.decompress(raw)
            elif encoding not in ("", "identity"):
                self._reply(415, f"unsupported encoding {encoding}".encode(), "text/plain")
                return
        except (OSError, zlib.error) as exc:
            self._reply(400, f"bad {encoding} body: {exc}".encode(), "text/plain")
            return
        is_json = (self.headers.get("Content-Type") or "").lower().startswith("application/json")
        if kind != "metrics":
            with Handler.lock:
                Handler.counter += 1
                name = f"{Handler.counter:04d}.{kind}.{'json' if is_json else 'pb'}"
                with open(os.path.join(self.out_dir, name), "wb") as f:
                    f.write(raw)
            sys.stderr.write(f"otlp_sink: saved {name} ({len(raw)} bytes)\n")
        if is_json:
            self._reply(200, b"{}", "application/json")
        else:
            # An empty Export*ServiceResponse serializes to zero bytes.
            self._reply(200, b"", "application/x-protobuf")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    Handler.out_dir = args.out_dir
    serve(Handler, args.port)


if __name__ == "__main__":
    main()
