"""The one rule for project names, checked wherever a name enters: key creation, the OTLP
resource, API parameters, export paths.

A name is 1–128 letters, digits or ``. _ : @ -``, starting with a letter or a digit: no
``/``, no ``..`` component, nothing a file path or a partition directory could be steered
by. ``<name>:analyst`` is kept for the trace analyst's own traces of project ``<name>``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from tracechat.errors import InvalidInput

DEFAULT_PROJECT = "default"
ANALYST_SUFFIX = ":analyst"
NAME_MAX = 128
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")


def analyst_project(project: str) -> str:
    """Where the trace analyst's own turns are traced for ``project``: beside it, not in it,
    so its self-traces stay out of the project's lists and statistics; a key of the project
    reads both."""
    return project + ANALYST_SUFFIX


def valid_project(name: str) -> str:
    """``name`` when it is a project a client may name (write to, create a key for);
    ``InvalidInput`` otherwise."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"project name {name[:80]!r} must be 1-128 letters, digits or . _ : @ -, starting with a letter or digit"
        )
    if name.endswith(ANALYST_SUFFIX):
        raise InvalidInput(f"project names ending in {ANALYST_SUFFIX!r} are kept for the trace analyst's own traces")
    return name


def readable_project(name: str) -> str:
    """``name`` when it is a project or a project's analyst project (what reads may name)."""
    base = name.removesuffix(ANALYST_SUFFIX)
    if base != name and base.endswith(ANALYST_SUFFIX):
        raise InvalidInput(f"project name {name[:80]!r} names the analyst project of an analyst project")
    valid_project(base)
    return name


def path_component(name: str) -> str:
    """A stored project name as one file-name component. A valid name stays as it is; a name
    stored before the rule existed is percent-encoded, so it can never hold a ``/`` (nor be
    ``..``: export prefixes it with ``project=``)."""
    return quote(name, safe=".:@-_")
