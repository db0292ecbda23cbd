"""Composition root: builds the service from settings and runs its three listeners in one
process until SIGTERM or SIGINT, then shuts down in order (stop accepting, finish commits,
close the file)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import uvicorn
from starlette.types import ASGIApp

from tracechat import __version__
from tracechat.api.app import create_api
from tracechat.chat.agents import Agents
from tracechat.chat.assistant import Assistant
from tracechat.chat.limits import RateLimiter
from tracechat.chat.providers.config import models_from_environment
from tracechat.chat.selftrace import SelfTracer
from tracechat.chat.threads import ChatThreads
from tracechat.config import Settings, is_loopback
from tracechat.errors import TracechatError
from tracechat.ingest.grpc_server import build_grpc_server
from tracechat.ingest.http_server import otlp_http_app
from tracechat.ingest.loader import load_paths_in_process
from tracechat.ingest.receiver import Receiver
from tracechat.metrics import Metrics
from tracechat.query.service import TraceQueries
from tracechat.store.conversations import AgentRecords, ChatRecords
from tracechat.store.opening import open_keys, open_stores

log = logging.getLogger("tracechat")
SHUTDOWN_GRACE_S = 10.0


class ConfigurationError(TracechatError):
    code = "configuration"


class Service:
    """Everything one running tracechat holds, wired together."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = open_keys(settings)
        if self.keys.open_mode and not is_loopback(settings.host):
            raise ConfigurationError(
                f"refusing to listen on {settings.host} with no API keys configured (open mode is for "
                "loopback only); create one with 'tracechat keys create --project NAME' or use --host 127.0.0.1"
            )
        self.metrics = Metrics()
        self.stores = open_stores(settings, observer=self.metrics.observe_commit)
        self.store = self.stores.spans
        writer = self.store.writer
        self.metrics.watch_queue(lambda: writer.queued_bytes, lambda: writer.queued_items)
        self.metrics.watch_search(self.store.search_lag)
        self.receiver = Receiver(self.store, self.keys, self.metrics)
        self.traces = TraceQueries(self.store)
        records = ChatRecords(self.stores.records)
        self.chats = ChatThreads(records)
        self.selftrace = SelfTracer(self.receiver)
        self.assistant = Assistant(
            self.chats, records, self.stores.analytics, self.traces, self.selftrace, models_from_environment()
        )
        self.chat_limit = RateLimiter(settings.chat_requests_per_minute)
        self.agents = Agents(AgentRecords(self.stores.records), records, self.chats, self.assistant)

    def close(self) -> None:
        self.selftrace.shutdown()
        self.stores.close()


@dataclass(frozen=True, slots=True)
class Ports:
    grpc: int
    otlp_http: int
    api: int


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to ``serve`` (which runs two of them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: without it a keep-alive client waits ~40 ms per
    # response (Nagle on the response's second write meets the client's delayed ACK).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _uvicorn(app: ASGIApp) -> _Server:
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30)
    return _Server(config)


