"""The marketer API for templates, segments and campaigns: typed requests and answers,
templates checked when saved, segments counted without a Scan, campaign states guarded."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.policy import default
from typing import Any

import pytest

from ecrm.account import unsubscribe
from ecrm.contacts import suppression
from ecrm.platform import clock, keys, store, tokens
from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    HTML,
    MARKETER,
    SENDER,
    Sent,
    add_contacts,
    admin,
    campaign,
    create_campaign,
    run_queue,
)

CHAINED_REPLACE = "{{ contact.email|replace('x', 'xxxxxxxxxx')|replace('x', 'xxxxxxxxxx') }}"
NESTED_LOOPS = (
    "{% for a in contact.interests %}{% for b in contact.interests %}{{ b }}{% endfor %}"
    "{% endfor %}"
)
TEMPLATE = {
    "id": "welcome",
    "name": "Welcome",
    "subject": "Hi {{ contact.first_name }}",
    "html": HTML,
}


def test_a_template_is_created_read_listed_and_updated_with_its_version(campaign_env: Sent) -> None:
    status, created = admin("POST", "/admin/templates", body=TEMPLATE)
    assert status == 201
    assert created["version"] == 1 and created["text_derived"] is True
    assert "Unsubscribe ({{ unsubscribe_url }})" in created["text"]
    assert created["contact_fields"] == ["company", "first_name"]

    assert admin("GET", "/admin/templates/{template_id}", {"template_id": "welcome"}) == (
        200,
        created,
    )
    status, listed = admin("GET", "/admin/templates", query={"limit": "10"})
    assert status == 200 and [t["id"] for t in listed["items"]] == ["welcome"]

    change = {**TEMPLATE, "subject": "Hello", "text": "Bye {{ unsubscribe_url }}", "version": 1}
    change.pop("id")
    status, updated = admin(
        "PUT", "/admin/templates/{template_id}", {"template_id": "welcome"}, change
    )
    assert status == 200 and updated["version"] == 2 and updated["text_derived"] is False
    stale = admin("PUT", "/admin/templates/{template_id}", {"template_id": "welcome"}, change)
    assert stale[0] == 409


def test_each_version_saved_over_is_kept_and_read_by_its_number(campaign_env: Sent) -> None:
    path, ids = "/admin/templates/{template_id}", {"template_id": "welcome"}
    status, first = admin("POST", "/admin/templates", body=TEMPLATE)
    assert status == 201
    change = {k: v for k, v in TEMPLATE.items() if k != "id"}
    for n, subject in ((1, "Second"), (2, "Third")):
        status, _ = admin("PUT", path, ids, {**change, "subject": subject, "version": n})
        assert status == 200
    stale = admin("PUT", path, ids, {**change, "subject": "Lost", "version": 2})
    assert stale[0] == 409  # a conflict keeps nothing either

    assert admin("GET", path, ids, query={"version": "1"}) == (200, first)
    status, second = admin("GET", path, ids, query={"version": "2"})
    assert status == 200 and second["subject"] == "Second" and second["version"] == 2
    assert admin("GET", path, ids, query={"version": "3"})[1]["subject"] == "Third"
    assert admin("GET", path, ids, query={"version": "4"})[0] == 404
    assert admin("GET", path, ids, query={"version": "0"})[0] == 400
    status, listed = admin("GET", "/admin/templates", query={"limit": "10"})
    assert [t["id"] for t in listed["items"]] == ["welcome"]  # versions are not templates
    kept = [i for i in table_items() if i["sk"].startswith("VERSION#")]
    assert sorted(i["version"] for i in kept) == [1, 2] and all(i["expires_at"] for i in kept)

    # deleted and made again: the new template's version 1 only, never the old one's 2
    assert admin("DELETE", path, ids)[0] == 204
    assert admin("POST", "/admin/templates", body={**TEMPLATE, "subject": "New"})[0] == 201
    assert admin("GET", path, ids, query={"version": "1"})[1]["subject"] == "New"
    assert admin("GET", path, ids, query={"version": "2"})[0] == 404


def test_a_second_template_with_the_same_id_is_a_conflict(campaign_env: Sent) -> None:
    assert admin("POST", "/admin/templates", body=TEMPLATE)[0] == 201
    assert admin("POST", "/admin/templates", body=TEMPLATE)[0] == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"html": "<p>{{ contact.shoe_size }}</p>{{ unsubscribe_url }}"}, "html"),
        ({"subject": "{{ ''.__class__.__mro__ }}"}, "subject"),
        ({"html": "{{ cycler.__init__.__globals__.os.popen('id').read() }}"}, "html"),
        ({"html": "<p>No way out</p>"}, "html"),  # no unsubscribe link
        ({"text": "{{ config }} {{ unsubscribe_url }}"}, "text"),
        ({"html": "{% if %}"}, "html"),
        # Output multipliers (issue 14, finding 6): refused when saved, never rendered huge.
        ({"html": f"<p>{CHAINED_REPLACE}</p>{{{{ unsubscribe_url }}}}"}, "html"),
        ({"html": "{{ contact.email|replace('', '-') }}{{ unsubscribe_url }}"}, "html"),
        ({"html": f"{NESTED_LOOPS}{{{{ unsubscribe_url }}}}"}, "html"),
        # One replace, but the preview for the longest address passes a budget.
        ({"subject": "{{ contact.email|replace('x', 'xxxxx') }}"}, "subject"),
        (
            {"html": "{{ contact.email|replace('x', '" + "y" * 2000 + "') }}{{ unsubscribe_url }}"},
            "html",
        ),
    ],
)
def test_a_template_that_fails_its_checks_is_refused_and_not_stored(
    campaign_env: Sent, change: dict[str, str], field: str
) -> None:
    before = table_items()
    status, body = admin("POST", "/admin/templates", body={**TEMPLATE, **change})
    assert status == 422 and body["error"]["code"] == "validation_failed"
    assert field in body["error"]["fields"]
    assert table_items() == before


def test_a_draft_is_previewed_unsaved_and_its_problem_named_at_its_line(campaign_env: Sent) -> None:
    assert admin("POST", "/admin/templates", body=TEMPLATE)[0] == 201
    before = table_items()
    path, ids = "/admin/templates/{template_id}/preview", {"template_id": "welcome"}
    draft = {"name": "W", "subject": "Draft {{ contact.email }}", "html": HTML}
    status, shown = admin("POST", path, ids, {"draft": draft})
    assert status == 200 and shown["subject"] == "Draft preview@example.com"
    bad = {**draft, "html": HTML + "\n\n<p>{{ contact.__class__ }}</p>"}
    status, body = admin("POST", path, ids, {"draft": bad})
    assert status == 422 and body["error"]["fields"]["html"].startswith("line 3:")
    assert table_items() == before  # nothing stored either way
    status, saved = admin("POST", path, ids, {})
    assert status == 200 and saved["subject"] == "Hi "  # the saved template, unchanged


def test_a_template_that_multiplies_its_output_is_refused_when_changed(campaign_env: Sent) -> None:
    assert admin("POST", "/admin/templates", body=TEMPLATE)[0] == 201
    before = table_items()
    change = {**TEMPLATE, "html": f"<p>{CHAINED_REPLACE}</p>{{{{ unsubscribe_url }}}}"}
    change.pop("id")
    status, body = admin(
        "PUT", "/admin/templates/{template_id}", {"template_id": "welcome"}, change
    )
    assert status == 422 and set(body["error"]) == {"code", "message", "fields"}
    assert "html" in body["error"]["fields"]
    assert table_items() == before


def test_a_template_over_the_size_cap_is_refused(campaign_env: Sent) -> None:
    huge = HTML + "<p>" + "x" * 100_001 + "</p>"
    status, _ = admin("POST", "/admin/templates", body={**TEMPLATE, "html": huge})
    assert status == 400  # the request model's own cap, before any work


def test_a_preview_renders_for_one_contact_with_personal_data_escaped(campaign_env: Sent) -> None:
    [contact_id] = add_contacts(1, first_name="<b>Ann</b>", company="Acme & Co")
    admin("POST", "/admin/templates", body=TEMPLATE)
    status, preview = admin(
        "POST",
        "/admin/templates/{template_id}/preview",
        {"template_id": "welcome"},
        {"contact_id": contact_id},
    )
    assert status == 200
    assert preview["subject"] == "Hi <b>Ann</b>"
    assert "Hello &lt;b&gt;Ann&lt;/b&gt;," in preview["html"]
    assert "Acme &amp; Co" in preview["html"]
    assert "/unsubscribe/" in preview["html"] and "Hello <b>Ann</b>," in preview["text"]


def test_a_segment_counts_its_members_by_conditions(campaign_env: Sent) -> None:
    add_contacts(6, company="Acme", interests=["guides"])
    add_contacts(4, start=10, company="Other", interests=["events"])
    add_contacts(3, start=20, status="unsubscribed", company="Acme")
    add_contacts(5, start=30, topic="events", company="Acme")
    body = {
        "id": "acme-guides",
        "name": "Acme readers of guides",
        "topic": "newsletter",
        "conditions": [
            {"kind": "field", "field": "company", "op": "eq", "value": "Acme"},
            {"kind": "interest", "any_of": ["guides", "product news"]},
            {"kind": "activity", "event": "any", "within_days": 30},
        ],
    }
    status, created = admin("POST", "/admin/segments", body=body)
    assert status == 201 and created["conditions"][0]["op"] == "eq"

    status, count = admin(
        "GET", "/admin/segments/{segment_id}/count", {"segment_id": "acme-guides"}
    )
    assert status == 200
    assert (count["candidates"], count["members"], count["complete"]) == (13, 6, True)


def test_a_segment_count_leaves_out_suppressed_addresses(campaign_env: Sent) -> None:
    # "members" says who may be mailed now: a bounced or complaining address may not.
    add_contacts(4, company="Acme")
    at = clock.iso(clock.now())
    store.write(suppression.suppress("person0@example.org", "bounce", at))
    store.write(suppression.suppress("person1@example.org", "complaint", at))
    body = {"id": "acme", "name": "Acme", "topic": "newsletter", "conditions": []}
    assert admin("POST", "/admin/segments", body=body)[0] == 201

    status, count = admin("GET", "/admin/segments/{segment_id}/count", {"segment_id": "acme"})

    assert (status, count["candidates"], count["members"], count["complete"]) == (200, 4, 2, True)


def test_a_segment_with_an_unknown_condition_is_refused(campaign_env: Sent) -> None:
    body = {"id": "x", "name": "X", "topic": "newsletter", "conditions": [{"kind": "astrology"}]}
    assert admin("POST", "/admin/segments", body=body)[0] == 400


def test_a_campaign_needs_an_existing_template_and_segment_and_the_sending_domain(
    campaign_env: Sent,
) -> None:
    before = table_items()
    body = {
        "name": "N",
        "template_id": "nope",
        "segment_id": "nope",
        "sender": {**SENDER, "email": "news@elsewhere.example"},
    }
    status, answer = admin("POST", "/admin/campaigns", body=body)
    assert status == 422
    assert set(answer["error"]["fields"]) == {"template_id", "segment_id", "sender.email"}
    assert table_items() == before


def test_a_test_send_goes_to_the_given_addresses_only_marked_as_a_test(campaign_env: Sent) -> None:
    add_contacts(3)
    campaign_id = create_campaign()
    status, body = admin(
        "POST",
        "/admin/campaigns/{campaign_id}/test",
        {"campaign_id": campaign_id},
        {"to": ["boss@example.com", "me@example.com"]},
    )
    assert status == 200 and len(body["message_ids"]) == 2
    assert campaign_env.recipients() == ["boss@example.com", "me@example.com"]
    message = campaign_env.messages()[0]
    assert str(message["Subject"]).startswith("[Test] ")
    assert campaign(campaign_id)["state"] == "draft"
    assert not [i for i in table_items() if i["sk"].startswith("SEND#")]

    [ann] = add_contacts(1, start=50, first_name="Ann")
    body = {"to": ["boss@example.com"], "contact_id": ann}
    assert (
        admin("POST", "/admin/campaigns/{campaign_id}/test", {"campaign_id": campaign_id}, body)[0]
        == 200
    )
    assert str(campaign_env.messages()[-1]["Subject"]) == "[Test] News for Ann"
    unknown = {"to": ["boss@example.com"], "contact_id": "nobody"}
    assert (
        admin("POST", "/admin/campaigns/{campaign_id}/test", {"campaign_id": campaign_id}, unknown)[
            0
        ]
        == 404
    )


def _test_send(campaign_id: str, to: list[str], **claims: str) -> tuple[int, Any]:
    path = "/admin/campaigns/{campaign_id}/test"
    return admin("POST", path, {"campaign_id": campaign_id}, {"to": to}, claims=MARKETER | claims)


def test_a_test_send_to_the_address_a_contact_moved_from_follows_the_contact(
    campaign_env: Sent,
) -> None:
    campaign_id = create_campaign()
    [moved] = add_contacts(1, start=92, status="unsubscribed")
    store.batch_put(
        [
            {
                **keys.contact(keys.contact_id_for("old@example.org")),
                "type": "contact_alias",
                "alias_of": moved,
            }
        ]
    )

    status, body = _test_send(campaign_id, ["old@example.org"])

    assert (status, list(body["error"]["fields"])) == (422, ["to.0"])
    assert campaign_env.raw == []


def test_test_mails_per_marketer_per_hour_are_bounded(
    campaign_env: Sent, six_test_mails_an_hour: None
) -> None:
    campaign_id = create_campaign()
    five = [f"me{n}@example.com" for n in range(5)]

    assert _test_send(campaign_id, five)[0] == 200
    before = table_items()
    status, body = _test_send(campaign_id, ["a@example.com", "b@example.com"])
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert table_items() == before and len(campaign_env.raw) == 5  # nothing sent or counted
    assert _test_send(campaign_id, ["a@example.com"])[0] == 200  # the sixth
    assert _test_send(campaign_id, ["b@example.com"])[0] == 429
    assert _test_send(campaign_id, ["b@example.com"], sub="m2")[0] == 200  # another marketer
    assert campaign_env.recipients() == [*five, "a@example.com", "b@example.com"]


def test_a_scheduled_campaign_can_be_cancelled_and_a_cancelled_one_not_sent(
    campaign_env: Sent,
) -> None:
    campaign_id = create_campaign()
    at = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    path = {"campaign_id": campaign_id}
    status, body = admin("POST", "/admin/campaigns/{campaign_id}/schedule", path, {"at": at})
    assert status == 200 and body["state"] == "scheduled" and body["scheduled_at"]
    due = store.get(keys.campaign_due(campaign_id))
    assert due and due["gsi1pk"].startswith("DUE#")

    assert admin("POST", "/admin/campaigns/{campaign_id}/cancel", path)[1]["state"] == "cancelled"
    assert store.get(keys.campaign_due(campaign_id)) is None
    status, body = admin("POST", "/admin/campaigns/{campaign_id}/send", path)
    assert status == 409 and body["error"]["code"] == "conflict"


@pytest.mark.parametrize("at", ["2020-01-01T00:00:00+00:00", "2999-01-01T00:00:00+00:00"])
def test_a_schedule_in_the_past_or_far_future_is_refused(campaign_env: Sent, at: str) -> None:
    campaign_id = create_campaign()
    path = {"campaign_id": campaign_id}
    assert admin("POST", "/admin/campaigns/{campaign_id}/schedule", path, {"at": at})[0] == 422


def test_pause_stops_the_sending_and_resume_finishes_without_repeating(
    campaign_env: Sent,
) -> None:
    add_contacts(40)
    campaign_id = create_campaign()
    path = {"campaign_id": campaign_id}
    admin("POST", "/admin/campaigns/{campaign_id}/send", path)
    status, paused = admin("POST", "/admin/campaigns/{campaign_id}/pause", path)
    assert status == 200 and paused["state"] == "paused" and paused["paused_reason"] == "marketer"
    run_queue()  # every message is dropped while paused
    assert campaign_env.raw == []
    assert admin("POST", "/admin/campaigns/{campaign_id}/pause", path)[0] == 409

    status, resumed = admin("POST", "/admin/campaigns/{campaign_id}/resume", path)
    assert status == 200 and resumed["state"] == "sending" and resumed["paused_reason"] is None
    run_queue()
    assert sorted(campaign_env.recipients()) == sorted(f"person{n}@example.org" for n in range(40))
    assert campaign(campaign_id)["state"] == "done"


def test_the_campaign_shows_the_counters_the_ses_events_add(campaign_env: Sent) -> None:
    add_contacts(5)
    campaign_id = create_campaign()
    admin("POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id})
    run_queue()
    store.write(
        store.Update(
            keys.campaign(campaign_id),
            "ADD delivered :d, opened :o, clicked :c, bounced :b, complained :k, unsubscribed :u",
            values={":d": 4, ":o": 3, ":c": 2, ":b": 1, ":k": 1, ":u": 1},
        )
    )
    stats: dict[str, Any] = campaign(campaign_id)["stats"]
    assert {
        k: stats[k]
        for k in ("sent", "delivered", "bounced", "complained", "opened", "clicked", "unsubscribed")
    } == {
        "sent": 5,
        "delivered": 4,
        "bounced": 1,
        "complained": 1,
        "opened": 3,
        "clicked": 2,
        "unsubscribed": 1,
    }
    status, listed = admin("GET", "/admin/campaigns")
    assert status == 200 and listed["items"][0]["id"] == campaign_id


def test_every_campaign_mail_carries_the_list_headers_and_a_visible_unsubscribe_link(
    campaign_env: Sent,
) -> None:
    add_contacts(3, first_name="Ann")
    campaign_id = create_campaign()
    admin("POST", "/admin/campaigns/{campaign_id}/send", {"campaign_id": campaign_id})
    run_queue()
    for raw in campaign_env.raw:
        message = email.message_from_bytes(raw, policy=default)
        url, mailto = str(message["List-Unsubscribe"]).split(", ")
        assert url.startswith("<https://forms.example.com/unsubscribe/")
        token = url.rsplit("/", 1)[1].rstrip(">")
        assert mailto == f"<mailto:unsubscribe@example.com?subject={token}>"
        claims = tokens.verify(token, "unsubscribe")
        ref = unsubscribe.LinkRef.read(claims.ref)  # the campaign counts the unsubscribe
        assert (ref, claims.expires_at) == (unsubscribe.LinkRef("newsletter", campaign_id), None)
        assert claims.subject in {t["contact"] for t in campaign_env.tags}
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert str(message["List-Id"]) == "The ecrm newsletter <newsletter.example.com>"
        assert str(message["From"]) == "Ecrm News <news@example.com>"
        assert str(message["Reply-To"]) == "reply@example.com"
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f'href="{url[1:-1]}"' in html and url[1:-1] in text


def test_a_segment_reads_back_as_it_was_written(campaign_env: Sent) -> None:
    conditions = [
        {"kind": "status", "in": ["subscribed"]},
        {"kind": "score", "min": 10.0, "max": None},
        {"kind": "topic", "all_of": ["events"], "none_of": []},
    ]
    body = {"id": "back", "name": "Back", "topic": "newsletter", "conditions": conditions}
    assert admin("POST", "/admin/segments", body=body)[0] == 201
    status, found = admin("GET", "/admin/segments/{segment_id}", {"segment_id": "back"})
    assert status == 200
    assert [c["kind"] for c in found["conditions"]] == ["status", "score", "topic"]
    assert found["conditions"][0]["in"] == ["subscribed"]
    change = {"name": "Back", "topic": "newsletter", "conditions": conditions[:1], "version": 1}
    status, updated = admin("PUT", "/admin/segments/{segment_id}", {"segment_id": "back"}, change)
    assert status == 200 and updated["version"] == 2 and len(updated["conditions"]) == 1
