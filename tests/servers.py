"""Real tracechat servers for tests: in this process (on a private event loop thread) or as
a child process that a test may SIGKILL."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from tracechat.app import Ports, RunningServer
from tracechat.auth.keys import Clock
from tracechat.config import Settings


def settings_for_test(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir, "grpc_port": 0, "otlp_http_port": 0, "port": 0}
    values.update(overrides)
    return Settings(**values)


class _Endpoints:
    ports: Ports

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self.ports.grpc}"

    @property
    def otlp_http(self) -> str:
        return f"http://127.0.0.1:{self.ports.otlp_http}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"


class InProcessServer(_Endpoints):
    """``RunningServer`` on an event loop of its own thread, so tests can call it synchronously."""

    def __init__(self, settings: Settings, *, clock: Clock = time.monotonic) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-server-loop", daemon=True)
        self._thread.start()
        try:
            self.running: RunningServer = self._call(RunningServer.start(settings, clock=clock))
        except BaseException:
            self._shutdown_loop()
            raise
        self.ports: Ports = self.running.ports
        self.service = self.running.service

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(60)

    def stop(self) -> None:
        self._call(self.running.stop())
        self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


_PORT_LINES = {
    "grpc": re.compile(r"OTLP/gRPC\s+\S+:(\d+)"),
    "otlp_http": re.compile(r"OTLP/HTTP\s+http://\S+:(\d+)/"),
    "api": re.compile(r"API\s+http://\S+:(\d+)/"),
}


@dataclass
class ChildServer(_Endpoints):
    """``tracechat serve`` as a child process, ports read from what it prints at start."""

    process: subprocess.Popen[str]
    ports: Ports
    output: list[str]
    drain: threading.Thread | None = None

    @classmethod
    def start(
        cls,
        data_dir: Path,
        *extra: str,
        env: dict[str, str] | None = None,
        timeout: float = 60,
        open_files: int | None = None,
    ) -> ChildServer:
        """``open_files``: the child's RLIMIT_NOFILE, soft and hard (so it cannot raise it)."""
        command = [sys.executable, "-m", "tracechat", "serve", "--data-dir", str(data_dir)]
        command += ["--grpc-port", "0", "--otlp-http-port", "0", "--port", "0", *extra]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
            preexec_fn=None if open_files is None else functools.partial(_limit_open_files, open_files),
        )
        assert process.stdout is not None
        output: list[str] = []
        found: dict[str, int] = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(_PORT_LINES):
            line = _readline(process.stdout, deadline)
            if line is None:
                process.kill()
                process.wait(30)
                process.stdout.close()
                raise RuntimeError("server did not start:\n" + "".join(output))
            output.append(line)
            for name, pattern in _PORT_LINES.items():
                match = pattern.search(line)
                if match:
                    found[name] = int(match.group(1))
        drain = threading.Thread(target=_drain, args=(process.stdout, output), daemon=True)
        drain.start()
        server = cls(process, Ports(found["grpc"], found["otlp_http"], found["api"]), output, drain)
        server.wait_healthy(deadline)
        return server

    def wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server never became healthy")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)
        self._finish_output()

    def terminate(self, timeout: float = 60) -> int:
        self.process.terminate()
        return self.wait(timeout)

    def wait(self, timeout: float = 60) -> int:
        code = self.process.wait(timeout)
        self._finish_output()
        return code

    def _finish_output(self) -> None:
        if self.drain is not None:
            self.drain.join(10)


def _limit_open_files(count: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


def _readline(stream: IO[str], deadline: float) -> str | None:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(max(0.0, deadline - time.monotonic()))
    return result[0] if result and result[0] else None


def _drain(stream: IO[str], output: list[str]) -> None:
    with stream:
        for line in stream:
            output.append(line)
