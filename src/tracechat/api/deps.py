"""Request dependencies shared by the routers: the service and the caller's principal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Query, Request

from tracechat.auth.keys import Principal

if TYPE_CHECKING:
    from tracechat.app import Service


# Both are async because they never block: FastAPI then runs them on the event loop
# instead of sending each to the threadpool (two thread hops less per request). The key is
# read from the request's headers, not declared as a Header parameter: the same value, without
# FastAPI's per-request pass over a parameter list (it stays out of the schema either way).


async def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def get_principal(request: Request) -> Principal:
    service: Service = request.app.state.service
    return service.keys.authenticate(request.headers.get("authorization"))


ServiceDep = Annotated["Service", Depends(get_service)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]

_BIGINT_MAX = 2**63 - 1

Offset = Annotated[int, Query(ge=0, le=_BIGINT_MAX, description="How many items to skip.")]
"""Paging offsets are bounded by what the store's 64-bit integers can hold."""
Cursor = Annotated[int | None, Query(ge=0, le=_BIGINT_MAX, description="A message id from an earlier page.")]
