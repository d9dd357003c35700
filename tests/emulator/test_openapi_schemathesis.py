"""Property-based check of the emulator against its own OpenAPI description: no 500s, conforming responses."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from orgsync.emulator.app import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(seed=1))


@schema.parametrize()
@settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, response_schema_conformance])


pytestmark = pytest.mark.filterwarnings("ignore")
