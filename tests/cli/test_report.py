"""`ecrm report` against `ecrm serve`: visitors sign up through the form route, the stream
pumps feed the trends function, and the command prints the counts as tables (or the API's
JSON); bad options and missing credentials exit with their codes."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm

SOURCES = ["google", "google", "newsletter"]


@pytest.fixture(scope="module")
def signed_up(stack: EmbeddedStack) -> list[str]:
    run = uuid.uuid4().hex[:8]
    addresses = [f"report.{run}.{n}@acme.example" for n in range(len(SOURCES))]
    for address, source in zip(addresses, SOURCES, strict=True):
        body: dict[str, Any] = {
            "email": address,
            "consent": True,
            "utm_source": source,
            "_ts": int(time.time() * 1000) - 10_000,
        }
        answer = requests.post(
            f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=10
        )
        assert answer.status_code == 202, answer.text
    stack.drain()
    return addresses


def test_report_prints_the_trends_as_tables(ecrm: Ecrm, signed_up: list[str]) -> None:
    done = ecrm("report", "--days", "7")
    assert done.code == 0, done.err
    text = done.out
    assert text.startswith("Trends of the last 7 days (")
    lines = text.splitlines()
    assert "Sign-ups by source (3)" in lines
    google = next(line for line in lines if line.startswith("google "))
    assert google.split()[:2] == ["google", "2"] and "█" in google
    assert any(line.split()[:2] == ["newsletter", "1"] for line in lines)
    signed = next(line for line in lines if line.startswith("Signed up"))
    assert signed.split()[:3] == ["Signed", "up", "3"]
    assert "Contacts per stage now" in lines and "Campaign results" in lines


def test_report_json_is_the_apis_answer(ecrm: Ecrm, signed_up: list[str]) -> None:
    done = ecrm("report", "--days", "30", "--json")
    assert done.code == 0, done.err
    summary: Any = done.json()
    assert summary["days"] == 30 and len(summary["signups_by_source"]["days"]) == 30
    assert {s["key"]: s["total"] for s in summary["signups_by_source"]["series"]} == {
        "google": 2,
        "newsletter": 1,
    }
    assert summary["funnel"]["steps"][0] == {"step": "signed_up", "label": "Signed up", "count": 3}


def test_bad_days_is_a_usage_error_and_no_token_an_authentication_error(ecrm: Ecrm) -> None:
    refused = ecrm("report", "--days", "0")
    assert refused.code == 2 and "1 to 366" in refused.err
    anonymous = ecrm("report", "--json", auth=False)
    assert anonymous.code == 3, anonymous.err
