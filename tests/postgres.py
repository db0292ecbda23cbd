"""A throwaway PostgreSQL cluster for tests, from Debian's ``postgresql`` package.

``initdb`` into a fresh directory, ``postgres`` on an ephemeral loopback port with its unix
socket in that directory, stopped by its pid. PostgreSQL refuses to run as root: when the
tests do, the cluster runs as the ``postgres`` user, in a directory it owns.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

_START_TIMEOUT_S = 30.0
_LIVE: list[PostgresServer] = []  # the clusters this process started and has not closed


def _close_all_then_die(signum: int, _frame: object) -> None:
    """SIGXCPU: mutmut's time limit for a mutant's tests (RLIMIT_CPU; SIGKILL a second of CPU
    later). No atexit function runs on that signal, so the cluster would outlive the run
    (ppid 1, its directory left in /tmp): stop each one first, then die of the signal."""
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.close()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def postgres_bin() -> Path | None:
    """The directory of Debian's PostgreSQL binaries (the newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """One cluster; ``dsn(database)`` for a libpq connection string, ``create_database()`` for
    a fresh, empty database per test."""

    def __init__(self) -> None:
        binaries = postgres_bin()
        if binaries is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does)")
        self._bin = binaries
        self._as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="tracechat-pg-"))
        self.data = self.dir / "data"
        self.user = "tracechat"
        if self._as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._run([str(self._bin / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8"])
        atexit.register(self.close)  # a run killed before its teardown still stops its cluster
        _LIVE.append(self)
        if signal.getsignal(signal.SIGXCPU) is signal.SIG_DFL:
            with contextlib.suppress(ValueError):  # (not from the main thread: atexit only)
                signal.signal(signal.SIGXCPU, _close_all_then_die)
        self.start()

    def _as_user(self) -> dict[str, Any]:
        """Popen's arguments that run the child as ``postgres`` when we are root (the child's
        pid is then the server's own, to stop it by)."""
        return {"user": "postgres", "group": "postgres", "extra_groups": []} if self._as_root else {}

    def _run(self, argv: Sequence[str]) -> None:
        done = subprocess.run(list(argv), capture_output=True, check=False, cwd=self.dir, **self._as_user())
        if done.returncode:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr.decode(errors='replace')}")

    def start(self) -> None:
        """Start (or restart after ``stop``) on the same port and data."""
        log = open(self.dir / "server.log", "ab")  # noqa: SIM115 - the child holds it
        argv = [
            str(self._bin / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.dir}",
            "-c",
            "fsync=off",  # a test cluster: durability across a machine crash is not tested here
            "-c",
            "max_connections=200",
        ]
        self._process = subprocess.Popen(argv, stdout=log, stderr=log, cwd=self.dir, **self._as_user())
        log.close()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start: {(self.dir / 'server.log').read_text()}") from None
                time.sleep(0.05)

    def dsn(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its DSN."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self, *, fast: bool = True) -> None:
        """Stop the server by its pid (SIGINT: fast shutdown, open connections dropped)."""
        process = self._process
        if process is None:
            return
        self._process = None
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT if fast else signal.SIGTERM)
            try:
                process.wait(timeout=_START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()

    def close(self) -> None:
        if self in _LIVE:
            _LIVE.remove(self)
        self.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.dir)
