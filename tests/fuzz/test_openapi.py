"""Schemathesis against the service's own OpenAPI schema: every HTTP endpoint and method,
generated from what the schema says it accepts (positive) and from what it refuses
(negative), on a real server.
No request may get a 5xx, and every answer must match the schema's response shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz import examples
from tests.samples import load_recent_samples
from tests.servers import InProcessServer, settings_for_test


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    data_dir: Path = tmp_path_factory.mktemp("openapi") / "data"
    running = InProcessServer(settings_for_test(data_dir, chat_requests_per_minute=100_000))
    load_recent_samples(running.service.receiver)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api_schema(api_server: InProcessServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api_server.api}/openapi.json")


FUZZ = settings(
    max_examples=min(examples(25), 500),  # per operation and mode: 500 is ~10 minutes
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_every_endpoint_answers_within_its_schema(
    api_schema: schemathesis.BaseSchema, mode: schemathesis.GenerationMode
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 19, "the schema should describe every endpoint"
    for operation in operations:
        if mode is schemathesis.GenerationMode.NEGATIVE and not _takes_input(operation):
            continue  # nothing to get wrong: /healthz, /metrics, GET /api/v1/models

        @FUZZ
        @given(case=operation.as_strategy(mode))
        def answers_within_schema(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS, timeout=30)

        answers_within_schema()


def _takes_input(operation: schemathesis.APIOperation) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.get_request_payload_content_types())
