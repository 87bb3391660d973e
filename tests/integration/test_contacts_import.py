"""Contacts import on moto: every good row added once, as a form would add it; bad rows reported
by line; the same file never imported twice; refused requests write nothing."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import pytest

from ecrm.contacts import suppression
from ecrm.imports import chunks, rows, stored
from ecrm.platform import keys, store
from tests.conftest import table_items
from tests.integration.conftest import Submit, valid_body
from tests.integration.contacts_io import (
    admin,
    announce,
    bad_rows,
    csv_file,
    run_worker,
    seed_schema,
    start,
    status,
    upload,
)


@pytest.fixture
def schema(aws_env: dict[str, str]) -> None:
    seed_schema()


def _import(data: bytes, **settings_: Any) -> dict[str, Any]:
    code, job = announce(data, **settings_)
    assert code == 201, job
    upload(job, data)
    code, started = start(job["import_id"])
    assert code == 202, started
    run_worker()
    return status(job["import_id"])


def _by_type(items: list[dict[str, Any]]) -> Counter[str]:
    return Counter(str(i.get("type")) for i in items)


ROWS = [
    "ann@example.com,Ann,Acme,events;guides",
    "not-an-address,Bob,Acme,",  # line 3: bad address
    "cy@example.com,Cy,Beta,",
    ",Dee,Beta,",  # line 5: no address
    "ANN@example.com ,Ann again,Acme,",  # line 6: ann again, normalised
    "eve@example.com,Eve,Gamma,astrology",  # line 7: not a choice
    "fay@example.com,Fay",  # line 8: a value short
    '"gus@example.com","Gus ""the"" Great","Acme, Inc.",events',
]


def test_import_adds_good_rows_once_and_reports_bad_rows_by_line(
    schema: None, submit: Submit
) -> None:
    assert submit(valid_body("cy@example.com"))["statusCode"] == 202  # already a contact
    before = {(i["pk"], i["sk"]): i for i in table_items()}

    job = _import(csv_file(ROWS))

    assert job["state"] == "done"
    assert (job["rows"], job["imported"], job["duplicates"], job["bad_rows"]) == (8, 2, 2, 4)
    bad = bad_rows(job["import_id"], limit=1)
    assert [row["line"] for row in bad] == [3, 5, 7, 8]
    assert bad[0]["errors"] == {"email": "An email address must have an @-sign."}
    assert set(bad[1]["errors"]) == {"email"} and set(bad[2]["errors"]) == {"interests"}
    assert "Expected 4 values" in bad[3]["errors"]["row"]

    items = table_items()
    contacts = {i["email"]: i for i in items if i.get("type") == "contact"}
    assert set(contacts) == {"ann@example.com", "cy@example.com", "gus@example.com"}
    ann, gus = contacts["ann@example.com"], contacts["gus@example.com"]
    assert ann["status"] == "subscribed" and ann["topics"] == ["newsletter"]
    assert ann["f_first_name"] == "Ann" and ann["f_interests"] == ["events", "guides"]
    assert gus["f_first_name"] == 'Gus "the" Great' and gus["f_company"] == "Acme, Inc."
    assert ann["first_source"] == {
        "import_id": job["import_id"],
        "consent_source": "trade fair 2026, paper form",
    }
    # The existing contact is left exactly as it was (an import never changes anyone).
    cy = keys.contact(keys.contact_id_for("cy@example.com"))
    assert contacts["cy@example.com"] == before[(cy["pk"], cy["sk"])]
    imported = [i for i in items if i.get("import_id") == job["import_id"] and i["sk"] != "IMPORT"]
    assert _by_type(imported) == {"contact_imported": 2, "consent": 2}
    consent = next(i for i in imported if i["type"] == "consent")
    assert consent["source"] == "import" and consent["consent_source"].startswith("trade fair")
    memberships = [i for i in items if i.get("type") == "topic_membership"]
    assert len(memberships) == 2  # ann's and gus's from the import (cy's waits for her click)


def test_the_same_file_again_is_the_same_import_and_adds_nothing(schema: None) -> None:
    data = csv_file([f"p{n}@example.com,P{n},Acme," for n in range(30)])
    job = _import(data)
    assert (job["imported"], job["state"]) == (30, "done")
    count = len(table_items())

    code, again = announce(data)
    assert code == 200 and again["import_id"] == job["import_id"]
    assert "upload" not in again  # nothing left to upload
    code, started = start(job["import_id"])
    assert code == 202 and started["state"] == "done"
    assert run_worker() == 0
    assert len(table_items()) == count
    assert status(job["import_id"])["imported"] == 30


def test_the_same_file_with_other_settings_is_a_conflict(schema: None) -> None:
    data = csv_file(["ann@example.com,Ann,Acme,"])
    assert announce(data)[0] == 201
    count = len(table_items())
    code, body = announce(data, topics=["events"])
    assert code == 409 and body["error"]["code"] == "conflict"
    assert len(table_items()) == count


def test_a_large_file_is_imported_in_chunks_within_transaction_limits(schema: None) -> None:
    rows = [f"bulk{n}@example.com,B{n},Acme,events" for n in range(130)]
    job = _import(csv_file(rows), topics=["newsletter", "events"])
    per_row = chunks.items_per_row(2)
    rows_per_chunk = (chunks.ITEMS_PER_TRANSACTION - 2) // per_row
    assert job["imported"] == 130
    assert job["chunks"] == -(-130 // rows_per_chunk)
    memberships = [i for i in table_items() if i.get("type") == "topic_membership"]
    assert len(memberships) == 260


def _worker_reads(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[int]]:
    """Import `data`; the offsets the worker read the upload from after verifying it."""
    code, job = announce(data)
    assert code == 201, job
    upload(job, data)
    assert start(job["import_id"])[0] == 202
    offsets: list[int] = []
    read_range = stored.read_range

    def spy(object_key: str, at: int, length: int) -> bytes:
        offsets.append(at)
        return read_range(object_key, at, length)

    monkeypatch.setattr(stored, "read_range", spy)
    run_worker()
    return status(job["import_id"]), offsets


def test_a_file_one_window_holds_is_read_from_s3_once(
    schema: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its verification read it whole: the first chunk takes those bytes (one GetObject)."""
    job, offsets = _worker_reads(csv_file(ROWS), monkeypatch)
    assert (job["state"], job["imported"], job["bad_rows"]) == ("done", 3, 4)
    assert offsets == []


