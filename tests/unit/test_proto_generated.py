"""The installed tracechat.v1 modules are what proto/ generates now (scripts/gen_proto.py, run
by the package build): a .proto edited without reinstalling fails here, not in a client."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import tracechat.v1

ROOT = Path(__file__).resolve().parents[2]


def test_the_generated_code_is_current(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_proto", ROOT / "scripts" / "gen_proto.py")
    assert spec is not None
    assert spec.loader is not None
    gen_proto = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_proto)
    fresh = {p.name: p.read_bytes() for p in gen_proto.generate(tmp_path)}
    installed = Path(tracechat.v1.__file__).parent
    assert {"query_pb2.py", "query_pb2_grpc.py", "trajectory_pb2.py", "trajectory_pb2.pyi"} <= set(fresh)
    stale = [name for name, data in fresh.items() if (installed / name).read_bytes() != data]
    assert not stale, f"{stale} differ from proto/: reinstall (pip install -e .) or run scripts/gen_proto.py"
