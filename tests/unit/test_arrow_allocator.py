"""tracechat picks Arrow's allocator when it is imported, before pyarrow loads (pyarrow reads
``ARROW_DEFAULT_MEMORY_POOL`` once): jemalloc, unless the environment names one. Each case
runs in a fresh interpreter, since this one loaded pyarrow long ago."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PROBE = "import tracechat, pyarrow; print(pyarrow.default_memory_pool().backend_name)"


def _pool_after_import(environment: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | environment
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_importing_tracechat_makes_jemalloc_arrows_default_pool() -> None:
    assert _pool_after_import({}) == "jemalloc"


@pytest.mark.parametrize("named", ["system", "mimalloc"])
def test_a_pool_named_in_the_environment_is_kept(named: str) -> None:
    assert _pool_after_import({"ARROW_DEFAULT_MEMORY_POOL": named}) == named
