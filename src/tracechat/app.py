"""Composition root: builds the service from settings and runs its three listeners in one
process until SIGTERM or SIGINT, then shuts down in order (stop accepting, finish commits,
close the file)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import grpc
import uvicorn
from starlette.types import ASGIApp

from tracechat import __version__
from tracechat.api.app import create_api
from tracechat.api.migrating import Switch, migrating_app
from tracechat.api.security import SecurityHeaders
from tracechat.auth.keys import Clock, KeyRing
from tracechat.chat.agents import Agents
from tracechat.chat.assistant import Assistant
from tracechat.chat.limits import RateLimiter
from tracechat.chat.providers.config import models_from_environment
from tracechat.chat.selftrace import SelfTracer
from tracechat.chat.threads import ChatThreads
from tracechat.config import MIB, Settings, is_loopback
from tracechat.connections import ConnectionLimits, descriptor_budget, guarded_protocol
from tracechat.errors import TracechatError
from tracechat.grpcapi.servicer import QueryServices, add_query_services
from tracechat.ingest.grpc_server import GrpcLimits, build_grpc_server
from tracechat.ingest.http_server import InflateLimits, otlp_http_app
from tracechat.ingest.loader import load_paths_in_process
from tracechat.ingest.receiver import Receiver
from tracechat.live_export import ExportJobs, Exports, NoExports
from tracechat.metrics import Metrics
from tracechat.migration import MigrationStatus
from tracechat.progress import migration_shown
from tracechat.query.service import TraceQueries
from tracechat.query.session_queries import SessionQueries
from tracechat.store.conversations import AgentRecords, ChatRecords
from tracechat.store.opening import open_keys, open_stores

log = logging.getLogger("tracechat")
SHUTDOWN_GRACE_S = 10.0


class ConfigurationError(TracechatError):
    code = "configuration"


class Service:
    """Everything one running tracechat holds, wired together."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
        migration: MigrationStatus | None = None,
        keys: KeyRing | None = None,
    ) -> None:
        """``clock``: when key files are re-read (tests move it instead of waiting).
        ``migration``: told how far a schema migration of the store is. ``keys``: the key
        ring opened already (``_keys_allowed``), else opened here."""
        self.settings = settings
        self.keys = keys if keys is not None else _keys_allowed(settings, clock)
        self.metrics = Metrics()
        self.stores = open_stores(settings, observer=self.metrics.observe_commit, migration=migration)
        self.store = self.stores.spans
        writer = self.store.writer
        self.metrics.watch_queue(lambda: writer.queued_bytes, lambda: writer.queued_items)
        self.metrics.watch_search(self.store.search_lag, self.store.search_dead)
        store = self.store
        self.metrics.watch_store(lambda: float(store.problem is not None))
        self.receiver = Receiver(self.store, self.keys, self.metrics)
        self.sessions = SessionQueries(self.store, settings.trajectory_max_spans)
        self.traces: TraceQueries = self.sessions  # (the assistant's tools read sessions through it)
        records = ChatRecords(self.stores.records)
        self.chats = ChatThreads(records)
        self.selftrace = SelfTracer(self.receiver)
        self.assistant = Assistant(
            self.chats, records, self.stores.analytics, self.traces, self.selftrace, models_from_environment()
        )
        self.chat_limit = RateLimiter(settings.chat_requests_per_minute)
        self.agents = Agents(AgentRecords(self.stores.records), records, self.chats, self.assistant)
        snapshots = self.stores.snapshots
        self.exports: Exports = (
            ExportJobs(snapshots, settings.data_dir / "exports") if snapshots is not None else NoExports()
        )

    def close(self) -> None:
        self.exports.close()
        self.selftrace.shutdown()
        self.stores.close()


def _keys_allowed(settings: Settings, clock: Clock = time.monotonic) -> KeyRing:
    """The key ring of ``--store`` (``open_keys``), refused in open mode off loopback."""
    keys = open_keys(settings, clock=clock)
    if keys.open_mode and not is_loopback(settings.host):
        raise ConfigurationError(
            f"refusing to listen on {settings.host} with no API keys configured (open mode is for "
            "loopback only); create one with 'tracechat keys create --project NAME' or use --host 127.0.0.1"
        )
    return keys


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


