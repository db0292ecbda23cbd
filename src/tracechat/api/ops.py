"""Operations endpoints: liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tracechat import __version__
from tracechat.api.deps import PrincipalDep, ServiceDep
from tracechat.api.strict import StrictRoute
from tracechat.metrics import CONTENT_TYPE

JSON = "application/json"
router = APIRouter(tags=["operations"], route_class=StrictRoute)


class Health(BaseModel):
    status: str = Field(description="ok, or store_corrupt (then 503 and no writes are taken).")
    version: str
    write_queue_bytes: int
    problem: str | None = Field(default=None, description="Why the store takes no writes, when it does not.")


@router.get(
    "/healthz",
    response_model=Health,
    summary="Liveness and write-queue depth",
    responses={503: {"model": Health, "description": "The store is damaged and takes no writes"}},
)
async def healthz(service: ServiceDep) -> Response:
    # On the event loop, never in a thread: it answers while every API thread is busy.
    problem = service.store.problem
    health = Health(
        status="ok" if problem is None else "store_corrupt",
        version=__version__,
        write_queue_bytes=service.store.writer.queued_bytes,
        problem=problem,
    )
    return Response(health.model_dump_json(), status_code=200 if problem is None else 503, media_type=JSON)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}},
)
def metrics(service: ServiceDep, principal: PrincipalDep) -> Response:
    # Counters carry no project labels, so any valid key may read them.
    return Response(service.metrics.render(), media_type=CONTENT_TYPE)
