"""Figures for docs/reliability.md's network and resource attacks (issue 14): how long a
gzip member bomb takes to inflate and to be refused, and what unauthenticated oversized API
bodies cost a server's memory. Run: .venv/bin/python bench/attacks.py"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.test_attacks_network import EMPTY_MEMBER, _peak_rss_kb, _send_body
from tests.servers import ChildServer

from tracechat.auth.keys import KeyRing
from tracechat.errors import TracechatError
from tracechat.ingest.compression import decompress


def main() -> None:
    data = Path(tempfile.mkdtemp()) / "data"
    bomb = EMPTY_MEMBER * 300_000
    started = time.perf_counter()
    try:
        decompress(bomb, "gzip", 64 << 20, max_members=10**9, max_seconds=600)
    except TracechatError as exc:
        print(exc)
    print(f"300,000 empty gzip members inflated with no member cap: {time.perf_counter() - started:.2f} s")
    key = KeyRing(data / "keys.json").create(project="shop", admin=False)
    server = ChildServer.start(data)
    try:
        headers = {
            "Content-Type": "application/x-protobuf",
            "Content-Encoding": "gzip",
            "Authorization": f"Bearer {key.token}",
        }
        started = time.perf_counter()
        answer = httpx.post(f"{server.otlp_http}/v1/traces", content=bomb, headers=headers, timeout=60)
        print(f"the bomb over OTLP/HTTP: {answer.status_code} in {(time.perf_counter() - started) * 1000:.0f} ms")
        before = _peak_rss_kb(server.process.pid)
        chat = "POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        for _ in range(4):
            _send_body(server.ports.api, f"{chat}Content-Length: {384 << 20}\r\n\r\n", 384 << 20)
        after = _peak_rss_kb(server.process.pid)
        print(f"peak RSS {before / 1024:.0f} MB, after four unauthenticated 384 MiB chat bodies {after / 1024:.0f} MB")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
