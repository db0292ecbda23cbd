"""How far a schema migration at start is, for the start-up log, ``/healthz`` and the
viewer (which answer "migrating, N% done" while the store is not open yet).

The store reports steps and, within a step, the progress DuckDB gives of the statement
running (``query_progress``): an estimate, good enough to tell moving from stuck."""

from __future__ import annotations

import threading


class MigrationStatus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = False
        self.finished = False
        self._steps = 0
        self._step = 0
        self._within = 0.0
        self.began = threading.Event()

    def begin(self, steps: int) -> None:
        with self._lock:
            self.active, self._steps, self._step, self._within = True, max(1, steps), 0, 0.0
        self.began.set()

    def at_step(self, index: int) -> None:
        with self._lock:
            self._step, self._within = index, 0.0

    def within_step(self, fraction: float) -> None:
        with self._lock:
            self._within = max(self._within, min(1.0, max(0.0, fraction)))

    def finish(self) -> None:
        with self._lock:
            self.active, self.finished = False, True
        self.began.set()

    @property
    def percent(self) -> int:
        with self._lock:
            if self.finished:
                return 100
            if not self._steps:
                return 0
            return min(99, int(100 * (self._step + self._within) / self._steps))

    def message(self) -> str:
        return f"migrating, {self.percent}% done"
