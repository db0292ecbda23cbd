"""Which project a span belongs to.

The project of the key that sent it; for admin keys and in open mode, the resource
attribute ``tracechat.project`` or ``openinference.project.name``; else ``default``.
"""

from __future__ import annotations

from opentelemetry.proto.resource.v1.resource_pb2 import Resource as PB2Resource

from tracechat.auth.keys import Principal
from tracechat.ingest.flatten import ProjectOf
from tracechat.model.projects import DEFAULT_PROJECT, valid_project

__all__ = ["DEFAULT_PROJECT", "PROJECT_ATTRIBUTES", "project_resolver", "valid_project"]

PROJECT_ATTRIBUTES = ("tracechat.project", "openinference.project.name")


def project_resolver(principal: Principal) -> ProjectOf:
    if principal.project is not None and not principal.admin:
        fixed = principal.project
        return lambda resource: fixed
    return _from_resource


def _from_resource(resource: PB2Resource) -> str:
    found: dict[str, str] = {}
    for kv in resource.attributes:
        if kv.key in PROJECT_ATTRIBUTES and kv.value.string_value:
            found[kv.key] = kv.value.string_value
    for key in PROJECT_ATTRIBUTES:
        if key in found:
            return valid_project(found[key])
    return DEFAULT_PROJECT