class RunningServer:
    """The three listeners of one service, started together and stopped in order."""

    def __init__(self, service: Service, grpc_server: grpc.Server, http: list[_Server], ports: Ports) -> None:
        self.service = service
        self.ports = ports
        self._grpc = grpc_server
        self._http = http
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def start(cls, settings: Settings) -> RunningServer:
        service = Service(settings)
        receives = settings.role != "query"  # a query node (--role query) serves the API only
        try:
            grpc_server, grpc_port = build_grpc_server(
                service.receiver,
                settings.host,
                settings.grpc_port if receives else 0,
                settings.max_request_bytes,
                settings.grpc_workers,
            )
            otlp_sock = _listen(settings.host, settings.otlp_http_port) if receives else None
            api_sock = _listen(settings.host, settings.port)
        except BaseException:
            service.close()
            raise
        api = _uvicorn(create_api(service))
        otlp = _uvicorn(otlp_http_app(service.receiver, settings.max_request_bytes)) if otlp_sock else None
        otlp_port = otlp_sock.getsockname()[1] if otlp_sock else 0
        ports = Ports(grpc_port if receives else 0, otlp_port, api_sock.getsockname()[1])
        running = cls(service, grpc_server, [api] if otlp is None else [otlp, api], ports)
        if receives:
            grpc_server.start()
        running._tasks = [asyncio.create_task(api.serve(sockets=[api_sock]))]
        if otlp is not None and otlp_sock is not None:
            running._tasks.append(asyncio.create_task(otlp.serve(sockets=[otlp_sock])))
        while not all(server.started for server in running._http):
            await asyncio.sleep(0.01)
        return running

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish their commits, close the store."""
        await asyncio.to_thread(self._grpc.stop(SHUTDOWN_GRACE_S).wait)
        for server in self._http:
            server.should_exit = True
        await asyncio.gather(*self._tasks)
        self.service.close()


async def serve(settings: Settings, sample_traces: Path | None = None) -> None:
    """Run until SIGTERM or SIGINT (the ``tracechat serve`` command)."""
    _tune_garbage_collector()
    running = await RunningServer.start(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if settings.demo:
        await asyncio.to_thread(_load_demo, running.service, sample_traces)
    _announce(settings, running.service, running.ports)
    await stop.wait()
    print("tracechat: shutting down (finishing commits in flight)", file=sys.stderr, flush=True)
    await running.stop()
    gc.unfreeze()  # let the objects frozen at start be finalized (DuckDB's bindings check at exit)
    gc.collect()
    print("tracechat: stopped", file=sys.stderr, flush=True)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (a dependency on Linux and macOS): with
    httptools, which uvicorn picks up by itself, it takes ~0.5 ms off every API request."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _tune_garbage_collector() -> None:
    # Ingest makes ~20 short-lived, acyclic objects per span; at default thresholds the cycle
    # collector then runs constantly over everything alive (measured: ~30% of ingest time).
    # Much higher and a trajectory read pays instead: a collection then walks 100k young
    # objects out of cache (measured at 100k: 4.3 ms of Python per 50-span trajectory
    # against 3.2 at 10k and 3.0 with no collector; ingest is as fast at 10k).
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
    # DuckDB's Python binding re-takes the GIL many times while a statement runs; with the
    # default 5 ms switch interval the writer waits that long behind a decoding thread each
    # time (measured: commits 6x slower beside a busy thread; 100 us brings them back).
    sys.setswitchinterval(0.0001)


def _load_demo(service: Service, sample_traces: Path | None) -> None:
    if sample_traces is None:
        print("tracechat: --demo: no sample_traces/ directory found next to the package or here", flush=True)
        return
    if service.store.span_count():
        print(
            "tracechat: --demo: the store already holds spans; sample traces not loaded",
            flush=True,
        )
        return
    loaded = load_paths_in_process(service.receiver, [sample_traces], end_at_ns=time.time_ns())
    print(
        f"tracechat: --demo: loaded {loaded.spans} spans from {loaded.files} files in {sample_traces},"
        " each sample moved in time to end now",
        flush=True,
    )


def _announce(settings: Settings, service: Service, ports: Ports) -> None:
    host = settings.host
    web = f"[{host}]" if ":" in host else host
    data = (
        f"tables in {settings.warehouse} ({settings.role})" if settings.store == "iceberg" else settings.database_path
    )
    lines = [f"tracechat {__version__}: data in {data}"]
    if ports.grpc:
        lines.append(f"  OTLP/gRPC  {web}:{ports.grpc}")
    if ports.otlp_http:
        lines.append(f"  OTLP/HTTP  http://{web}:{ports.otlp_http}/v1/traces")
    lines.append(f"  API        http://{web}:{ports.api}/  (docs /docs, health /healthz, metrics /metrics)")
    if service.keys.open_mode:
        lines.append("  open mode: no API keys configured, so every request is allowed; listening on loopback only")
    print("\n".join(lines), flush=True)
