"""The installed tracechat.v1 modules are what proto/ says now (the package build generates
them with scripts/gen_proto.py): a .proto edited without reinstalling fails here, not in a
client. Compared as descriptors, so another patch release of the generator is no failure."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

import tracechat.v1

PROTO = Path(__file__).resolve().parents[2] / "proto"


def test_the_installed_modules_are_what_proto_says(tmp_path: Path) -> None:
    files = sorted(str(p.relative_to(PROTO)) for p in PROTO.glob("tracechat/v1/*.proto"))
    out = tmp_path / "descriptors.pb"
    well_known = Path(protoc.__file__).parent / "_proto"
    assert protoc.main(["protoc", f"-I{PROTO}", f"-I{well_known}", f"--descriptor_set_out={out}", *files]) == 0
    fresh = {f.name: _plain(f) for f in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file}
    generated = [
        importlib.import_module(f"tracechat.v1.{m.name}")
        for m in pkgutil.iter_modules(tracechat.v1.__path__)
        if m.name.endswith("_pb2")
    ]
    installed = {
        m.DESCRIPTOR.name: _plain(descriptor_pb2.FileDescriptorProto.FromString(m.DESCRIPTOR.serialized_pb))
        for m in generated
    }
    assert set(fresh) == set(installed), "a .proto file was added or removed: reinstall (pip install -e .)"
    stale = [name for name in fresh if fresh[name] != installed[name]]
    assert not stale, f"{stale} changed since the install: reinstall (pip install -e .) or run scripts/gen_proto.py"


def _plain(file: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    """Without the json_names protoc fills in by default (generated modules leave them out)."""
    for message in file.message_type:
        for field in message.field:
            head, *rest = field.name.split("_")
            if field.json_name == head + "".join(part.capitalize() for part in rest):
                field.ClearField("json_name")
    return file
