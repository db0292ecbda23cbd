"""Request dependencies shared by the routers: the service and the caller's principal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request

from tracechat.auth.keys import Principal

if TYPE_CHECKING:
    from tracechat.app import Service


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def get_principal(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    return get_service(request).keys.authenticate(authorization)


ServiceDep = Annotated["Service", Depends(get_service)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
