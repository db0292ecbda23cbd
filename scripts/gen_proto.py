"""Generates the Python code of proto/ into src/ (the ``tracechat.v1`` package): messages,
gRPC stubs and their type stubs (mypy-protobuf). Run by the package build (setup.py) on every
install, editable ones too, so the generated modules are never checked in nor edited.

    python scripts/gen_proto.py [OUT_DIR]    # default: src/

Needs grpcio-tools and mypy-protobuf (build requirements, and dev dependencies for the test
that checks the installed code is current: tests/unit/test_proto_generated.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_DIR = ROOT / "proto"
PACKAGE = "tracechat/v1"
HEADER = '"""Generated from proto/tracechat/v1 by scripts/gen_proto.py at install time; not checked in."""\n'


def proto_files() -> list[Path]:
    return sorted((PROTO_DIR / PACKAGE).glob("*.proto"))


def _plugin(name: str) -> str:
    """A protoc plugin installed beside this interpreter (the build or the dev environment)."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        found = folder / name
        if found.exists():
            return str(found)
    on_path = shutil.which(name)
    if on_path is None:
        raise RuntimeError(f"{name} not found: install mypy-protobuf")
    return on_path


def generate(out_dir: Path) -> list[Path]:
    """Write the generated modules of every .proto under ``out_dir``; the files written."""
    from grpc_tools import protoc  # imported here: only builds and the freshness test need it

    well_known = Path(protoc.__file__).parent / "_proto"
    target = out_dir / PACKAGE
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out=quiet:{out_dir}",
        f"--mypy_grpc_out=quiet:{out_dir}",
        f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        *(str(path.relative_to(PROTO_DIR)) for path in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed on proto/ (see above)")
    (target / "__init__.py").write_text(HEADER)
    if not (out_dir / "tracechat" / "__init__.py").exists():  # generating outside src/
        (out_dir / "tracechat" / "__init__.py").write_text("")
    return sorted(p for p in target.iterdir() if p.is_file())


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "src"
    written = generate(out_dir)
    print(f"generated {len(written)} files in {os.path.relpath(out_dir / PACKAGE)}")


if __name__ == "__main__":
    main()
