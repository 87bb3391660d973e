"""Contacts export on moto: a topic's members or a segment's, page by page with a cursor, each
contact once, about one contact item read per contact, never a Scan."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ecrm.contacts import suppression
from ecrm.platform import aws, store
from ecrm.segments import definitions
from ecrm.segments.definitions import SegmentIn
from tests.conftest import table_items
from tests.integration.conftest import Submit, valid_body
from tests.integration.contacts_io import (
    admin,
    announce,
    csv_file,
    run_worker,
    seed_schema,
    start,
    upload,
)

PEOPLE = 40


@pytest.fixture
def imported(aws_env: dict[str, str]) -> None:
    seed_schema()
    rows = [
        f"p{n}@example.com,P{n},{'Acme' if n % 4 == 0 else 'Beta'},events" for n in range(PEOPLE)
    ]
    data = csv_file(rows)
    _, job = announce(data)
    upload(job, data)
    start(job["import_id"])
    run_worker()


def _export(limit: int, **query: str) -> tuple[list[dict[str, Any]], list[str], int]:
    contacts: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        params = {**query, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        code, page = admin("GET", "/admin/contacts", query=params)
        assert code == 200, page
        pages += 1
        contacts += page["contacts"]
        cursor = page["next_cursor"]
        if not cursor:
            return contacts, page["columns"], pages


class Reads:
    """Items asked for by the table's read calls (BatchGetItem keys, GetItem), and Scans."""

    def __init__(self) -> None:
        self.items = self.scans = 0

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "BatchGetItem":
            self.items += sum(len(r["Keys"]) for r in params["RequestItems"].values())
        elif model.name == "GetItem":
            self.items += 1
        elif model.name == "Scan":
            self.scans += 1


def test_a_topic_export_hands_out_every_member_once_a_page_at_a_time(
    imported: None, submit: Submit
) -> None:
    # Waiting for the owner's click: not a member of the topic yet, so not exported.
    assert submit(valid_body("pending@example.com"))["statusCode"] == 202
    reads = Reads()
    aws.dynamodb().meta.events.register("provide-client-params.dynamodb", reads)
    try:
        contacts, columns, pages = _export(7, topic="newsletter")
    finally:
        aws.dynamodb().meta.events.unregister("provide-client-params.dynamodb", reads)
    emails = [c["email"] for c in contacts]
    assert sorted(emails) == sorted(f"p{n}@example.com" for n in range(PEOPLE))
    assert len(set(emails)) == len(emails)
    assert pages >= PEOPLE // 7
    assert columns[:6] == ["email", "first_name", "company", "birthday", "interests", "role"]
    p4 = next(c for c in contacts if c["email"] == "p4@example.com")
    assert (p4["first_name"], p4["company"], p4["status"]) == ("P4", "Acme", "subscribed")
    assert p4["topics"] == ["newsletter"] and p4["interests"] == ["events"]
    assert reads.scans == 0
    # The profile schema once (cached after), then one contact item per contact.
    assert reads.items <= len(contacts) + 1


def acme_segment() -> None:
    """Segment `acme`: the newsletter's members whose company is Acme."""
    definitions.create(
        "acme",
        SegmentIn.model_validate(
            {
                "name": "Acme",
                "topic": "newsletter",
                "conditions": [{"kind": "field", "field": "company", "op": "eq", "value": "Acme"}],
            }
        ),
    )


def test_a_segment_export_hands_out_its_members_only(imported: None, submit: Submit) -> None:
    assert submit(valid_body("pending@example.com", company="Acme"))["statusCode"] == 202
    acme_segment()
    contacts, _, _ = _export(3, segment="acme")
    # Subscribed Acme people; the pending one would not be mailed, so it is not a member.
    assert sorted(c["email"] for c in contacts) == sorted(
        f"p{n}@example.com" for n in range(0, PEOPLE, 4)
    )


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({}, 422, "validation_failed"),
        ({"topic": "newsletter", "segment": "acme"}, 422, "validation_failed"),
        ({"segment": "nope"}, 404, "not_found"),
        ({"topic": "newsletter", "cursor": "not a cursor"}, 400, "malformed_request"),
        (
            {"topic": "newsletter", "cursor": "eyJzaGFyZCI6IDksICJzdGFydCI6IG51bGx9"},
            400,
            "malformed_request",
        ),
        ({"topic": "Not A Slug"}, 400, "malformed_request"),
    ],
)
def test_an_export_that_names_no_audience_or_a_bad_cursor_is_refused(
    aws_env: dict[str, str], query: dict[str, str], status: int, code: str
) -> None:
    count = len(table_items())
    answer_status, body = admin("GET", "/admin/contacts", query=query)
    assert (answer_status, body["error"]["code"]) == (status, code)
    assert len(table_items()) == count


def test_a_cursor_of_another_topic_is_refused(imported: None) -> None:
    _, page = admin("GET", "/admin/contacts", query={"topic": "newsletter", "limit": "1"})
    assert b'"start":{' in base64.urlsafe_b64decode(page["next_cursor"])
    code, body = admin(
        "GET", "/admin/contacts", query={"topic": "events", "cursor": page["next_cursor"]}
    )
    assert (code, body["error"]["code"]) == (400, "malformed_request")


def test_a_segment_export_leaves_out_suppressed_people(imported: None) -> None:
    """It lists whom a campaign would mail: not an address that bounced or left everything."""
    at = "2026-01-01T00:00:00.000Z"
    store.transact(
        [
            suppression.suppress("p0@example.com", "bounce", at),
            suppression.suppress("p4@example.com", "unsubscribe", at),
        ]
    )
    acme_segment()

    contacts, _, _ = _export(3, segment="acme")

    assert sorted(c["email"] for c in contacts) == sorted(
        f"p{n}@example.com" for n in range(8, PEOPLE, 4)
    )
