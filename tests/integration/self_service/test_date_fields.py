"""A `date` field (the demo profile's `birthday`) through the real paths that write it, and the
contacts' date index the table's stream keeps from them (`ecrm.contacts.date_index`, through
AutomationsFunction and its filter): indexed when a form's value is confirmed, moved when the
preference center changes it, gone when cleared or when the contact is erased (even for
records handled after the erasure); a value that is no real day is refused naming the field,
and nothing changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrm.account import personal_data
from ecrm.contacts import date_index, forms
from ecrm.platform import keys, store
from tests.conftest import table_items
from tests.integration.conftest import Submit, valid_body
from tests.integration.self_service.conftest import Member, get_account, patch, sign_in, subscribe
from tests.integration.stream_tap import Tap


@pytest.fixture(autouse=True)
def birthday_form(demo_form: forms.Form) -> forms.Form:
    """The demo form with the profile's date field."""
    field = forms.FormField(name="birthday", label="Birthday", type=forms.FieldType.DATE)
    return forms.save(demo_form.model_copy(update={"fields": [*demo_form.fields, field]}))


def dated(contact_id: str) -> dict[str, Any] | None:
    return store.get(keys.contact_date(contact_id, "birthday"))


def on(month_day: str, year: int = 2100) -> list[str]:
    return date_index.on_day("birthday", month_day, up_to_year=year)[0]


def test_a_birthday_is_indexed_on_its_day_moves_when_changed_and_goes_when_cleared(
    submit: Submit,
) -> None:
    tap = Tap()
    ann = subscribe(submit, birthday=" 1990-05-17 ")  # confirmed: the field is written
    assert store.get(keys.contact(ann.contact_id))["f_birthday"] == "1990-05-17"  # type: ignore[index]
    tap.deliver(times=2)  # a redelivery too
    item = dated(ann.contact_id)
    assert item and item["gsi1pk"] == "DATEON#birthday#05-17"
    assert item["gsi1sk"] == f"1990#{ann.contact_id}"
    assert on("05-17") == [ann.contact_id] and on("05-17", year=1989) == []

    session = sign_in()
    _, etag = get_account(session)
    assert patch(session, {"profile": {"birthday": "1991-06-01"}}, etag)["statusCode"] == 200
    tap.deliver()
    assert on("05-17") == [] and on("06-01") == [ann.contact_id]

    _, etag = get_account(session)
    assert patch(session, {"profile": {"birthday": ""}}, etag)["statusCode"] == 200
    assert "f_birthday" not in store.get(keys.contact(ann.contact_id))  # type: ignore[operator]
    tap.deliver()
    assert dated(ann.contact_id) is None and on("06-01") == []


def test_a_date_that_is_no_real_day_is_refused_naming_the_field_and_nothing_changes(
    submit: Submit,
) -> None:
    before = table_items()
    answer = submit(valid_body("bob@example.com", birthday="1990-02-30"))
    assert answer["statusCode"] == 422
    assert "birthday" in json.loads(answer["body"])["error"]["fields"]
    assert table_items() == before

    ann = subscribe(submit, birthday="1990-05-17")
    session = sign_in()
    _, etag = get_account(session)
    before = table_items()
    for bad in ("17/05/1990", "1899-12-31", "2024-13-01", "tomorrow"):
        refused = patch(session, {"profile": {"birthday": bad}}, etag)
        assert refused["statusCode"] == 422, bad
        assert "profile.birthday" in json.loads(refused["body"])["error"]["fields"]
    assert table_items() == before
    assert store.get(keys.contact(ann.contact_id))["f_birthday"] == "1990-05-17"  # type: ignore[index]


def erased(member: Member) -> None:
    personal_data.erase(member.contact_id)
    assert store.get(keys.contact(member.contact_id)) is None


def test_an_erased_contact_leaves_no_date_behind(submit: Submit) -> None:
    tap = Tap()
    ann = subscribe(submit, birthday="1990-05-17")
    tap.deliver()
    assert dated(ann.contact_id) is not None
    erased(ann)
    assert tap.deliver()  # the removal's record: nothing left to delete, nothing put back
    assert dated(ann.contact_id) is None and on("05-17") == []


def test_records_handled_after_the_erasure_put_no_date_back(submit: Submit) -> None:
    """A lagging consumer: the records that set the birthday are handled only after the
    contact was erased (the set's Put checks the contact; the removal sweeps its partition)."""
    tap = Tap()
    ann = subscribe(submit, birthday="1990-05-17")
    bob = subscribe(submit, "bob@example.com", birthday="1985-05-17")
    erased(ann)
    records = tap.deliver()
    assert {r["eventName"] for r in records} >= {"INSERT", "MODIFY", "REMOVE"}
    assert dated(ann.contact_id) is None
    assert on("05-17") == [bob.contact_id]
    assert not [i for i in table_items() if i["pk"] == keys.contact(ann.contact_id)["pk"]]
