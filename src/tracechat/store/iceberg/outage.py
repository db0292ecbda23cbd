"""PostgreSQL away (stopped, restarted, unreachable) as the error tree's retryable
``CatalogUnavailable``, for every call of the Iceberg store and its records that goes to it:
the API answers 503 with Retry-After and gRPC ``UNAVAILABLE`` instead of an internal error.
Nothing needs restarting afterwards: the pools check a connection when it is taken, and a
connection a call found broken is replaced at the next."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final, ParamSpec, TypeVar

import psycopg
import sqlalchemy.exc

from tracechat.errors import CatalogUnavailable

AWAY: Final = (psycopg.OperationalError, sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
"""What psycopg (its pool's timeout included) and SQLAlchemy (pyiceberg's catalog) raise
when the server cannot be reached or dropped the connection."""

P = ParamSpec("P")
R = TypeVar("R")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def catalog_reachable() -> Iterator[None]:
    try:
        yield
    except AWAY as exc:
        raise CatalogUnavailable(f"the catalog's PostgreSQL cannot be reached: {_first_line(exc)}") from exc


def retryable(method: Callable[P, R]) -> Callable[P, R]:
    """``method`` with PostgreSQL's absence raised as ``CatalogUnavailable``."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with catalog_reachable():
            return method(*args, **kwargs)

    return wrapper
