"""ReadHandle on a real DuckDB cursor: the query running is stopped, a stopped read starts
no other, and an interrupt that lands before the query starts is not lost."""

from __future__ import annotations

import threading
from collections.abc import Callable

import duckdb
import pytest

from tracechat import interrupts
from tracechat.errors import ReadInterrupted, ReadTimedOut

ENDLESS = "SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3"  # hours of work


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the test
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, raised


def test_the_running_query_is_interrupted_even_when_the_first_interrupt_comes_too_early() -> None:
    cursor = duckdb.connect().cursor()
    handle = interrupts.ReadHandle(timeout_s=30)
    attached = threading.Event()
    go = threading.Event()

    def read() -> None:
        handle.attach(cursor)
        attached.set()
        go.wait()  # the first interrupt lands here, before the query starts: DuckDB drops it
        cursor.execute(ENDLESS).fetchall()

    thread, raised = _in_thread(read)
    assert attached.wait(10)
    handle.interrupt("timeout")
    go.set()
    for _ in range(1200):  # what the API edge does until the read is over
        if not thread.is_alive():
            break
        handle.repeat()
        thread.join(0.05)
    assert not thread.is_alive(), "the query ran on: the interrupt was lost"
    [error] = raised
    assert isinstance(error, duckdb.InterruptException)
    stopped = handle.error()
    assert isinstance(stopped, ReadTimedOut)
    assert stopped.http_status == 504
    assert handle.stopped


def test_a_stopped_read_starts_no_other_query_and_python_work_stops_at_a_check() -> None:
    handle = interrupts.ReadHandle(timeout_s=30)
    interrupts.check()  # no read bound: nothing to stop
    with interrupts.bound(handle):
        interrupts.check()
        handle.interrupt("client_left")
        with pytest.raises(ReadInterrupted, match="client left"):
            interrupts.check()
        with pytest.raises(ReadInterrupted):
            handle.attach(duckdb.connect().cursor())
    assert interrupts.current() is None
    assert not handle.open


def test_a_closed_or_detached_handle_reaches_no_cursor() -> None:
    class Counted:
        interrupted = 0

        def interrupt(self) -> None:
            self.interrupted += 1

    detached, kept = Counted(), Counted()
    handle = interrupts.ReadHandle(timeout_s=30)
    handle.attach(detached)
    handle.attach(kept)
    handle.detach(detached)  # its thread went on to serve another request
    handle.interrupt("timeout")
    handle.repeat()
    handle.close()
    handle.repeat()
    assert (detached.interrupted, kept.interrupted) == (0, 2)
