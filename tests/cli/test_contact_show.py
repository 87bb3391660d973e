"""`ecrm contacts show EMAIL` against `ecrm serve`: from an address as typed to the contact's
id, status, topics, consent, score with its explanation, stage and last interactions; an
unknown or invalid address exits 1 with the API's reason."""

from __future__ import annotations

import json
import urllib.request

import pytest

from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm


@pytest.fixture(scope="module")
def submitted(stack: EmbeddedStack) -> str:
    """Bea, who filled in the demo form (double opt-in: her topic awaits her click)."""
    body = {"email": "Bea@Example.org", "first_name": "Bea", "consent": True}
    request = urllib.request.Request(
        f"{stack.api_url}/forms/newsletter/submissions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": "show-bea-1"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=600) as answer:
        assert answer.status == 202
    return "bea@example.org"


def test_show_finds_the_contact_from_the_address_as_typed(ecrm: Ecrm, submitted: str) -> None:
    run = ecrm("contacts", "show", " BEA@example.ORG ", "--json")
    assert run.code == 0, run.err
    found = run.json()
    assert isinstance(found, dict)
    assert found["email"] == submitted and found["status"] == "pending"
    assert found["topics"] == [] or found["receiving"] == []
    [consent] = found["consents"]
    assert consent["awaiting_confirmation"] == ["newsletter"]
    assert "form_submitted" in [i["type"] for i in found["interactions"]]
    score = found["score"]
    assert {"score", "stage", "explanation"} <= set(score) and "timeline" not in score
    assert round(sum(line["points"] for line in score["explanation"]["lines"]), 2) == score["score"]

    people = ecrm("contacts", "show", submitted)
    assert people.code == 0, people.err
    assert f"(contact {found['contact_id']})" in people.out
    for shown in ("status      pending", "stage ", "score ", "awaiting confirmation of newsletter",
                  "form_submitted  form newsletter"):  # fmt: skip
        assert shown in people.out, people.out


@pytest.mark.parametrize(
    ("address", "code"), [("nobody@example.org", "not_found"), ("no-at-sign", "validation_failed")]
)
def test_show_of_an_unknown_or_invalid_address_exits_1(ecrm: Ecrm, address: str, code: str) -> None:
    run = ecrm("contacts", "show", address, "--json")
    assert run.code == 1
    assert json.loads(run.err)["error"]["code"] == code
    assert run.out == ""


def test_erase_needs_yes_then_erases_the_contact_of_the_address(
    ecrm: Ecrm, stack: EmbeddedStack
) -> None:
    body = {"email": "cy@example.org", "first_name": "Cy", "consent": True}
    request = urllib.request.Request(
        f"{stack.api_url}/forms/newsletter/submissions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": "erase-cy-1"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=600) as answer:
        assert answer.status == 202
    unsure = ecrm("contacts", "erase", "cy@example.org", "--json")
    assert unsure.code == 2 and json.loads(unsure.err)["error"]["code"] == "not_confirmed"
    assert ecrm("contacts", "show", "cy@example.org", "--json").code == 0  # still there

    run = ecrm("contacts", "erase", " CY@example.ORG ", "--yes", "--json")
    assert run.code == 0, run.err
    erased = run.json()
    assert isinstance(erased, dict) and erased["erased"] is True and erased["items"] > 0
    gone = ecrm("contacts", "show", "cy@example.org", "--json")
    assert gone.code == 1 and json.loads(gone.err)["error"]["code"] == "not_found"
    again = ecrm("contacts", "erase", "cy@example.org", "--yes", "--json")
    assert again.code == 1 and json.loads(again.err)["error"]["code"] == "not_found"