def test_a_file_of_several_windows_is_read_window_by_window(
    schema: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows, "WINDOW_BYTES", 200)  # the file is ~3 KB
    data = csv_file([f"w{n}@example.com,W{n},Acme,events" for n in range(80)])
    job, offsets = _worker_reads(data, monkeypatch)
    assert (job["state"], job["imported"], job["bad_rows"]) == ("done", 80, 0)
    assert offsets == sorted(set(offsets)) and len(offsets) > len(data) // 200
    assert len([i for i in table_items() if i.get("type") == "contact"]) == 80


def test_an_announcement_with_an_unknown_field_writes_nothing(schema: None) -> None:
    count = len(table_items())
    code, body = announce(csv_file(["a@example.com,A,B,"]), mapping={"Email": "shoe_size"})
    assert code == 422 and body["error"]["fields"] == {
        "mapping.Email": "No such field in the profile schema."
    }
    assert len(table_items()) == count


def test_start_before_the_upload_is_a_conflict_and_changes_nothing(schema: None) -> None:
    _, job = announce(csv_file(["a@example.com,A,B,"]))
    code, body = start(job["import_id"])
    assert code == 409 and "Upload the file first" in body["error"]["message"]
    assert status(job["import_id"])["state"] == "awaiting_upload"


def test_a_file_without_an_address_column_is_refused_at_start(schema: None) -> None:
    data = csv_file(["Ann,Acme"], header="First name,Company")
    _, job = announce(data)
    upload(job, data)
    code, body = start(job["import_id"])
    assert code == 422 and "email" in body["error"]["fields"]
    assert status(job["import_id"])["state"] == "awaiting_upload"
    assert run_worker() == 0


def test_an_explicit_mapping_names_columns_and_ignores_others(schema: None) -> None:
    data = csv_file(["x@example.com,Xavier,secret"], header="Mail,Given,Notes")
    job = _import(data, mapping={"Mail": "email", "Given": "first_name", "Notes": ""})
    assert (job["imported"], job["bad_rows"]) == (1, 0)
    contact = next(i for i in table_items() if i.get("type") == "contact")
    assert contact["f_first_name"] == "Xavier" and "f_notes" not in contact


def test_an_upload_that_is_not_the_announced_file_imports_nothing(schema: None) -> None:
    data = csv_file(["ann@example.com,Ann,Acme,"])
    _, job = announce(data)
    upload(job, data.replace(b"ann", b"bob"))  # same size; moto does not check the checksum
    assert start(job["import_id"])[0] == 202
    run_worker()
    found = status(job["import_id"])
    assert found["state"] == "failed" and "SHA-256" in found["failure"]
    assert not [i for i in table_items() if i.get("type") == "contact"]


def test_import_routes_are_for_marketers_only(schema: None) -> None:
    data = csv_file(["ann@example.com,Ann,Acme,"])
    body = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "filename": "x.csv",
        "consent_source": "s",
    }
    code, answer = admin("POST", "/admin/imports", body=body, claims=None)
    assert code == 401 and answer["error"]["code"] == "unauthenticated"
    assert not [i for i in table_items() if i.get("type") == "contacts_import"]


