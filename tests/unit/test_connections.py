from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from tracechat.connections import RESERVED_DESCRIPTORS, descriptor_budget


@pytest.fixture
def low_soft_limit() -> Iterator[int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 3 * 1000 + RESERVED_DESCRIPTORS
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the hard open-file limit ({hard}) is below {needed}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(256, min(soft, 512)), hard))
    yield needed
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_soft_descriptor_limit_is_raised_to_hold_every_listener(low_soft_limit: int) -> None:
    budget = descriptor_budget(1000)
    assert budget.per_listener == 1000
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= low_soft_limit