def _uvicorn(app: ASGIApp, limits: ConnectionLimits) -> _Server:
    config = uvicorn.Config(
        app,
        http=guarded_protocol(limits),
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE_S),
    )
    return _Server(config)


def connection_limits(settings: Settings) -> ConnectionLimits:
    """The settings' limits, the connection cap lowered to what the descriptor limit holds."""
    budget = descriptor_budget(settings.max_connections)
    return ConnectionLimits(
        max_connections=budget.per_listener,
        max_header_bytes=settings.max_header_bytes,
        header_timeout_s=settings.header_timeout_s,
        body_timeout_s=settings.body_timeout_s,
    )


class RunningServer:
    """The three listeners of one service, started together and stopped in order."""

    def __init__(
        self, service: Service, grpc_server: grpc.Server, queries: QueryServices, http: list[_Server], ports: Ports
    ) -> None:
        self.service = service
        self.ports = ports
        self._grpc = grpc_server
        self.queries = queries
        self._http = http
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def start(cls, settings: Settings, *, clock: Clock = time.monotonic) -> RunningServer:
        """Listen on the API port first, answering "migrating, N% done" while the store
        opens (and migrates), then serve everything."""
        keys = _keys_allowed(settings, clock)  # before binding anything
        limits = connection_limits(settings)
        # The API's sync handlers run on this loop's default threads; ingest has its own.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        migration = MigrationStatus()
        api_sock = _listen(settings.host, settings.port)
        switch = Switch(SecurityHeaders(migrating_app(migration), open_mode=lambda: keys.open_mode, docs_path=None))
        api = _uvicorn(switch, limits)
        api_task = asyncio.create_task(api.serve(sockets=[api_sock]))
        try:
            with migration_shown(migration):
                service = await asyncio.to_thread(Service, settings, clock=clock, migration=migration, keys=keys)
        except BaseException:
            api.should_exit = True
            await api_task
            raise
        # A query node (--role query) opens no OTLP/HTTP listener; its gRPC port serves the
        # query service, and an OTLP export sent there is refused (UNIMPLEMENTED: its store
        # has no writer). An ingest node's gRPC port serves OTLP and health, no queries.
        receives = settings.role != "query"
        try:
            grpc_server, grpc_port = build_grpc_server(
                service.receiver,
                settings.host,
                settings.grpc_port,
                settings.max_request_bytes,
                settings.grpc_workers,
                GrpcLimits(limits.max_connections, limits.header_timeout_s),
            )
            # the trajectory queries beside OTLP, on the same port and keys; each watch holds
            # one of the server's threads, so half of them at most
            queries = add_query_services(
                grpc_server,
                service.traces,
                service.store,
                service.keys,
                max(1, settings.grpc_workers // 2),
                queries_served=settings.role != "ingest",
            )
            otlp_sock = _listen(settings.host, settings.otlp_http_port) if receives else None
        except BaseException:
            api.should_exit = True
            await api_task
            service.close()
            raise
        # Open mode answers loopback Host names only here too: a rebinding page could write spans.
        inflate = InflateLimits(settings.max_gzip_members, settings.decompress_max_s)
        otlp: _Server | None = None
        if otlp_sock is not None:
            otlp_app = otlp_http_app(service.receiver, settings.max_request_bytes, inflate)
            otlp = _uvicorn(SecurityHeaders(otlp_app, open_mode=lambda: service.keys.open_mode, docs_path=None), limits)
        switch.target = create_api(service)
        otlp_port = otlp_sock.getsockname()[1] if otlp_sock is not None else 0
        ports = Ports(grpc_port, otlp_port, api_sock.getsockname()[1])
        running = cls(service, grpc_server, queries, [api] if otlp is None else [api, otlp], ports)
        grpc_server.start()
        running._tasks = [api_task]
        if otlp is not None and otlp_sock is not None:
            running._tasks.append(asyncio.create_task(otlp.serve(sockets=[otlp_sock])))
        while not all(server.started for server in running._http):
            await asyncio.sleep(0.01)
        return running

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish their commits, close the store;
        saying what it does, since closing a large store takes seconds."""
        started = time.monotonic()
        api, *otlp_server = self._http  # no OTLP/HTTP server on a query node
        api_n = len(api.server_state.tasks)
        otlp = sum(len(server.server_state.tasks) for server in otlp_server)
        _progress(
            f"stopping the listeners: no new connections; requests in flight (OTLP/HTTP {otlp}, API {api_n}, "
            f"and any on OTLP/gRPC) get up to {SHUTDOWN_GRACE_S:g} s to finish"
        )
        self.queries.begin_shutdown()  # health answers NOT_SERVING, watches end
        await asyncio.to_thread(self._grpc.stop(SHUTDOWN_GRACE_S).wait)
        for server in self._http:
            server.should_exit = True
        await asyncio.gather(*self._tasks)
        _progress(f"listeners stopped ({time.monotonic() - started:.1f} s); {self._closing_store()}")
        # In a thread, so the event loop still hears a second signal while the store closes.
        await asyncio.to_thread(self.service.close)
        _progress(f"store closed ({time.monotonic() - started:.1f} s since the signal)")

    def _closing_store(self) -> str:
        queued = self.service.store.writer.queued_bytes
        if self.service.settings.store == "iceberg":
            return f"closing the store: committing {queued} queued bytes to the Iceberg tables"
        wal = self.service.settings.database_path.with_name(self.service.settings.database_path.name + ".wal")
        wal_mb = wal.stat().st_size / MIB if wal.exists() else 0.0
        return (
            f"closing the store: committing {queued} queued bytes, then DuckDB writes its {wal_mb:.0f} MB "
            "write-ahead log into the database file (a large one takes seconds)"
        )


async def serve(settings: Settings, sample_traces: Path | None = None) -> None:
    """Run until SIGTERM or SIGINT (the ``tracechat serve`` command)."""
    _tune_garbage_collector()
    running = await RunningServer.start(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def first_signal(signum: int) -> None:
        _progress(f"{signal.Signals(signum).name}: shutting down; send it again to exit at once")
        stop.set()
        for again in SIGNALS:
            loop.add_signal_handler(again, _exit_now, again)

    for signum in SIGNALS:
        loop.add_signal_handler(signum, first_signal, signum)
    if settings.demo:
        await asyncio.to_thread(_load_demo, running.service, sample_traces)
    _announce(settings, running.service, running.ports)
    await stop.wait()
    await running.stop()
    gc.unfreeze()  # let the objects frozen at start be finalized (DuckDB's bindings check at exit)
    gc.collect()
    print("tracechat: stopped", file=sys.stderr, flush=True)


SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _progress(message: str) -> None:
    print(f"tracechat: {message}", file=sys.stderr, flush=True)


def _exit_now(signum: int) -> None:
    """A second signal: leave without finishing. What was acknowledged is committed already
    (as after a kill); the next start replays DuckDB's write-ahead log."""
    _progress(f"{signal.Signals(signum).name} again: exiting at once, without closing the store")
    os._exit(128 + signum)


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
    if ports.grpc and settings.role == "query":
        lines.append(f"  gRPC       {web}:{ports.grpc}  (queries only: --role query receives no OTLP)")
    elif ports.grpc:
        lines.append(f"  OTLP/gRPC  {web}:{ports.grpc}")
    if ports.otlp_http:
        lines.append(f"  OTLP/HTTP  http://{web}:{ports.otlp_http}/v1/traces")
    if settings.role == "ingest":
        lines.append(f"  API        http://{web}:{ports.api}/  (/healthz and /metrics only: --role ingest)")
    else:
        lines.append(f"  API        http://{web}:{ports.api}/  (docs /docs, health /healthz, metrics /metrics)")
    if service.keys.open_mode:
        lines.append("  open mode: no API keys configured, so every request is allowed; listening on loopback only")
    print("\n".join(lines), flush=True)