def test_an_imported_contact_is_the_one_a_single_opt_in_form_would_create(schema: None) -> None:
    from ecrm.contacts import records as contact_records
    from ecrm.contacts import submission, subscription
    from ecrm.contacts.form_view import FieldType
    from ecrm.contacts.form_view import FieldView as FormField
    from ecrm.imports import rows as import_rows
    from ecrm.platform import store

    fields = [
        FormField(name="first_name", label="First name", type=FieldType.NAME),
        FormField(
            name="interests", label="I", type=FieldType.MULTI_CHOICE, choices=("events", "news")
        ),
    ]
    form = import_rows.import_form("imp-0123456789abcdef01234567", fields, ["newsletter", "events"])
    sub = submission.read(
        form, {"email": "Ann@Example.com", "first_name": "ann", "interests": ["news"]}
    )
    at, source = "2026-11-28T04:00:00.000Z", {"form_id": form.id}
    outcome = subscription.blind(form, sub)
    store.write(contact_records.from_submission("by-form", sub, form, outcome, at))
    store.write(contact_records.create_from_submission("by-import", sub, form, at, source))
    for topic in form.topics:
        store.write(contact_records.join_topic("by-form", topic, at))
        store.write(contact_records.new_membership("by-import", topic, at))

    def of(contact_id: str) -> dict[str, Any]:
        return {
            (i["sk"], k): v
            for i in table_items()
            if i["pk"] == f"CONTACT#{contact_id}"
            for k, v in i.items()
            if k not in {"pk", "contact_id", "gsi1pk", "gsi1sk"}
        }

    assert of("by-import") == of("by-form")
    assert of("by-import")[("PROFILE", "status")] == "subscribed"


def test_an_import_counts_suppressed_addresses_and_creates_no_contact_for_them(
    schema: None,
) -> None:
    """A bounced address and an erased one (its keyed suppression) are not made contacts."""
    at = "2026-01-01T00:00:00.000Z"
    store.transact(
        [
            suppression.suppress("ann@example.com", "bounce", at),
            suppression.suppress_without_contact("gus@example.com", "erased", at),
        ]
    )
    rows = ["ann@example.com,Ann,Acme,", "cy@example.com,Cy,Beta,", "gus@example.com,Gus,Acme,"]

    job = _import(csv_file(rows))

    assert job["state"] == "done"
    assert (job["rows"], job["imported"], job["suppressed"], job["duplicates"]) == (3, 1, 2, 0)
    contacts = {i["email"] for i in table_items() if i.get("type") == "contact"}
    assert contacts == {"cy@example.com"}


def test_a_suppressed_address_whose_contact_exists_is_a_duplicate_not_a_suppressed_row(
    schema: None,
) -> None:
    """The chunk reads its contacts and its suppressions together: a contact that bounced is
    there already, so its row counts as a duplicate (as any existing contact), once."""
    at = "2026-01-01T00:00:00.000Z"
    contact_id = keys.contact_id_for("dee@example.com")
    item = {**keys.contact(contact_id), "type": "contact", "email": "dee@example.com"}
    store.transact(
        [
            store.Put({**item, "status": "subscribed"}),
            suppression.suppress("dee@example.com", "bounce", at),
        ]
    )

    job = _import(csv_file(["dee@example.com,Dee,Acme,", "eve@example.com,Eve,Beta,"]))

    assert job["state"] == "done"
    assert (job["rows"], job["imported"], job["suppressed"], job["duplicates"]) == (2, 1, 0, 1)


def test_a_date_column_is_read_as_yyyy_mm_dd_and_indexed_and_a_bad_one_is_a_bad_row(
    schema: None,
) -> None:
    from ecrm.contacts import date_index
    from tests.integration.stream_tap import Tap

    tap = Tap()
    rows = ["ann@example.com,Ann,1990-05-17", "bob@example.com,Bob,17/05/1990", "cy@x.org,Cy,"]
    job = _import(csv_file(rows, header="Email,First name,Birthday"))
    assert (job["imported"], job["bad_rows"]) == (2, 1)
    [bad] = bad_rows(job["import_id"])
    assert bad["line"] == 3 and set(bad["errors"]) == {"birthday"}
    tap.deliver()
    ann = keys.contact_id_for("ann@example.com")
    assert date_index.on_day("birthday", "05-17", up_to_year=2026)[0] == [ann]
    dated = [i for i in table_items() if i.get("type") == "contact_date"]
    assert [(i["pk"], i["on"]) for i in dated] == [(f"CONTACT#{ann}", "1990-05-17")]
