"""The HTTP API's JSON as proto3 JSON would write it, by the rules docs/api.md ("gRPC") states,
so a test can compare the two edges' answers exactly. Walking the HTTP JSON beside the
message's descriptor also fails on any HTTP field the message lacks (field for field)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

_INT64 = {FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64}


def proto_json(message: Message) -> dict[str, Any]:
    """A message's proto3 JSON as tracechat prints it: names as declared, fields without
    presence always printed."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def as_proto3(http: dict[str, Any], descriptor: Descriptor) -> dict[str, Any]:
    """``http`` with proto3 JSON's only differences applied: null → absent (or [] for a
    list), 64-bit integers as strings, timestamps with 0/3/6/9 fraction digits."""
    unknown = set(http) - set(descriptor.fields_by_name)
    assert not unknown, f"{descriptor.full_name} has no field for {sorted(unknown)}"
    result: dict[str, Any] = {}
    for field in descriptor.fields:
        value = http.get(field.name)
        if field.is_repeated:
            result[field.name] = [_value(v, field) for v in value or ()]
        elif value is not None:
            result[field.name] = _value(value, field)
        elif not field.has_presence:
            raise AssertionError(f"{descriptor.full_name}.{field.name}: null in HTTP, but the field has no presence")
    return result


def _value(value: Any, field: FieldDescriptor) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        name = field.message_type.full_name
        if name == "google.protobuf.Timestamp":
            stamp = Timestamp()
            stamp.FromJsonString(value)
            return stamp.ToJsonString()
        if name == "google.protobuf.Value":
            return value
        return as_proto3(value, field.message_type)
    if field.type in _INT64:
        assert isinstance(value, int), (field.full_name, value)
        assert not isinstance(value, bool), (field.full_name, value)
        return str(value)
    return value
