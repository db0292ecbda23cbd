"""Every command README.md shows, run as printed against a served demo.

The commands are read from the README's ``sh`` blocks, so a command added there is run here
too. Only what cannot be typed as is gets replaced: the demo's ephemeral ports for the
defaults (8000, 4318), and a real trace id for ``<trace_id>``. ``make run`` and ``make test``
are what CI and the demo server below run; keys commands get a data directory of their own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import ChildServer

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
VENV_BIN = f"{Path(sys.executable).parent}/"


def readme_commands() -> list[str]:
    """Each command of the README's ``sh`` blocks, continuation lines joined."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL):
        for command in re.sub(r"\\\n\s*", " ", block).splitlines():
            if command.strip() and not command.startswith("make "):
                commands.append(command.strip())
    return commands


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    server = ChildServer.start(tmp_path_factory.mktemp("readme") / "data", "--demo")
    yield server
    server.terminate()


def as_run_here(command: str, demo: ChildServer, trace_id: str, session_id: str = "") -> str:
    return (
        command.replace("localhost:8000", f"127.0.0.1:{demo.ports.api}")
        .replace("<session_id>", session_id)
        .replace("127.0.0.1:4318", f"127.0.0.1:{demo.ports.otlp_http}")
        .replace("<trace_id>", trace_id)
        .replace("<32 hex>", trace_id)
        .replace(".venv/bin/", VENV_BIN)
    )


def test_the_readme_shows_the_commands_this_test_runs() -> None:
    commands = readme_commands()
    assert sum(c.startswith("curl") for c in commands) >= 3
    assert any(" load " in c for c in commands)
    assert any(" trajectory " in c for c in commands)


@pytest.mark.parametrize("command", readme_commands())
def test_a_readme_command_works_as_printed(command: str, demo: ChildServer, tmp_path: Path) -> None:
    listed = httpx.get(f"{demo.api}/agents/traces", params={"q": "Agent workflow"}).json()
    trace_id = listed["traces"][0]["trace_id"]
    session_id = httpx.get(f"{demo.api}/agents/sessions").json()["sessions"][0]["session_id"]
    env = {
        **os.environ,
        "TRACECHAT_API": demo.api,  # `tracechat trajectory` without --endpoint: the default port, here
        "TRACECHAT_DATA_DIR": str(tmp_path / "keys-data"),
    }
    if "keys revoke tck_…" in command:  # the README's placeholder for a key made before
        command = command.replace("tck_…", _created_key_id(env))
    run = subprocess.run(
        ["bash", "-o", "pipefail", "-c", as_run_here(command, demo, trace_id, session_id)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"{command}\n{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stderr
    if command.startswith("curl"):
        answer = json.loads(run.stdout)
        assert "error" not in answer, answer
        if "/agents/traces?" in command:
            assert answer["traces"], "the demo's traces are in the default window"
        if "/api/v1/chat" in command:
            assert "spends the most tokens" in answer["response"]


def _created_key_id(env: dict[str, str]) -> str:
    made = subprocess.run(
        [f"{VENV_BIN}tracechat", "keys", "create", "--project", "shop"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return next(line.split()[-1] for line in made.stdout.splitlines() if line.startswith("key id:"))
