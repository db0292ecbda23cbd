"""The short coverage-guided run: libFuzzer mutates the captured requests for a few thousand
executions through decode → flatten → normalize → trajectory; any crash fails the test and
leaves the input that caused it. ``make fuzz-long`` runs the same harness for ten minutes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fuzz import examples

HARNESS = Path(__file__).with_name("atheris_pipeline.py")


def test_coverage_guided_pipeline_run(tmp_path: Path) -> None:
    corpus, artifacts = tmp_path / "corpus", tmp_path / "crashes"
    artifacts.mkdir()
    subprocess.run([sys.executable, str(HARNESS), "--seed", str(corpus)], check=True, timeout=120)
    assert len(list(corpus.iterdir())) >= 10, "the corpus should start from every captured request"
    run = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-runs={examples(3000)}",
            f"-artifact_prefix={artifacts}/",
            "-rss_limit_mb=4096",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    crashes = sorted(path.name for path in artifacts.iterdir())
    assert not crashes, f"libFuzzer found {crashes}:\n{run.stderr[-4000:]}"
    assert run.returncode == 0, run.stderr[-4000:]
    assert "DONE" in run.stderr, run.stderr[-2000:]
