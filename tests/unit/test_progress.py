"""Progress of long work: log lines off a terminal, a bar with rate and time left on one."""

from __future__ import annotations

import io
import time

from tracechat.progress import Progress, shown


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_line_says_how_far_how_fast_and_how_long_yet() -> None:
    progress = Progress("loading", 200, "files")
    progress.started = time.monotonic() - 10
    progress.advance(50)
    assert progress.line() == "loading: 50/200 files (25%), 5 files/s, 30 s left"
    assert Progress("exporting", None, "rows").line().startswith("exporting: 0 rows, 0 rows/s")


def test_off_a_terminal_it_logs_lines_every_few_seconds_and_at_the_end() -> None:
    out = io.StringIO()
    with shown("loading", 3, "files", stream=out, every_s=0.05) as progress:
        progress.advance(1)
        time.sleep(0.2)
        progress.advance(2)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("loading: 1/3 files (33%)")
    assert lines[-1].startswith("loading: 3/3 files (100%)")
    assert lines[-1].endswith("— done")


def test_on_a_terminal_it_draws_a_bar_with_rate_and_time_left() -> None:
    out = _Terminal()
    with shown("exporting", 10, "rows", stream=out) as progress:
        progress.advance(10)
        time.sleep(0.3)
    drawn = out.getvalue()
    assert "exporting" in drawn
    assert "10/10" in drawn
    assert "rows/s" in drawn
    assert "\x1b[" in drawn  # drawn in place, not logged
