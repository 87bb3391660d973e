"""What the console's Segments, Templates and Campaigns screens need of the API: a draft
segment counted with what the count read and a few members, storing nothing
(`POST /admin/segment-preview`), a new template's draft previewed before its first save, and
the clicks on each link of a campaign (`GET /admin/campaigns/{id}/links`), counted once per
click, never by scanners, and never keeping a URL a template personalised."""

from __future__ import annotations

import json
from typing import Any

from ecrm.platform import clock, keys
from ecrm.platform.settings import settings
from local.ses_events import ses_event
from tests.conftest import table_items
from tests.integration.campaigns.conftest import (
    HTML,
    SENDER,
    Sent,
    add_contacts,
    admin,
    campaign,
    run_queue,
)

VIEWER = {"sub": "v1", "email": "v@example.com", "cognito:groups": "viewers"}
ACME = {"kind": "field", "field": "company", "op": "eq", "value": "Acme"}
LINKS_HTML = (
    '<p><a href="https://shop.example.com/offer?utm_source=news">Offer</a>'
    ' <a href="https://shop.example.com/u/{{ contact.email }}">Yours</a>'
    ' <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)


def test_a_draft_segment_is_counted_with_its_cost_and_a_sample_and_nothing_is_stored(
    campaign_env: Sent,
) -> None:
    add_contacts(3, company="Acme")
    add_contacts(2, start=10, company="Other")
    before = table_items()
    draft = {"topic": "newsletter", "conditions": [ACME], "sample": 2}

    status, counted = admin("POST", "/admin/segment-preview", body=draft)

    assert status == 200, counted
    assert (counted["candidates"], counted["members"], counted["complete"]) == (5, 3, True)
    assert counted["queries"] >= keys.TOPIC_SHARDS  # one Query per shard at least, no Scan
    assert counted["items_read"] == 5 + 2 * 3  # 5 contacts, 2 suppression keys per match
    assert len(counted["sample"]) == 2
    assert {m["email"] for m in counted["sample"]} <= {f"person{n}@example.org" for n in range(3)}
    assert table_items() == before

    body = {"id": "acme", "name": "Acme", "topic": "newsletter", "conditions": [ACME]}
    assert admin("POST", "/admin/segments", body=body)[0] == 201
    status, saved = admin(
        "GET", "/admin/segments/{segment_id}/count", {"segment_id": "acme"}, query={"sample": "2"}
    )
    assert status == 200 and {**saved, "sample": []} == {**counted, "sample": []}


def test_a_bad_draft_or_a_viewer_is_refused_and_nothing_is_read(campaign_env: Sent) -> None:
    bad = {"topic": "newsletter", "conditions": [{"kind": "score", "min": 5, "max": 1}]}
    status, body = admin("POST", "/admin/segment-preview", body=bad)
    assert status == 400 and body["error"]["fields"]  # as a save of it is
    status, body = admin("POST", "/admin/segment-preview", body={"topic": "News!"})
    assert status == 400 and "topic" in body["error"]["fields"]
    draft = {"topic": "newsletter", "conditions": []}
    assert admin("POST", "/admin/segment-preview", body=draft, claims=VIEWER)[0] == 403


def _click(record: dict[str, Any]) -> None:
    from mailing.ses_events import record_handler

    record_handler(json.dumps(record))


def test_clicks_are_counted_per_link_once_each_without_scanners_or_personal_urls(
    campaign_env: Sent,
) -> None:
    add_contacts(2)
    template = {"id": "offer", "name": "Offer", "subject": "Offer", "html": LINKS_HTML}
    assert admin("POST", "/admin/templates", body=template)[0] == 201
    segment = {"id": "all", "name": "All", "topic": "newsletter", "conditions": []}
    assert admin("POST", "/admin/segments", body=segment)[0] == 201
    draft = {"name": "Offer", "template_id": "offer", "segment_id": "all", "sender": SENDER}
    status, created = admin("POST", "/admin/campaigns", body=draft)
    assert status == 201
    campaign_id = created["id"]
    path = {"campaign_id": campaign_id}
    assert admin("GET", "/admin/campaigns/{campaign_id}/links", path) == (200, {"items": []})
    admin("POST", "/admin/campaigns/{campaign_id}/send", path)
    run_queue()
    assert campaign(campaign_id)["state"] == "done"

    sent_at = clock.now() - 600
    tags = campaign_env.tags
    base = "https://shop.example.com"
    clicks = [
        (tags[0], f"{base}/offer?utm_source=news", 0),
        (tags[0], f"{base}/offer?utm_source=news", 0),  # SNS delivers it again: counted once
        (tags[1], f"{base}/offer?utm_source=news&x=1", 1),
        (tags[1], f"{base}/u/person1@example.org", 2),
        (tags[0], f"{settings().public_base_url}/unsubscribe/sometoken", 3),
    ]
    for tag, link, n in clicks:
        to = "person0@example.org" if tag is tags[0] else "person1@example.org"
        record = ses_event(
            "click", message_id=f"m{n}", to=to, sent_at=sent_at, at=sent_at + 300,
            tags={"campaign": campaign_id, "contact": tag["contact"]}, link=link,
        )  # fmt: skip
        _click(record)
    scanner = ses_event(
        "click", message_id="m9", to="person0@example.org", sent_at=sent_at, at=sent_at + 1,
        tags={"campaign": campaign_id, "contact": tags[0]["contact"]}, link=f"{base}/offer",
        userAgent="Mozilla/5.0 (compatible; Barracuda Sentinel)",
    )  # fmt: skip
    _click(scanner)

    status, found = admin("GET", "/admin/campaigns/{campaign_id}/links", path)

    assert status == 200
    assert found["items"] == [
        {"link": f"{base}/offer", "clicks": 2},
        {"link": "personalised", "clicks": 1},
        {"link": "unsubscribe", "clicks": 1},
    ]
    stored = [i for i in table_items() if str(i["sk"]).startswith(keys.CAMPAIGN_LINKS)]
    assert len(stored) == 3
    assert not any("example" in json.dumps(i, default=str) for i in stored)  # no URL, no address


def test_links_of_an_unknown_campaign_are_404(campaign_env: Sent) -> None:
    path = {"campaign_id": "0123456789abcdef"}
    status, body = admin("GET", "/admin/campaigns/{campaign_id}/links", path)
    assert status == 404 and body["error"]["code"]


def test_a_new_templates_draft_is_previewed_before_it_is_saved_and_nothing_is_stored(
    campaign_env: Sent,
) -> None:
    [contact_id] = add_contacts(1, first_name="Ann")
    before = table_items()
    path, ids = "/admin/templates/{template_id}/preview", {"template_id": "not-yet"}
    draft = {"name": "New", "subject": "Hi {{ contact.first_name }}", "html": HTML}
    status, shown = admin("POST", path, ids, {"draft": draft, "contact_id": contact_id})
    assert status == 200 and shown["subject"] == "Hi Ann"
    bad = {**draft, "html": HTML + "\n\n<p>{{ contact.__class__ }}</p>"}
    status, body = admin("POST", path, ids, {"draft": bad})
    assert status == 422 and body["error"]["fields"]["html"].startswith("line 3:")
    assert admin("POST", path, ids, {"draft": draft}, claims=VIEWER)[0] == 403
    assert table_items() == before
    assert admin("POST", path, ids, {})[0] == 404  # without a draft: the saved one, none
