"""``tracechat export``: the store as Parquet (offline from a stopped server's file, or by a
running server with ``--server``), or trajectories as JSON lines (``--trajectories``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from tracechat.client import Api
from tracechat.config import Settings
from tracechat.dataset import LocalSource, RemoteSource, Selection, TrajectorySource, write_jsonl
from tracechat.errors import TracechatError
from tracechat.progress import shown
from tracechat.query.formats.convert import Format

POLL_S = 0.5


def add_flags(export: argparse.ArgumentParser) -> None:
    export.add_argument(
        "--trajectories", action="store_true", help="write trajectories as JSON lines to DIRECTORY (a file; - stdout)"
    )
    export.add_argument("--format", choices=[f.value for f in Format], help="with --trajectories: atif or openai")
    export.add_argument("--since", type=datetime.fromisoformat, help="with --trajectories: traces started since")
    export.add_argument("--until", type=datetime.fromisoformat, help="with --trajectories: traces started before")
    export.add_argument(
        "--server",
        metavar="URL",
        help="export through this running server's HTTP API (Parquet: written on the server, "
        "under <data-dir>/exports/DIRECTORY)",
    )
    export.add_argument(
        "--key",
        default=os.environ.get("TRACECHAT_KEY"),
        help="API key token (TRACECHAT_KEY); Parquet through a server needs an admin key",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.trajectories:
        return _trajectories(args, settings)
    if args.format or args.since or args.until:
        raise TracechatError("--format, --since and --until go with --trajectories")
    if args.server:
        return _live(args)
    return _offline(args, settings)


def _offline(args: argparse.Namespace, settings: Settings) -> int:
    from tracechat.export import export_parquet

    if not settings.database_path.exists():
        raise TracechatError(f"no store at {settings.database_path}")
    with ExitStack() as stack:
        progress: list[Any] = []

        def totals(spans: int, logs: int) -> None:
            progress.append(stack.enter_context(shown("exporting", spans + logs, "rows")))

        written = export_parquet(
            settings.database_path,
            Path(args.directory),
            project=args.project,
            on_rows=lambda _table, n: progress[0].advance(n),
            on_totals=totals,
        )
    rows = f"{written.spans} spans and {written.log_records} log records"
    print(f"wrote {rows} in {written.files} files to {args.directory}")
    return 0


def _live(args: argparse.Namespace) -> int:
    api = Api(args.server, args.key)
    job = api.post("/admin/exports", {"name": args.directory, "project": args.project})
    with shown("exporting on the server", None, "rows") as progress:
        while job["status"] == "running":
            time.sleep(POLL_S)
            job = json.loads(api.get(f"/admin/exports/{job['id']}", {}))
            progress.total = (job["spans_total"] or 0) + (job["log_records_total"] or 0) or None
            progress.done = job["spans"] + job["log_records"]
    if job["status"] == "failed":
        raise TracechatError(f"the export failed on the server: {job['error']}")
    print(
        f"the server wrote {job['spans']} spans and {job['log_records']} log records in {job['files']} files "
        f"to {job['directory']}, as of {job['as_of']}"
    )
    return 0


def _trajectories(args: argparse.Namespace, settings: Settings) -> int:
    if args.format is None:
        raise TracechatError("--trajectories needs --format atif or --format openai")
    selection = Selection(project=args.project or "default", since=args.since, until=args.until)
    fmt = Format(args.format)
    with ExitStack() as stack:
        source: TrajectorySource
        if args.server:
            source = RemoteSource(Api(args.server, args.key), selection, fmt)
        else:
            source = LocalSource(_open_store(stack, settings), selection, fmt)
        out: TextIO = sys.stdout if args.directory == "-" else stack.enter_context(open(args.directory, "w"))
        written = write_jsonl(source, out)
    print(f"wrote {written} trajectories ({fmt.value}) to {args.directory}", file=sys.stderr)
    return 0


def _open_store(stack: ExitStack, settings: Settings) -> Any:
    from tracechat.query.session_queries import SessionQueries
    from tracechat.store.duck import DuckDBStore

    if not settings.database_path.exists():
        raise TracechatError(f"no store at {settings.database_path}")
    try:
        store = DuckDBStore(settings.database_path)
    except TracechatError:
        raise
    except Exception as exc:  # the file is held by a running server (DuckDB's lock)
        raise TracechatError(
            f"cannot open {settings.database_path} ({exc}); if a server is using it, add --server URL"
        ) from None
    stack.callback(store.close)
    return SessionQueries(store)
