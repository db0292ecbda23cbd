"""Operations endpoints: liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from tracechat import __version__
from tracechat.api.deps import PrincipalDep, ServiceDep
from tracechat.api.strict import StrictRoute
from tracechat.metrics import CONTENT_TYPE

router = APIRouter(tags=["operations"], route_class=StrictRoute)


class Health(BaseModel):
    status: str
    version: str
    write_queue_bytes: int


@router.get("/healthz", response_model=Health, summary="Liveness and write-queue depth")
async def healthz(service: ServiceDep) -> Health:
    # On the event loop, never in a thread: it answers while every API thread is busy.
    return Health(
        status="ok",
        version=__version__,
        write_queue_bytes=service.store.writer.queued_bytes,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}},
)
def metrics(service: ServiceDep, principal: PrincipalDep) -> Response:
    # Counters carry no project labels, so any valid key may read them.
    return Response(service.metrics.render(), media_type=CONTENT_TYPE)
