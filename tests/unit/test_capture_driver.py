"""scripts/capture/capture.py, the capture driver (stdlib only, so it is read here as it is):
which python runs the fake servers and dump.py for a case."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script

DRIVER = Path(__file__).resolve().parents[2] / "scripts" / "capture" / "capture.py"


@pytest.fixture(scope="module")
def capture() -> ModuleType:
    return load_script(DRIVER, "capture_driver")


def test_a_case_runs_its_servers_with_the_venv_its_cmd_names_when_there_is_no_main_venv(
    capture: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(capture, "VENV_PY", tmp_path / "no-venv" / "bin" / "python")
    case = capture.BY_NAME["openlit-smolagents"]
    own = capture.HERE / ".venv-openlitsmol" / "bin" / "python"
    assert case.cmd[0] == str(own)  # what the cmd names
    assert capture.servers_python(case) == own


def test_the_main_venv_runs_every_cases_servers_where_it_exists(
    capture: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    main = tmp_path / ".venv" / "bin" / "python"
    main.parent.mkdir(parents=True)
    main.touch()
    monkeypatch.setattr(capture, "VENV_PY", main)
    for name in ("openlit-smolagents", "smolagents", "vercel-ai-sdk"):
        assert capture.servers_python(capture.BY_NAME[name]) == main


def test_a_case_whose_cmd_names_no_venv_keeps_the_main_venv(
    capture: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-venv" / "bin" / "python"
    monkeypatch.setattr(capture, "VENV_PY", missing)
    case = capture.BY_NAME["vercel-ai-sdk"]  # cmd = node ...
    assert case.cmd_python is None
    assert capture.servers_python(case) == missing
