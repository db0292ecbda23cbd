"""When a text index batch that failed is tried again, and when it is given up on: the one
rule both stores' indexers follow (``store.indexer`` for the DuckDB store's commits,
``store.iceberg.textindex`` for the Iceberg store's queued batches).

A batch whose text cannot be indexed (a damaged row or file, a span its reader chokes on)
must not hold up the batches after it. It is tried again alone after a backoff that doubles
per failure, and after ``MAX_ATTEMPTS`` failures it is dead: no indexer takes it again until
an operator, having mended what made it fail, retries it (``tracechat maintain
--retry-dead-text``). Its spans stay stored and readable; only its text is not searchable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MAX_ATTEMPTS: Final = 10
"""Failed attempts at a batch before it is dead: with ``RETRY_BASE_S`` doubling up to
``RETRY_MAX_S``, about half an hour of retries (an outage that long leaves batches dead, for
an operator to retry)."""
RETRY_BASE_S: Final = 5.0
RETRY_MAX_S: Final = 600.0
ERROR_CHARS: Final = 500
"""How much of a failure's message is kept with the batch."""
DEAD_SHOWN: Final = 20
"""Dead batches a store lists (``tracechat maintain`` prints them)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What becomes of a batch after a failed attempt."""

    attempts: int
    """Failed attempts so far, this one included."""
    retry_in_s: float
    """How long before it is tried again (0: at once)."""
    dead: bool
    """Given up on: tried again only once an operator retries it."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = MAX_ATTEMPTS
    base_s: float = RETRY_BASE_S
    max_s: float = RETRY_MAX_S

    def after_failure(self, attempts_before: int, *, alone: bool = True) -> Verdict:
        """The verdict on a batch that failed once more. ``alone``: it was tried by itself;
        a batch that failed with others (tried together, so which one failed is not known)
        is tried again alone at once, and such failures never make it dead."""
        attempts = attempts_before + 1
        if not alone:
            return Verdict(attempts, 0.0, False)
        return Verdict(attempts, min(self.base_s * 2.0 ** (attempts - 1), self.max_s), attempts >= self.max_attempts)


DEFAULT_POLICY: Final = RetryPolicy()


def error_text(error: BaseException) -> str:
    """A failure as kept beside its batch (its type and message, cut to ``ERROR_CHARS``)."""
    return f"{type(error).__name__}: {error}"[:ERROR_CHARS]


@dataclass(frozen=True, slots=True)
class DeadBatch:
    """A batch given up on, as ``tracechat maintain`` reports it (``dead_text_batches``)."""

    batch_id: str
    attempts: int
    dead_at: str
    """ISO 8601, UTC."""
    last_error: str | None
