"""Which project a span belongs to.

The project of the key that sent it; for admin keys and in open mode, the resource
attribute ``tracechat.project`` or ``openinference.project.name``; else ``default``.
"""

from __future__ import annotations

import re

from opentelemetry.proto.resource.v1.resource_pb2 import Resource as PB2Resource

from tracechat.auth.keys import ANALYST_SUFFIX, Principal
from tracechat.errors import InvalidInput
from tracechat.ingest.flatten import ProjectOf

DEFAULT_PROJECT = "default"
PROJECT_ATTRIBUTES = ("tracechat.project", "openinference.project.name")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")


def valid_project(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"project name {name[:80]!r} must be 1-128 letters, digits or . _ : @ -, starting with a letter or digit"
        )
    if name.endswith(ANALYST_SUFFIX):
        raise InvalidInput(f"project names ending in {ANALYST_SUFFIX!r} are kept for the trace analyst's own traces")
    return name


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
