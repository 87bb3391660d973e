"""Every API function's OpenAPI document is the one recorded in tests/fixtures/openapi/: the
routes' declarations (parameters, bodies, answers) are what clients, `ecrm serve` and
Schemathesis read, so a change of how routes are declared (issue 15 point 7: our own router,
for cold starts) must change none of it. A deliberate change of a route re-records its file:
`ECRM_RECORD_OPENAPI=1 pytest tests/infra/test_openapi_unchanged.py`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from local.lambda_runtime import add_code_paths
from local.openapi import function_openapi
from local.template import Template

FIXTURES = Path(__file__).parents[1] / "fixtures" / "openapi"
TEMPLATE = Template.load()
API_FUNCTIONS = {f.logical_id: f.handler_module for f in TEMPLATE.functions() if f.api_routes}


def _document(module_name: str) -> dict[str, Any]:
    add_code_paths(TEMPLATE)
    document = function_openapi(module_name)
    assert document is not None, module_name
    document["info"]["version"] = "any"  # the package's version is not the routes'
    return document


@pytest.mark.parametrize("function", sorted(API_FUNCTIONS))
def test_the_openapi_document_of_every_api_function_is_unchanged(function: str) -> None:
    recorded = FIXTURES / f"{function}.json"
    document = _document(API_FUNCTIONS[function])
    if os.environ.get("ECRM_RECORD_OPENAPI"):
        recorded.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    assert document == json.loads(recorded.read_text())


def test_every_recorded_document_is_a_function_of_the_template() -> None:
    assert {p.stem for p in FIXTURES.glob("*.json")} == set(API_FUNCTIONS)
