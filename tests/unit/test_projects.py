"""Project names: which a client may choose, and which are kept for the analyst's traces."""

from __future__ import annotations

import pytest

from tracechat.auth.keys import Principal, analyst_project
from tracechat.errors import InvalidInput
from tracechat.ingest.projects import valid_project


def test_an_analyst_project_cannot_be_claimed_by_a_client() -> None:
    assert valid_project("shop:eu") == "shop:eu"
    with pytest.raises(InvalidInput, match="kept for the trace analyst"):
        valid_project("shop:analyst")


def test_a_projects_key_reads_its_analyst_project_and_no_other() -> None:
    shop = Principal(key_id="k", project="shop", admin=False)
    assert shop.can_access("shop")
    assert shop.can_access(analyst_project("shop"))
    assert not shop.can_access(analyst_project("other"))
    assert not shop.can_access(analyst_project(analyst_project("shop")))
    assert not shop.can_access("shop:analyst-x")
