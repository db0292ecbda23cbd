"""``tracechat export --trajectories``: many trajectories as JSON lines (one ATIF document
or one OpenAI conversation a line), chosen by project and time, from a stopped store's file
or through a running server's API.

The traces are those that started before the moment the export began (``until``), so
traces arriving meanwhile do not shift the pages being read."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TextIO

from tracechat.model.summaries import TraceFilter
from tracechat.model.times import ns_of
from tracechat.progress import shown
from tracechat.query.formats.convert import Format, dump, trace_as
from tracechat.query.service import TraceQueries

PAGE = 500


@dataclass(frozen=True, slots=True)
class Selection:
    project: str
    since: datetime | None = None
    until: datetime | None = None


class TrajectorySource(Protocol):
    def page(self, offset: int) -> tuple[list[str], int]:
        """Trace ids of one page (newest first) and how many traces are selected."""
        ...

    def exported(self, trace_id: str) -> str:
        """One trace's trajectory, as one line of JSON."""
        ...


def write_jsonl(source: TrajectorySource, out: TextIO, label: str = "exporting trajectories") -> int:
    """Every selected trajectory, one a line; how many were written."""
    ids, total = source.page(0)
    written = 0
    seen: set[str] = set()
    with shown(label, total, "traces") as progress:
        for trace_id in _all_ids(source, ids):
            if trace_id in seen:
                continue
            seen.add(trace_id)
            out.write(source.exported(trace_id) + "\n")
            written += 1
            progress.advance()
    return written


def _all_ids(source: TrajectorySource, first: list[str]) -> Iterator[str]:
    ids, offset = first, 0
    while ids:
        yield from ids
        offset += len(ids)
        ids, _ = source.page(offset)


class LocalSource:
    """Trajectories read from the store in this process (a stopped server's file)."""

    def __init__(self, queries: TraceQueries, selection: Selection, format: Format) -> None:
        self._queries = queries
        self._selection = selection
        self._format = format
        until = selection.until or datetime.now(UTC)
        self._where = TraceFilter(since_ns=ns_of(selection.since) or 0, until_ns=ns_of(until))

    def page(self, offset: int) -> tuple[list[str], int]:
        listing = self._queries.list_traces(self._selection.project, self._where, PAGE, offset)
        return [t.trace_id for t in listing.traces], listing.total

    def exported(self, trace_id: str) -> str:
        trajectory = self._queries.trajectory(self._selection.project, trace_id)
        return dump(trace_as(trajectory, self._format, self._selection.project))


class RemoteSource:
    """Trajectories read through a running server's HTTP API."""

    def __init__(self, api: ApiClient, selection: Selection, format: Format) -> None:
        self._api = api
        self._selection = selection
        self._format = format
        since = selection.since or datetime(1970, 1, 1, tzinfo=UTC)
        self._params = {
            "project_id": selection.project,
            "since": since.isoformat(),
            "until": (selection.until or datetime.now(UTC)).isoformat(),
        }

    def page(self, offset: int) -> tuple[list[str], int]:
        listing = json.loads(self._api.get("/agents/traces", {**self._params, "limit": PAGE, "offset": offset}))
        return [t["trace_id"] for t in listing["traces"]], int(listing["total"])

    def exported(self, trace_id: str) -> str:
        query = {"format": self._format.value, "project_id": self._selection.project}
        # One line: the server's JSON is compact already, but say so rather than trust it.
        return json.dumps(json.loads(self._api.get(f"/agents/traces/{trace_id}/trajectory", query)))


class ApiClient(Protocol):
    def get(self, path: str, params: Mapping[str, str | int]) -> bytes: ...
