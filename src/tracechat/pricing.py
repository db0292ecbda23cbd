"""Model prices from the maintained ``genai-prices`` table, as flat per-token rates.

Rates are looked up once per (provider, model) and cached, so pricing a span at ingest
costs a dictionary lookup. Tiered and cached-token prices are not applied: the figure is an
estimate at each model's base rate (see docs/storage.md).
"""

from __future__ import annotations

import threading
from decimal import Decimal
from functools import lru_cache

from genai_prices import Usage, calc_price

_MILLION = 1_000_000
_lock = threading.Lock()


@lru_cache(maxsize=4096)
def _rates(provider: str | None, model: str) -> tuple[float, float] | None:
    try:
        with _lock:
            per_input = calc_price(Usage(input_tokens=_MILLION), model_ref=model, provider_id=provider)
            per_output = calc_price(Usage(output_tokens=_MILLION), model_ref=model, provider_id=provider)
    except (LookupError, ValueError):
        if provider is not None:
            return _rates(None, model)
        return None
    return float(per_input.total_price) / _MILLION, float(per_output.total_price) / _MILLION


def cost(provider: str | None, model: str | None, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """US dollars for one model call, or None when the model or its usage is unknown."""
    if not model or (input_tokens is None and output_tokens is None):
        return None
    rates = _rates(provider.lower() if provider else None, model)
    if rates is None:
        return None
    return (input_tokens or 0) * rates[0] + (output_tokens or 0) * rates[1]


def dollars(cost: float) -> str:
    """A cost as a person reads it: cents for a dollar or more, else three significant digits
    written out ($0.042, $0.0000381), never rounded away to $0.0000."""
    if cost >= 1:
        return f"${cost:,.2f}"
    if cost <= 0:
        return "$0"
    return "$" + format(Decimal(f"{cost:.3g}"), "f")
