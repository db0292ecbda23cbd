"""Progress of long work (loading a folder, exporting, migrating the schema): a bar with
rate and time left on a terminal (``rich``), plain log lines every few seconds otherwise,
so a log file or CI output still shows the work moving."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

from tracechat.migration import MigrationStatus

LOG_EVERY_S = 5.0


class Progress:
    """How far one piece of work is; safe to advance from any thread."""

    def __init__(self, label: str, total: int | None, unit: str) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    def line(self) -> str:
        """``label: 1,200/5,000 spans (24%), 300 spans/s, 13 s left``."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        parts = [f"{self.label}: {self.done:,}" + (f"/{self.total:,}" if self.total else "") + f" {self.unit}"]
        if self.fraction is not None:
            parts[0] += f" ({self.fraction:.0%})"
        parts.append(f"{rate:,.0f} {self.unit}/s")
        if self.total and rate > 0:
            parts.append(f"{max(0.0, (self.total - self.done) / rate):,.0f} s left")
        return ", ".join(parts)


@contextmanager
def shown(
    label: str, total: int | None, unit: str = "items", stream: TextIO | None = None, every_s: float = LOG_EVERY_S
) -> Iterator[Progress]:
    """Show ``Progress`` of the work done in the ``with`` block on ``stream`` (stderr)."""
    out = stream or sys.stderr
    progress = Progress(label, total, unit)
    if out.isatty():
        with _bar(progress, out):
            yield progress
        return
    stop = threading.Event()
    logger = threading.Thread(target=_log_lines, args=(progress, out, stop, every_s), daemon=True)
    logger.start()
    try:
        yield progress
    finally:
        stop.set()
        logger.join()
        print(progress.line() + " — done", file=out, flush=True)


def _log_lines(progress: Progress, out: TextIO, stop: threading.Event, every_s: float) -> None:
    while not stop.wait(every_s):
        print(progress.line(), file=out, flush=True)


@contextmanager
def _bar(progress: Progress, out: TextIO) -> Iterator[None]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with RichProgress(*columns, console=Console(file=out), transient=False) as bar:
        task = bar.add_task(progress.label, total=progress.total, rate="")
        stop = threading.Event()

        def refresh() -> None:
            while not stop.wait(0.2):
                elapsed = max(time.monotonic() - progress.started, 1e-9)
                bar.update(task, completed=progress.done, rate=f"{progress.done / elapsed:,.0f} {progress.unit}/s")

        updater = threading.Thread(target=refresh, daemon=True)
        updater.start()
        try:
            yield
        finally:
            stop.set()
            updater.join()
            bar.update(task, completed=progress.done)


@contextmanager
def migration_shown(status: MigrationStatus, stream: TextIO | None = None) -> Iterator[None]:
    """While the block runs: if a schema migration begins, show its percent done until it
    ends (nothing at all when the store needs none)."""
    stop = threading.Event()

    def show() -> None:
        while not status.began.wait(0.1):
            if stop.is_set():
                return
        if status.finished and not status.active:
            return
        with shown("migrating the database", 100, "%", stream=stream) as progress:
            while status.active and not stop.wait(0.25):
                progress.done = status.percent
            progress.done = status.percent

    watcher = threading.Thread(target=show, name="migration-shown", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
