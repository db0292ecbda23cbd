"""Export while serving: the hive-partitioned Parquet of ``tracechat export``, written by a
running server to a directory under its data directory, consistent as of one moment.

DuckDB lets one process open a file for writing, so a second process cannot read a
served store. The server itself can: the export reads on a cursor of its own in one read
transaction (a snapshot of the moment it began) in a worker thread, while the writer thread
goes on committing ingest. One export runs at a time; its progress is polled."""

from __future__ import annotations

import re
import threading
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from tracechat.errors import InvalidRequest, NotFound, Overloaded, StorageUnavailable, TracechatError, Unsupported
from tracechat.export import log_columns, span_columns
from tracechat.store import parquet


class Snapshots(Protocol):
    def snapshot(self) -> AbstractContextManager[Any]:
        """A read cursor in one transaction (``DuckDBStore.snapshot``)."""
        ...


NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class _Stopped(TracechatError):
    code = "export_stopped"


class ExportJob(BaseModel):
    id: str
    status: Literal["running", "done", "failed"]
    directory: str = Field(description="Where on the server the Parquet files are written.")
    project: str | None = Field(description="The project exported; null: every project.")
    as_of: datetime | None = Field(description="The moment the export's snapshot was taken.")
    spans_total: int | None = None
    log_records_total: int | None = None
    spans: int = 0
    log_records: int = 0
    files: int | None = Field(default=None, description="Parquet files written, when done.")
    percent: float | None = Field(default=None, description="Rows written of the snapshot's, 0 to 100.")
    error: str | None = None
    started_at: datetime
    finished_at: datetime | None = None


@dataclass
class _Job:
    id: str
    directory: Path
    project: str | None
    started_at: datetime
    status: Literal["running", "done", "failed"] = "running"
    as_of: datetime | None = None
    totals: tuple[int, int] | None = None
    rows: dict[str, int] = field(default_factory=lambda: {"spans": 0, "logs": 0})
    files: int | None = None
    error: str | None = None
    finished_at: datetime | None = None

    def view(self) -> ExportJob:
        total = sum(self.totals) if self.totals else None
        written = self.rows["spans"] + self.rows["logs"]
        percent = 100.0 if self.status == "done" else (round(100 * written / total, 1) if total else None)
        return ExportJob(
            id=self.id,
            status=self.status,
            directory=str(self.directory),
            project=self.project,
            as_of=self.as_of,
            spans_total=self.totals[0] if self.totals else None,
            log_records_total=self.totals[1] if self.totals else None,
            spans=self.rows["spans"],
            log_records=self.rows["logs"],
            files=self.files,
            percent=percent,
            error=self.error,
            started_at=self.started_at,
            finished_at=self.finished_at,
        )


class Exports(Protocol):
    """Export jobs as the API starts and follows them."""

    def start(self, name: str | None, project: str | None) -> ExportJob: ...

    def get(self, job_id: str) -> ExportJob: ...

    def close(self, timeout: float = 30) -> None: ...


class NoExports:
    """Export while serving on a store without one-moment snapshots of everything (the
    Iceberg store): every call says so. Its tables are readable by other engines instead."""

    MESSAGE = (
        "export while serving needs the DuckDB store; the Iceberg store's tables are Parquet already: "
        "read them with pyiceberg, DuckDB or ClickHouse (docs/scale-out.md)"
    )

    def start(self, name: str | None, project: str | None) -> ExportJob:
        raise Unsupported(self.MESSAGE)

    def get(self, job_id: str) -> ExportJob:
        raise Unsupported(self.MESSAGE)

    def close(self, timeout: float = 30) -> None:
        return None


class ExportJobs:
    def __init__(self, store: Snapshots, root: Path) -> None:
        self._store = store
        self._root = root
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, name: str | None, project: str | None) -> ExportJob:
        started = datetime.now(UTC)
        name = name or "export-" + started.strftime("%Y%m%dT%H%M%S%fZ")
        if not NAME.match(name) or name in (".", ".."):
            raise InvalidRequest("name: letters, digits, '.', '_' and '-', starting with a letter or digit")
        directory = self._root / name
        with self._lock:
            if self._closing.is_set():
                raise StorageUnavailable("the server is shutting down")
            if any(j.status == "running" for j in self._jobs.values()):
                raise Overloaded("an export is running; wait for it to finish", retry_after=5)
            if directory.exists() and any(directory.iterdir()):
                raise InvalidRequest(f"{directory} exists and is not empty; choose another name")
            job = _Job(uuid.uuid4().hex, directory, project, started)
            self._jobs[job.id] = job
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(target=self._run, args=(job,), name=f"export-{job.id[:8]}", daemon=True)
        self._threads.append(thread)
        thread.start()
        return job.view()

    def close(self, timeout: float = 30) -> None:
        """Stop a running export at its next chunk (it ends ``failed``), before the store
        closes under it."""
        self._closing.set()
        for thread in self._threads:
            thread.join(timeout)

    def get(self, job_id: str) -> ExportJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no export {job_id!r}")
        return job.view()

    def _written(self, job: _Job, table: str, rows: int) -> None:
        job.rows[table] += rows
        if self._closing.is_set():
            raise _Stopped("the server is shutting down; the export was stopped")

    def _run(self, job: _Job) -> None:
        try:
            job.directory.mkdir(parents=True, exist_ok=True)
            with self._store.snapshot() as cursor:
                job.as_of = datetime.now(UTC)
                job.totals = parquet.row_counts(cursor, job.project)
                summary = parquet.write_export(
                    cursor,
                    job.directory,
                    decode_span=span_columns,
                    decode_log=log_columns,
                    project=job.project,
                    on_rows=lambda table, n: self._written(job, table, n),
                )
            job.files = summary.files
            job.status = "done"
        except (TracechatError, OSError, RuntimeError) as exc:
            job.error = getattr(exc, "message", None) or str(exc)
            job.status = "failed"
        except Exception as exc:  # a DuckDB error in a worker thread: say it, do not die silently
            job.error = f"{type(exc).__name__}: {exc}"
            job.status = "failed"
        finally:
            job.finished_at = datetime.now(UTC)
