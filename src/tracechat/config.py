"""Settings: every command-line flag has a ``TRACECHAT_*`` environment variable."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Server settings. Flags override the environment, which overrides these defaults."""

    model_config = SettingsConfigDict(env_prefix="TRACECHAT_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./tracechat-data"),
        description="Where the DuckDB file, the search index and keys live.",
    )
    host: str = Field(default="127.0.0.1", description="Address every listener binds to.")
    grpc_port: int = Field(default=4317, ge=0, le=65535, description="OTLP/gRPC port (0 picks a free one).")
    otlp_http_port: int = Field(default=4318, ge=0, le=65535, description="OTLP/HTTP port (0 picks a free one).")
    port: int = Field(
        default=8000,
        ge=0,
        le=65535,
        description="HTTP API and viewer port (0 picks a free one).",
    )
    demo: bool = Field(default=False, description="Load sample_traces/ into an empty store at start.")
    max_request_bytes: int = Field(
        default=64 * MIB,
        gt=0,
        description="Largest OTLP request accepted, measured after decompression.",
    )
    queue_max_bytes: int = Field(
        default=256 * MIB,
        gt=0,
        description="Requests waiting for a commit; past this, clients are told to retry.",
    )
    commit_max_bytes: int = Field(
        default=64 * MIB,
        gt=0,
        description="Most request bytes grouped into one commit.",
    )
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
    grpc_workers: int = Field(default=16, gt=0, description="Threads serving OTLP/gRPC calls.")
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
        default=None, description="With --store iceberg: where the tables' files live, file:///shared/dir."
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
