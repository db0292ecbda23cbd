"""The ``tracechat`` command: serve, keys, load, trajectory, export, maintain."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tracechat.client import Api
from tracechat.config import Settings
from tracechat.errors import TracechatError

DEFAULT_OTLP_HTTP = "http://127.0.0.1:4318"
DEFAULT_API = "http://127.0.0.1:8000"


def _sample_traces_dir() -> Path | None:
    for candidate in (
        Path(__file__).resolve().parents[2] / "sample_traces",
        Path.cwd() / "sample_traces",
    ):
        if candidate.is_dir():
            return candidate
    return None


def _settings(args: argparse.Namespace) -> Settings:
    names = ("data_dir", "host", "grpc_port", "otlp_http_port", "port", "store", "catalog_uri", "warehouse", "role")
    overrides: dict[str, Any] = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    if getattr(args, "demo", False):
        overrides["demo"] = True
    return Settings(**overrides)


def _cmd_serve(args: argparse.Namespace) -> int:
    from tracechat.app import event_loop_factory, serve

    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(serve(_settings(args), sample_traces=_sample_traces_dir()))
    return 0


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from tracechat.store.opening import open_keys

    key = open_keys(_settings(args)).create(project=args.project, admin=args.admin)
    scope = "admin (every project)" if key.admin else f"project {key.project!r}"
    print(f"key id:  {key.key_id}\nsecret:  {key.secret}\nscope:   {scope}")
    print(f"Bearer token:  {key.token}")
    print(f"Basic value:   {key.basic}")
    print("The secret is shown only now; tracechat keeps only its hash.", file=sys.stderr)
    return 0


def _cmd_keys_list(args: argparse.Namespace) -> int:
    from tracechat.store.opening import open_keys

    for key in open_keys(_settings(args)).list():
        print(f"{key.key_id}  {'admin' if key.admin else 'project=' + str(key.project)}")
    return 0


def _cmd_keys_revoke(args: argparse.Namespace) -> int:
    from tracechat.store.opening import open_keys

    keys = open_keys(_settings(args))
    revoked = keys.revoke(args.key_id)
    scope = "admin" if revoked.admin else f"project={revoked.project}"
    print(f"revoked {revoked.key_id}  {scope}; a running server refuses it within a second")
    if not keys.list():
        print(
            "no keys are left: a running server now refuses every request until a key is created "
            "(started again with no keys, it would be in open mode, on loopback only)",
            file=sys.stderr,
        )
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    from tracechat.ingest.loader import find_request_files, send_paths
    from tracechat.progress import shown

    paths = [Path(p) for p in args.paths]
    with shown("loading", sum(1 for _ in find_request_files(paths)), "files") as progress:
        summary = send_paths(paths, args.endpoint, args.key, on_file=progress.advance)
    print(
        f"sent {summary.files} files: {summary.spans} spans and {summary.log_records} log records accepted, "
        f"{summary.rejected} rejected (a span the store held already is kept once)"
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from tracechat import export_commands
    from tracechat.model.projects import readable_project

    if args.project is not None:
        readable_project(args.project)
    return export_commands.run(args, _settings(args))


def _cmd_maintain(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from tracechat.store.iceberg.maintain import UNINDEXED_AFTER, check_retention, run_maintenance

    settings = _settings(args)
    if settings.store == "duckdb" and not settings.catalog_uri:
        return _maintain_duckdb(settings, retry_dead_text=args.retry_dead_text)
    if not settings.catalog_uri or not settings.warehouse:
        raise TracechatError(
            "maintain needs --catalog-uri and --warehouse (TRACECHAT_CATALOG_URI, TRACECHAT_WAREHOUSE)"
        )
    grace = timedelta(minutes=args.grace_minutes)
    keep = timedelta(minutes=args.keep_snapshots_minutes)
    try:
        check_retention(keep, UNINDEXED_AFTER)
    except ValueError as exc:
        raise TracechatError(f"--keep-snapshots-minutes: {exc}") from None
    report = run_maintenance(
        settings.catalog_uri,
        settings.warehouse,
        grace=grace,
        keep_snapshots=keep,
        min_files=args.min_files,
        search=settings.search_index,
        retry_dead_text=args.retry_dead_text,
    )
    print(json.dumps(report.as_dict()))
    return 0


def _maintain_duckdb(settings: Settings, *, retry_dead_text: bool) -> int:
    """The DuckDB store's upkeep: its search index's dead commits (``store.upkeep``)."""
    from tracechat.store.upkeep import maintain_text

    if settings.search_path is None:
        raise TracechatError(
            "maintain on the DuckDB store tends its search index, which is off (TRACECHAT_SEARCH_INDEX)"
        )
    report = maintain_text(settings.database_path, settings.search_path, retry_dead=retry_dead_text)
    print(json.dumps(report.as_dict()))
    return 0


def _cmd_trajectory(args: argparse.Namespace) -> int:
    from tracechat.model.trajectory import AgentChatTrajectory
    from tracechat.render import render

    if (args.trace_id is None) == (args.session is None):
        raise TracechatError("give a trace id or --session ID (one of them)")
    if args.session is not None:
        return _session_trajectory(args)
    body = {"project_id": args.project, "trace_id": args.trace_id, "include_feedback": args.feedback}
    answer = Api(args.endpoint, args.key).post("/agents/traces/chat", body)
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    print(render(AgentChatTrajectory.model_validate(answer), color=sys.stdout.isatty()))
    return 0


def _session_trajectory(args: argparse.Namespace) -> int:
    from tracechat.model.sessions import SessionTrajectory
    from tracechat.render import render_session

    body = {"project_id": args.project, "session_id": args.session, "include_feedback": args.feedback}
    answer = Api(args.endpoint, args.key).post("/agents/sessions/chat", body)
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    print(render_session(SessionTrajectory.model_validate(answer), color=sys.stdout.isatty()))
    return 0


def _add_server_flags(parser: argparse.ArgumentParser, *, listeners: bool) -> None:
    parser.add_argument("--data-dir", help="directory of the DuckDB file and keys (TRACECHAT_DATA_DIR)")
    if not listeners:
        return
    parser.add_argument("--host", help="address to bind (TRACECHAT_HOST, default 127.0.0.1)")
    parser.add_argument(
        "--grpc-port",
        type=int,
        help="OTLP/gRPC port (TRACECHAT_GRPC_PORT, default 4317; 0 = any)",
    )
    parser.add_argument(
        "--otlp-http-port",
        type=int,
        help="OTLP/HTTP port (TRACECHAT_OTLP_HTTP_PORT, default 4318; 0 = any)",
    )
    parser.add_argument("--port", type=int, help="HTTP API port (TRACECHAT_PORT, default 8000; 0 = any)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="load sample_traces/ into an empty store (TRACECHAT_DEMO)",
    )
    parser.add_argument(
        "--store",
        choices=("duckdb", "iceberg"),
        help="one DuckDB file (default) or Iceberg tables shared by many nodes (TRACECHAT_STORE; docs/scale-out.md)",
    )
    parser.add_argument("--catalog-uri", help="PostgreSQL catalog, postgresql://… (TRACECHAT_CATALOG_URI)")
    parser.add_argument(
        "--warehouse",
        help="where the tables' files live, file:///… or s3://bucket/prefix (TRACECHAT_WAREHOUSE; S3: AWS_*)",
    )
    parser.add_argument(
        "--role",
        choices=("ingest", "query", "all"),
        help="with --store iceberg: ingest, query (API only) or all (TRACECHAT_ROLE, default all)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tracechat", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the OTLP receivers and the HTTP API")
    _add_server_flags(serve, listeners=True)
    serve.set_defaults(run=_cmd_serve)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="create a key; prints its secret once")
    create.add_argument("--project", help="the project the key may read and write")
    create.add_argument("--admin", action="store_true", help="a key for every project")
    _add_server_flags(create, listeners=False)
    create.set_defaults(run=_cmd_keys_create)
    listing = keys.add_parser("list", help="list key ids and their projects")
    _add_server_flags(listing, listeners=False)
    listing.set_defaults(run=_cmd_keys_list)
    revoke = keys.add_parser("revoke", help="remove a key; a running server refuses it within a second")
    revoke.add_argument("key_id", help="the id 'keys list' shows (tck_...)")
    _add_server_flags(revoke, listeners=False)
    revoke.set_defaults(run=_cmd_keys_revoke)

    load = commands.add_parser("load", help="send OTLP request files (.pb, .json) to a running server")
    load.add_argument("paths", nargs="+", help="files or directories")
    load.add_argument(
        "--endpoint",
        default=os.environ.get("TRACECHAT_ENDPOINT", DEFAULT_OTLP_HTTP),
        help=f"OTLP/HTTP base URL (TRACECHAT_ENDPOINT, default {DEFAULT_OTLP_HTTP})",
    )
    load.add_argument(
        "--key",
        default=os.environ.get("TRACECHAT_KEY"),
        help="API key token (TRACECHAT_KEY)",
    )
    load.set_defaults(run=_cmd_load)

    trajectory = commands.add_parser(
        "trajectory", help="print one trace's agent trajectory, or a session's (--session) over all its traces"
    )
    trajectory.add_argument("trace_id", nargs="?")
    trajectory.add_argument("--session", metavar="ID", help="a session (conversation) id instead of a trace id")
    trajectory.add_argument("--project", default=os.environ.get("TRACECHAT_PROJECT", "default"))
    trajectory.add_argument(
        "--endpoint",
        default=os.environ.get("TRACECHAT_API", DEFAULT_API),
        help=f"HTTP API base URL (TRACECHAT_API, default {DEFAULT_API})",
    )
    trajectory.add_argument("--key", default=os.environ.get("TRACECHAT_KEY"), help="API key token (TRACECHAT_KEY)")
    trajectory.add_argument("--feedback", action="store_true", help="include feedback")
    trajectory.add_argument("--json", action="store_true", help="print the JSON the API returns")
    trajectory.set_defaults(run=_cmd_trajectory)

    export = commands.add_parser(
        "export", help="write the store as hive-partitioned Parquet (or trajectories as JSON lines)"
    )
    export.add_argument("directory")
    export.add_argument("--project", help="only this project")
    _add_server_flags(export, listeners=False)
    from tracechat.export_commands import add_flags

    add_flags(export)
    export.set_defaults(run=_cmd_export)

    maintain = commands.add_parser(
        "maintain",
        help="compact, expire and clean the shared Iceberg tables (beside running nodes); on the DuckDB store"
        " (--data-dir, with no server running), catch its search index up and report its dead commits",
    )
    _add_server_flags(maintain, listeners=False)
    maintain.add_argument("--catalog-uri", help="PostgreSQL catalog, postgresql://… (TRACECHAT_CATALOG_URI)")
    maintain.add_argument(
        "--warehouse", help="the tables' warehouse, file:///… or s3://bucket/prefix (TRACECHAT_WAREHOUSE)"
    )
    maintain.add_argument(
        "--grace-minutes",
        type=float,
        default=60.0,
        help="unreferenced files younger than this stay (in-flight reads and writes; default 60)",
    )
    maintain.add_argument(
        "--keep-snapshots-minutes",
        type=float,
        default=15.0,
        help="expire snapshots older than this, the current one always kept (at least 5: a batch a dead receiver"
        " left unindexed is found by its snapshot; default 15)",
    )
    maintain.add_argument("--min-files", type=int, default=4, help="compact a partition with this many small files")
    maintain.add_argument(
        "--retry-dead-text",
        action="store_true",
        help="give the text batches that failed too often (text_batches_dead) their attempts again",
    )
    maintain.set_defaults(run=_cmd_maintain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except TracechatError as exc:
        print(f"tracechat: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`tracechat trajectory … | head`): say nothing more, as a
        # command killed by SIGPIPE would, and keep Python's exit-time flush from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return code
