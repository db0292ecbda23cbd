"""Export while serving: start a Parquet export of the store on the server, and follow it.

Admin keys only (in open mode every request is admin): the export writes files on the
server's disk and may hold every project."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from tracechat.api.deps import PrincipalDep, ServiceDep
from tracechat.api.errors import ErrorBody
from tracechat.api.strict import StrictRoute
from tracechat.api.traces import PROJECT_ID_MAX
from tracechat.auth.keys import Principal
from tracechat.errors import PermissionDenied
from tracechat.live_export import ExportJob

EXPORT_ID = r"^[0-9a-f]{32}$"

router = APIRouter(
    prefix="/admin/exports",
    tags=["operations"],
    route_class=StrictRoute,
    responses={
        501: {"model": ErrorBody, "description": "The server runs on the Iceberg store: no export while serving"}
    },
)


class ExportRequest(BaseModel):
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Directory under the server's <data-dir>/exports/ to write to (new or empty). "
        "Default: export-<UTC time>.",
    )
    project: str | None = Field(default=None, min_length=1, max_length=PROJECT_ID_MAX, description="Default: all.")


def _admin(principal: Principal) -> None:
    if not principal.admin:
        raise PermissionDenied("exports need an admin key (tracechat keys create --admin)")


@router.post(
    "",
    response_model=ExportJob,
    status_code=202,
    summary="Export the store as hive-partitioned Parquet on the server, as of now, while serving",
)
def start_export(request: ExportRequest, principal: PrincipalDep, service: ServiceDep) -> ExportJob:
    _admin(principal)
    return service.exports.start(request.name, request.project)


@router.get("/{export_id}", response_model=ExportJob, summary="How far an export is")
def export_status(
    export_id: Annotated[str, Path(pattern=EXPORT_ID)], principal: PrincipalDep, service: ServiceDep
) -> ExportJob:
    _admin(principal)
    return service.exports.get(export_id)
