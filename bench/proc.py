"""What /proc says about a server process the benches started."""

from __future__ import annotations

import os
from pathlib import Path


def status_mb(pid: int, field: str) -> float:
    """A memory line of /proc/PID/status in MB (``VmRSS`` now, ``VmHWM`` its peak); 0 once gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb(pid: int) -> float:
    return status_mb(pid, "VmHWM")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The process's children (its worker processes), as /proc lists them."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def tree_cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time of the process and of its running children (each ``cpu_seconds``)."""
    own = cpu_seconds(pid)
    spawned = 0.0
    for child in children(pid):
        try:
            spawned += cpu_seconds(child)
        except OSError:
            continue
    return own, spawned
