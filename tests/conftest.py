"""Shared fixtures: every AWS call goes to moto, with resources built from infra/template.yaml."""

from __future__ import annotations

import gc
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import hypothesis
import pytest

from ecrm.contacts import forms
from ecrm.platform import aws, pseudonyms, tokens
from ecrm.platform.settings import settings
from local import function_metrics, moto_threads
from local.lambda_runtime import functions_environment
from local.moto_dispatch import cached_dispatch_lookups
from local.moto_fast import fast_moto
from local.template import Template
from tests import isolation, moto_snapshot

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"  # copies of shared/fixtures (SOURCES.md)
SENDER = "hello@example.com"

TEST_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "ecrm",
    "TRANSACTIONAL_SENDER": SENDER,
    "PUBLIC_BASE_URL": "https://forms.example.com",
    "MIN_FILL_SECONDS": "2",
}


def pytest_configure(config: pytest.Config) -> None:
    """Before any test: no process of the run can reach AWS (tests/isolation.py), no
    property test is timed (Hypothesis's per-example deadline fails on a busy machine), and the
    handlers a test imports itself keep per-function metrics when a local stack later runs them
    (`local.function_metrics`), and moto finds a request's action without listing its handler's
    methods each time (`local.moto_dispatch`: a tenth of each call in process, as in the
    server)."""
    isolation.point_aws_nowhere()
    isolation.refuse_remote_hosts()
    function_metrics.separate()
    cached_dispatch_lookups()
    hypothesis.settings.register_profile("untimed", deadline=None)
    hypothesis.settings.load_profile("untimed")


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is loaded by now (moto, botocore's models, the suite's modules: most of the heap)
    lives until the process ends: frozen out of the cyclic collector, which otherwise walked it
    at each full collection, and young objects are collected 14x less often (moto allocates
    heavily): the CPU of an integration module -12%, of tests/cli/test_campaigns -25%."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` hands whole modules to three xdist workers (`--dist loadfile`). The `slow` and
    browser (`e2e`) modules run first: started last, one of them would keep one worker busy
    while the other has nothing left to do."""
    order = ("slow", "e2e")

    def rank(item: pytest.Item) -> int:
        marked = [i for i, name in enumerate(order) if item.get_closest_marker(name) is not None]
        return min(marked, default=len(order))

    items.sort(key=rank)  # stable: within a rank, the collection's order


@pytest.fixture(autouse=True)
def threads_end_with_the_test() -> Iterator[None]:
    yield from isolation.threads_end_with_the_test()


@pytest.fixture(autouse=True)
def no_name_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook URLs never resolve through the network in tests: no name resolves unless a
    test says so (tests/integration/webhooks_world.py `resolver`)."""
    from ecrm.webhooks import destinations

    monkeypatch.setattr(destinations, "resolve", lambda host, port: [])


def reset_caches() -> None:
    """Forget every per-process cache the domain keeps (a warm Lambda's), between tests."""
    from ecrm.automations import rules
    from ecrm.campaigns import content
    from ecrm.contacts import profile_schema
    from ecrm.journeys import joiners
    from ecrm.mail import pacing, send_policy_view
    from ecrm.scoring import rulesets
    from ecrm.webhooks import sealing

    settings.cache_clear()
    aws.reset()
    tokens.keyring.forget()
    pseudonyms.forget()
    sealing.forget_cached()
    for module in (
        forms,
        rulesets,
        rules,
        pacing,
        content,
        profile_schema,
        send_policy_view,
        joiners,
    ):
        module.forget_cached()


# Debian's build, driven by Playwright (which cannot download one here).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium, one for the test process: each test opens a context (and page) of its
    own. Not one per module: a sync Playwright keeps an asyncio loop running in its thread, so
    no second one can start while it lives (the console bench uses this one too), and the
    driver and browser cost about 1.3 s of CPU to start."""
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright  # browser tests only

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto in-process, the table and secret from the template, the env a function would get."""
    with aws_world(monkeypatch) as env:
        yield env


@cache
def product_template() -> Template:
    """infra/template.yaml, parsed once per process (read-only: tests never change it)."""
    return Template.load(ROOT / "infra" / "template.yaml")


@cache
def template_world() -> moto_snapshot.Snapshot:
    """The template's resources, made in the first test's moto (tests/moto_snapshot.py)."""
    return moto_snapshot.take(product_template())


@cache
def world_environment() -> dict[str, str]:
    """The functions' environment in the template's world: the same names in every test."""
    return functions_environment(product_template(), template_world().names)


@contextmanager
def aws_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """`aws_env` for any scope (a module's tests may share one world: tests/security)."""
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    reset_caches()
    # moto with its same-outcome shortcuts (local/moto_fast.py): without them a transaction
    # deep-copies the table per item and every answer walks a generic serializer.
    with isolation.moto_in_process(), fast_moto():
        names = moto_snapshot.restore(template_world())
        # Every variable the template gives a function (queue URLs, senders, ...), resolved
        # as `ecrm serve` does; the test's own choices above win.
        for name, value in world_environment().items():
            if name not in TEST_ENVIRONMENT:
                monkeypatch.setenv(name, value)
        yield {"table": names.refs["Table"]}
    reset_caches()


@pytest.fixture
def demo_form(aws_env: dict[str, str]) -> forms.Form:
    data = json.loads((ROOT / "local" / "demo_form.json").read_text())
    return forms.save(forms.Form.model_validate(data))


def table_items() -> list[dict[str, Any]]:
    """Every item (tests only: the product never scans), in a Scan's order.

    Read from moto's own table when it lives in this process (`mock_aws`, or a stack's
    in-process server): a Scan made a boto3 client and sent every page through botocore's
    serialiser and parser, most of the time of a test that diffs the table before and after.
    `tests/local/test_moto_canary.py` checks both reads answer alike."""
    from ecrm.platform.store import deserialize

    name = settings().table_name
    table = moto_table(name)
    if table is None:
        pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=name)
        return [deserialize(item) for page in pages for item in page["Items"]]
    items = sorted(moto_threads.table_items(table), key=_scan_order)
    return [deserialize(item.to_json()["Attributes"]) for item in items]


def moto_table(name: str) -> Any:
    """moto's table `name` in this process's backend (the default account, the test region), or
    None when there is none here."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables
    return tables.get(name)


def _scan_order(item: Any) -> tuple[Any, ...]:
    """moto's Scan order (`Table.all_items`): by partition key, then sort key."""
    return (item.hash_key, item.range_key) if item.range_key else (item.hash_key,)
