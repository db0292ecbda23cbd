"""Settings: every command-line flag has a ``TRACECHAT_*`` environment variable."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024
T = TypeVar("T", int, float)


def _positive(default: T, description: str) -> T:
    """A setting that must be above zero (a size, a count, a time)."""
    value: T = Field(default=default, gt=0, description=description)
    return value


def _port(default: int, listener: str) -> int:
    """A TCP port setting; 0 lets the system pick a free one."""
    value: int = Field(default=default, ge=0, le=65535, description=f"{listener} port (0 picks a free one).")
    return value


class Settings(BaseSettings):
    """Server settings. Flags override the environment, which overrides these defaults."""

    model_config = SettingsConfigDict(env_prefix="TRACECHAT_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./tracechat-data"),
        description="Where the DuckDB file, the search index and keys live.",
    )
    host: str = Field(default="127.0.0.1", description="Address every listener binds to.")
    grpc_port: int = _port(4317, "OTLP/gRPC")
    otlp_http_port: int = _port(4318, "OTLP/HTTP")
    port: int = _port(8000, "HTTP API and viewer")
    demo: bool = Field(default=False, description="Load sample_traces/ into an empty store at start.")
    max_request_bytes: int = _positive(64 * MIB, "Largest OTLP request accepted, measured after decompression.")
    max_gzip_members: int = _positive(
        100, "Most gzip members one OTLP request body may hold (a body of many empty members is a bomb)."
    )
    decompress_max_s: float = _positive(
        10.0, "Longest one request body may take to decompress before it is refused with 413."
    )
    api_max_body_bytes: int = _positive(
        1 * MIB, "Largest request body the HTTP API (port 8000) reads; counted while reading, past it 413."
    )
    chat_max_body_bytes: int = _positive(
        16 * MIB,
        "Largest body of the chat routes (/api/v1/chat, /api/v1/chats, /api/agents): useChat resends "
        "the whole history, tool results included, every turn.",
    )
    max_header_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request line plus headers on the HTTP listeners; past it 431 and the connection closes.",
    )
    header_timeout_s: float = _positive(
        10.0,
        "An HTTP connection must send a request's headers within this long of opening (or of its "
        "previous response), and gRPC its handshake; else it is closed.",
    )
    body_timeout_s: float = _positive(
        30.0, "Longest pause between two parts of a request body before the connection is closed."
    )
    max_connections: int = _positive(
        1000,
        "Open connections each listener keeps (OTLP/gRPC, OTLP/HTTP, API); past it a new one "
        "replaces the longest-idle one. Lowered at start if the descriptor limit cannot hold three of them.",
    )
    api_threads: int = _positive(
        16, "Threads serving the HTTP API's reads and writes; ingest and /healthz never wait for them."
    )
    read_concurrency: int = _positive(
        4,
        "Trace reads (trajectories, span lists, content, the trace list) running at once; others wait, "
        "and are cancelled if their client leaves first.",
    )
    chat_concurrency: int = _positive(
        4,
        "Assistant turns (POST /api/v1/chat, POST /api/agents/{id}/chat) running at once; past it a "
        "turn gets 429 overloaded, so turns and their trace-reading tools never hold every API thread.",
    )
    read_timeout_s: float = _positive(
        30.0,
        "Longest a trace read may run once started; then its DuckDB query is interrupted and the "
        "client gets 504 read_timeout. A read whose client leaves is interrupted the same way.",
    )
    trajectory_max_spans: int = _positive(
        20_000,
        "Largest trace (in spans) whose trajectory, span list or content is read; a larger one is "
        "answered 422 trace_too_large before anything of it is read (a 50,000-span read took ~1 GB).",
    )
    queue_max_bytes: int = _positive(256 * MIB, "Requests waiting for a commit; past this, clients are told to retry.")
    commit_max_bytes: int = _positive(64 * MIB, "Most request bytes grouped into one commit.")
    store_memory_mb: int = Field(
        default=1024,
        ge=64,
        description="Memory DuckDB may use for its caches and queries; past it, it evicts or spills to disk.",
    )
    search_index: bool = Field(
        default=True,
        description="Keep a full-text index of what the traces say (messages, tool arguments and results) for q "
        "in GET /agents/traces; without it q matches names only.",
    )
    search_refresh_s: float = Field(
        default=0.2,
        gt=0,
        le=3600,
        description="How often at most the full-text index commits: committed spans wait up to this long (plus the "
        "indexing) before their text is searchable.",
    )
    verify_store: bool = Field(
        default=True,
        description="Read every block of the store once after it opens (in the background), so a damaged file "
        "is found early: writes are then refused and /healthz says why.",
    )
    grpc_workers: int = _positive(16, "Threads serving gRPC calls: OTLP exports and queries (at most half watch).")
    chat_requests_per_minute: int = Field(
        default=60, ge=0, description="Assistant turns a key may start per minute (0: no limit)."
    )

    store: Literal["duckdb", "iceberg"] = Field(
        default="duckdb",
        description="Where spans live: one DuckDB file in --data-dir, or Iceberg tables shared by many nodes "
        "through a PostgreSQL catalog (docs/scale-out.md).",
    )
    catalog_uri: str | None = Field(
        default=None, description="With --store iceberg: the PostgreSQL catalog, postgresql://user@host:port/db."
    )
    warehouse: str | None = Field(
        default=None,
        description="With --store iceberg: where the tables' files live, file:///shared/dir or s3://bucket/prefix.",
    )
    role: Literal["ingest", "query", "all"] = Field(
        default="all",
        description="With --store iceberg: ingest (OTLP receivers and the API), query (the API only) or all.",
    )

    @property
    def database_path(self) -> Path:
        return self.data_dir / "tracechat.duckdb"

    @property
    def search_path(self) -> Path | None:
        return self.data_dir / "search" if self.search_index else None

    @property
    def keys_path(self) -> Path:
        return self.data_dir / "keys.json"


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
