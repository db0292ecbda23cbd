"""The route class of every API router: what a route accepts is what it declares.

- A query parameter the route does not declare is refused (422, naming the ones it takes)
  instead of being ignored: ``?agent=…`` for ``agent_name`` would otherwise list everything.
- A JSON body is read as JSON whatever its Content-Type says, when it parses (``curl -d``
  labels it form data); a body that is not JSON is refused with 415 naming the type expected.
- A JSON body may nest at most ``NESTING_MAX`` levels (400 beyond): what is stored from it
  (feedback values, chat metadata) is read back and serialized on every view.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from tracechat.errors import InvalidInput, InvalidRequest, UnsupportedMediaType
from tracechat.genai.values import NESTING_MAX, nested_deeper_than, too_deep_for_orjson

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
JSON = "application/json"


class StrictRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()
        accepted = sorted(_query_parameters(self.dependant))
        takes_body = self.body_field is not None

        async def strict(request: Request) -> Response:
            _refuse_unknown_parameters(request, accepted)
            if takes_body:
                request = await _as_json(request)
            return await handle(request)

        return strict


def _query_parameters(dependant: Dependant) -> set[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_parameters(dependency)
    return names


def _refuse_unknown_parameters(request: Request, accepted: list[str]) -> None:
    unknown = sorted(set(request.query_params) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "none"
        raise InvalidRequest(f"unknown query parameter(s) {', '.join(map(repr, unknown))}; this route takes: {takes}")


async def _as_json(request: Request) -> Request:
    declared = request.headers.get("content-type", "")
    body = await request.body()
    _check_nesting(body)
    if _is_json_type(declared) or not body:
        return request
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        raise UnsupportedMediaType(
            f"this route takes a JSON body (Content-Type: {JSON}); the body sent ({declared or 'no type'}) is not JSON"
        ) from None
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"] + [(b"content-type", JSON.encode())]
    relabelled = Request({**request.scope, "headers": headers}, request.receive)
    relabelled._body = body  # already read: the handler reads it from here
    return relabelled


def _check_nesting(body: bytes) -> None:
    if body.count(b"[") + body.count(b"{") <= NESTING_MAX:
        return  # each level opens a bracket: too few of them to nest too deep (most bodies)
    try:
        too_deep = nested_deeper_than(orjson.loads(body), NESTING_MAX)
    except orjson.JSONDecodeError as exc:
        too_deep = too_deep_for_orjson(exc)  # else not JSON at all: its own parser says so
    if too_deep:
        raise InvalidInput(f"the JSON body is nested deeper than {NESTING_MAX} levels, the most this API takes")


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))
