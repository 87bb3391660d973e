"""End-to-end fixtures: a local stack (`ecrm serve` in-process) per module, and a page of its
own per test in the test process's headless Chromium (`browser`, tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from playwright.sync_api import Browser, Page

from local.stack import EmbeddedStack
from tests.e2e.browsing import page_at


# The stack lives for one module, not the session: moto's state is process-wide, and the unit
# and integration tests that run after it in the same process use `mock_aws`.
@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ecrm-state")


@pytest.fixture(scope="module")
def stack(state_dir: Path) -> Iterator[EmbeddedStack]:
    """A fresh stack on a free port (port 0: the stack picks one)."""
    local_stack = EmbeddedStack(state_dir, host="127.0.0.1", port=0, fresh=True, keep_state=False)
    local_stack.start()
    try:
        yield local_stack
    finally:
        local_stack.stop()


@pytest.fixture(scope="module")
def dynamodb(stack: Any) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def table_name(stack: Any, state_dir: Path) -> str:
    name = getattr(stack, "table_name", None)
    if name:
        return str(name)
    endpoint = json.loads((state_dir / "endpoint.json").read_text())
    return str(endpoint["table"])


@pytest.fixture
def page(browser: Browser, stack: Any) -> Iterator[Page]:
    """A page of its own browser context per test, based at the stack (`browsing.page_at`)."""
    with page_at(browser, stack) as fresh:
        yield fresh
