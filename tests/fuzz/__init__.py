"""Property-based fuzzing. Short runs are part of ``make test``; ``make fuzz-long`` sets
``TRACECHAT_FUZZ_EXAMPLES`` for a long one."""

from __future__ import annotations

import os


def examples(default: int) -> int:
    """How many examples a property gets: its short default, or the long run's count."""
    return int(os.environ.get("TRACECHAT_FUZZ_EXAMPLES", default))
