"""The console's Journeys screen in Chromium against `ecrm serve`: a welcome journey built from
the keyboard (a mail, a wait, a branch on "opened the first", a second mail, a goal), a refusal
shown next to the step's control it names, published (a draft someone saved since refused
first, 409), entered by a subscriber's confirmation, and its steps' figures moving as the tick
sends mail 1, the mail is opened and the wait ends; a journey entered by a segment and its
later joiners with a notify step built from the keyboard and read back as it was saved, then
changed to enter on a score crossing (no score and 0 refused at its control) with a click in
a campaign's mail as its goal, then on a date field; a viewer reads a journey with no
control and a forced publish is refused; accessible at 1280 and 390 px without sideways
scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from local.stack import EmbeddedStack
from tests.e2e.browsing import page_at
from tests.e2e.console import (
    admin,
    assert_fits,
    confirmed_subscriber,
    csp_violations,
    forced_write,
    press,
    sign_in_on,
    tab_to,
    watch_csp,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

HTML = '<p>Hello!</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'
SENDER = {"email": "news@example.com", "name": "News"}
MADE = {
    "name": "Made by the API",
    "entry": {"event": "score_crossed", "at_least": 50},
    "goal": {"event": "campaign_opened"},
    "start": "ab",
    "steps": [
        {"id": "ab", "type": "split", "paths": [{"percent": 90, "next": "hello"}, {"percent": 10}]},
        {
            "id": "hello",
            "type": "send",
            "template_id": "jo-welcome-1",
            "topic": "newsletter",
            "sender": SENDER,
            "next": "pause",
        },
        {"id": "pause", "type": "wait", "minutes": 2880, "next": "morning"},
        {"id": "morning", "type": "wait_until", "time": "09:30", "next": "asked"},
        {"id": "asked", "type": "branch", "if": {"opened": "hello"}, "yes": "told", "no": "bye"},
        {
            "id": "told",
            "type": "wait_for",
            "event": {"event": "custom_event", "name": "demo_booked"},
            "timeout_minutes": 1440,
            "next": "tag",
            "on_timeout": "bye",
        },
        {
            "id": "tag",
            "type": "update",
            "set": {"company": "Acme", "interests": ["events", "guides"]},
            "remove_topic": "events",
            "next": "ping",
        },
        {"id": "ping", "type": "notify", "to": ["webhook"], "label": "tagged", "next": "vip"},
        {
            "id": "vip",
            "type": "branch",
            "if": {
                "conditions": [{"kind": "field", "field": "company", "op": "eq", "value": "Acme"}]
            },
            "yes": "bye",
            "no": None,
        },
        {"id": "bye", "type": "exit"},
    ],
}


@pytest.fixture(scope="module")
def stack(state_dir: Path) -> Iterator[EmbeddedStack]:
    """The schedule tick every 0.2 s (not each minute): a due run moves in a moment."""
    local_stack = EmbeddedStack(state_dir, port=0, fresh=True, schedule_every=0.2, keep_state=False)
    local_stack.start()
    try:
        yield local_stack
    finally:
        local_stack.stop()


@pytest.fixture(scope="module")
def templates(stack: Any) -> list[str]:
    made = []
    for n in (1, 2):
        body = {"id": f"jo-welcome-{n}", "name": f"Welcome {n}", "subject": f"Journey mail {n}"}
        assert admin(stack, "POST", "/admin/templates", json={**body, "html": HTML}).ok
        made.append(body["id"])
    return made


@pytest.fixture(scope="module")
def saved(stack: Any, templates: list[str]) -> str:
    answer = admin(stack, "POST", "/admin/journeys", json=MADE)
    assert answer.status_code == 201, answer.text
    journey_id = str(answer.json()["id"])
    assert admin(stack, "POST", f"/admin/journeys/{journey_id}/publish").status_code == 201
    return journey_id


def sign_in(page: Page, stack: Any, who: str = "marketer") -> None:
    sign_in_on(page, stack, "journeys", "Journeys", who)
    expect(page.locator("main")).to_have_attribute("data-loaded", "true")


def row(page: Page, name: str) -> Any:
    return page.locator("#journey-list tbody tr").filter(has_text=name)


def figure(page: Page, step: str, count: str) -> Any:
    return page.locator(f'#journey-steps [data-step="{step}"] [data-count="{count}"] dd')


def add_step(page: Page, downs: int, first: str) -> None:
    """The new step's kind chosen in its list (arrow keys from where it is), added with Enter;
    the focus lands on the new step's first control (`first`)."""
    page.locator("#jo-add-kind").focus()
    for _ in range(abs(downs)):
        page.keyboard.press("ArrowDown" if downs > 0 else "ArrowUp")
    tab_to(page, page.get_by_role("button", name="Add the step"))
    page.keyboard.press("Enter")
    expect(page.locator(first)).to_be_focused()


def reopen(page: Page, name: str) -> None:
    row(page, name).get_by_role("button", name=name).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#editing")).to_have_text(f"Journey {name}")


def test_a_welcome_journey_built_from_the_keyboard_is_published_entered_and_counted(
    page: Page, stack: Any, templates: list[str]
) -> None:
    watch_csp(page)
    sign_in(page, stack)
    press(page, "New journey")
    expect(page.locator("#editing")).to_have_text("New journey")
    expect(page.locator("#editing")).to_be_focused()
    tab_to(page, page.get_by_label("Name", exact=True))
    page.keyboard.type("Welcome, typed")
    tab_to(page, page.get_by_label("When", exact=True))  # a subscriber confirms: the first
    tab_to(page, page.get_by_label("Re-entry"))  # once ever: the first
    tab_to(page, page.get_by_label("Goal", exact=True))
    for _ in range(5):  # past "No goal" and four events: a custom event
        page.keyboard.press("ArrowDown")
    tab_to(page, page.locator("#jo-goal-name"))
    page.keyboard.type("purchased")

    # 1: send mail 1
    add_step(page, 0, "#jo-0-template_id")
    page.keyboard.type(templates[0])
    tab_to(page, page.locator("#jo-0-topic"))
    page.keyboard.type("newsletter")
    tab_to(page, page.locator("#jo-0-sender-email"))
    page.keyboard.type(SENDER["email"])
    tab_to(page, page.locator("#jo-0-sender-name"))
    page.keyboard.type(SENDER["name"])
    # 2: wait an hour
    add_step(page, 1, "#jo-1-minutes")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    tab_to(page, page.locator("#jo-1-unit"))
    page.keyboard.press("ArrowUp")  # days -> hours
    # 3: opened mail 1? yes: the next step (mail 2); no: the end
    add_step(page, 3, "#jo-2-what")  # past the two other waits
    expect(page.locator("#jo-2-if option:checked")).to_have_text("mail_1")
    tab_to(page, page.locator("#jo-2-if"))
    tab_to(page, page.locator("#jo-2-yes"))
    tab_to(page, page.locator("#jo-2-no"))
    expect(page.locator("#jo-2-no option:checked")).to_have_text("End the journey")
    # 4: send mail 2 (topic and sender as mail 1), a template that does not exist first
    add_step(page, -4, "#jo-3-template_id")
    page.keyboard.type("no-such-template")
    expect(page.locator("#jo-3-topic")).to_have_value("newsletter")
    press(page, "Create the draft")

    expect(page.locator("#jo-3-template_id-error")).to_have_text("No such template.")
    expect(page.locator("#jo-3-template_id")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(templates[1])
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("#editing")).to_have_text("Journey Welcome, typed")
    expect(page.locator("#jo-state")).to_have_attribute("data-state", "draft")
    [stored] = [
        j
        for j in admin(stack, "GET", "/admin/journeys").json()["items"]
        if j["name"] == "Welcome, typed"
    ]
    assert stored["goal"]["name"] == "purchased" and stored["start"] == "mail_1"
    assert [(s["id"], s.get("next")) for s in stored["steps"] if s["type"] != "branch"] == [
        ("mail_1", "wait_1"),
        ("wait_1", "branch_1"),
        ("mail_2", None),
    ]
    assert stored["steps"][1]["minutes"] == 60
    assert stored["steps"][2]["if"]["opened"] == "mail_1"
    assert (stored["steps"][2]["yes"], stored["steps"][2]["no"]) == ("mail_2", None)

    # someone saves the draft meanwhile: the publish is refused, said, and offered a reload
    path = f"/admin/journeys/{stored['id']}"
    edited = {k: stored[k] for k in ("entry", "goal", "reentry", "start", "steps")}
    answer = admin(stack, "PUT", path, json={**edited, "name": "Welcome, typed", "version": 1})
    assert answer.status_code == 200, answer.text
    press(page, "Publish the draft as version 1")
    expect(page.locator("#jo-page-problem")).to_contain_text(
        "Not published: The journey's draft changed"
    )
    assert admin(stack, "GET", path).json()["live_version"] is None
    press(page, "Load the current journey")
    expect(page.locator("#editing")).to_be_focused()
    press(page, "Publish the draft as version 1")
    expect(page.locator("#jo-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#jo-version option:checked")).to_have_text("Version 1 (live)")

    # a subscriber confirms: the journey enters them and the tick sends mail 1
    address = "ann.journeys@acme.example"
    confirmed_subscriber(stack, address)
    [first] = wait_for(lambda: [m for m in stack.outbox() if m["subject"] == "Journey mail 1"])
    assert first["to"] == [address] or address in first["to"]

    def counts() -> dict[str, Any]:
        return dict(admin(stack, "GET", f"{path}/stats").json()["versions"]["1"])

    wait_for(counts, lambda c: c.get("wait_1", {}).get("waiting") == 1)
    reopen(page, "Welcome, typed")
    expect(figure(page, "mail_1", "entered")).to_have_text("1")
    expect(figure(page, "mail_1", "sent")).to_have_text("1")
    expect(figure(page, "mail_1", "passed")).to_have_text("1")
    expect(figure(page, "wait_1", "waiting")).to_have_text("1")
    expect(figure(page, "mail_2", "sent")).to_have_text("0")

    # mail 1 opened, the hour passes: the branch sends mail 2
    stack.simulate_ses_event(first["id"], "open")
    stack.advance_clock(3601)
    wait_for(lambda: [m for m in stack.outbox() if m["subject"] == "Journey mail 2"])
    wait_for(counts, lambda c: c.get("mail_2", {}).get("exited") == 1)
    reopen(page, "Welcome, typed")
    expect(figure(page, "mail_1", "opened")).to_have_text("1")
    expect(figure(page, "wait_1", "passed")).to_have_text("1")
    expect(figure(page, "branch_1", "passed")).to_have_text("1")
    expect(figure(page, "mail_2", "sent")).to_have_text("1")
    expect(figure(page, "mail_2", "exited")).to_have_text("1")
    expect(row(page, "Welcome, typed").locator("[data-count=entered]")).to_have_text("1")
    expect(row(page, "Welcome, typed").locator("[data-state]")).to_have_text("live · version 1")
    assert_fits(page, 1280, "console-journeys")  # its picture: the figures moved

    # stopped, after a question whose first answer is Cancel
    press(page, "Stop entries")
    dialog = page.get_by_role("dialog", name="Stop this journey?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#jo-state")).to_have_attribute("data-state", "stopped")
    assert admin(stack, "GET", path).json()["live_version"] is None
    assert csp_violations(page) == []


def test_a_segment_entry_and_a_notify_step_built_from_the_keyboard_are_saved_and_kept(
    page: Page, stack: Any, templates: list[str]
) -> None:
    """Entry by a segment and its later joiners (chosen among GET /admin/segments), a notify
    step refused with no channel (said at its checkboxes), then to EventBridge and the webhooks
    with a label, and a branch on a condition; the draft read back through the API, then saved
    unchanged. Then
    the entry a score crossing (none and 0 refused at its control, then 50) and the goal a
    click in a campaign's mail (chosen among GET /admin/campaigns): said in words, shown in the
    form as saved, saved unchanged; then the entry a date field (every year or once refused
    unchosen), the same."""
    segment = {"id": "trial-users", "name": "Trial users", "topic": "newsletter"}
    assert admin(stack, "POST", "/admin/segments", json=segment).status_code == 201
    campaign = {"name": "Spring sale", "template_id": templates[0], "segment_id": "trial-users"}
    answer = admin(stack, "POST", "/admin/campaigns", json={**campaign, "sender": SENDER})
    assert answer.status_code == 201, answer.text
    campaign_id = answer.json()["id"]
    sign_in(page, stack)
    press(page, "New journey")
    tab_to(page, page.get_by_label("Name", exact=True))
    page.keyboard.type("Trial, typed")
    tab_to(page, page.get_by_label("When", exact=True))
    page.keyboard.press("End")  # a date of theirs, the last choice
    page.keyboard.press("ArrowUp")  # a segment's members and later joiners
    expect(page.locator("#jo-entry")).to_have_value("segment_joiners")
    expect(page.locator("#jo-entry-segment option")).to_have_count(2)  # the list was read
    add_step(page, 7, "#jo-0-to-eventbridge")  # past seven kinds: notify
    press(page, "Create the draft")  # no segment chosen, no channel ticked: both said
    expect(page.locator("#jo-0-to-error")).to_contain_text("at least 1")
    expect(page.locator("#jo-entry-segment-error")).to_contain_text("should match pattern")
    expect(page.locator("#jo-entry-segment")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#jo-entry-segment")).to_have_value("trial-users")
    page.locator("#jo-0-to").focus()
    tab_to(page, page.get_by_label("EventBridge (the default bus)"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Webhook (a journey.step event)"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_label("Label (optional)"))
    page.keyboard.type("trial-ending")
    # then a branch on a condition: is the contact's company Acme?
    add_step(page, -3, "#jo-1-what")  # back past update and split: branch
    page.keyboard.press("ArrowDown")
    expect(page.locator("#jo-1-what")).to_be_focused()
    page.keyboard.press("ArrowDown")  # meets these conditions: a first one offered
    expect(page.locator("#jo-1-what")).to_be_focused()
    tab_to(page, page.locator("#jo-1-cond-0-kind"))
    tab_to(page, page.locator("#jo-1-cond-0-field"))
    page.keyboard.press("Enter")  # no field named: refused under the condition
    expect(page.locator("#jo-1-cond-0-error")).to_have_text("Field required")
    expect(page.locator("#jo-1-cond-0-kind")).to_be_focused()
    tab_to(page, page.locator("#jo-1-cond-0-field"))
    page.keyboard.type("company")
    tab_to(page, page.locator("#jo-1-cond-0-op"))
    tab_to(page, page.locator("#jo-1-cond-0-value"))
    page.keyboard.type("Acme")
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("#editing")).to_have_text("Journey Trial, typed")
    expect(page.locator("#journey-area .pairs")).to_contain_text(
        "they are in the segment trial-users when it is published, or join it later"
    )
    expect(page.locator('#journey-steps [data-step="notify_1"]')).to_contain_text(
        "Tell EventBridge and the webhooks (label trial-ending), then go to branch_1."
    )
    [stored] = [
        j
        for j in admin(stack, "GET", "/admin/journeys").json()["items"]
        if j["name"] == "Trial, typed"
    ]
    before = admin(stack, "GET", f"/admin/journeys/{stored['id']}").json()
    assert before["entry"] == {"segment": "trial-users", "joiners": True}
    assert before["start"] == "notify_1"
    assert before["steps"][0] == {
        "id": "notify_1",
        "type": "notify",
        "to": ["eventbridge", "webhook"],
        "label": "trial-ending",
        "next": "branch_1",
    }
    asked = before["steps"][1]["if"]["conditions"]
    assert [(c["kind"], c["field"], c["op"], c["value"]) for c in asked] == [
        ("field", "company", "eq", "Acme")
    ]

    press(page, "Edit the draft")
    expect(page.locator("#jo-entry")).to_have_value("segment_joiners")
    expect(page.locator("#jo-entry-segment option:checked")).to_have_text(
        "Trial users (trial-users)"
    )
    expect(page.locator("#jo-0-to-webhook")).to_be_checked()
    expect(page.locator("#jo-1-cond-0-value")).to_have_value("Acme")
    press(page, "Save the draft")
    expect(page.locator("#editing")).to_have_text("Journey Trial, typed")
    after = admin(stack, "GET", f"/admin/journeys/{stored['id']}").json()
    assert after["version"] == before["version"] + 1
    for part in ("name", "entry", "reentry", "goal", "start", "steps"):
        assert after[part] == before[part], part

    # entered on a score crossing, converted on a click in the campaign's mail
    press(page, "Edit the draft")
    page.locator("#jo-entry").focus()
    for _ in range(4):  # up past a segment's members, a campaign's click and open: a score
        page.keyboard.press("ArrowUp")
    expect(page.locator("#jo-entry")).to_have_value("score_crossed")
    tab_to(page, page.locator("#jo-entry-at_least"))  # left empty: refused at it
    tab_to(page, page.get_by_label("Re-entry"))
    tab_to(page, page.get_by_label("Goal", exact=True))
    page.keyboard.press("End")  # the last choice a goal has: a click in a campaign's mail
    expect(page.locator("#jo-goal")).to_have_value("campaign_clicked")
    tab_to(page, page.locator("#jo-goal-campaign_id"))
    expect(page.locator("#jo-goal-campaign_id option")).to_have_count(2)  # the list was read
    page.keyboard.press("ArrowDown")  # past "Any campaign"
    expect(page.locator("#jo-goal-campaign_id option:checked")).to_have_text(
        f"Spring sale ({campaign_id})"
    )
    press(page, "Save the draft")
    expect(page.locator("#jo-entry-at_least-error")).to_contain_text("needs `at_least`")
    expect(page.locator("#jo-entry-at_least")).to_be_focused()
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    expect(page.locator("#jo-entry-at_least-error")).to_have_text("Input should be greater than 0")
    expect(page.locator("#jo-entry-at_least")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("50")
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("#editing")).to_have_text("Journey Trial, typed")
    pairs = page.locator("#journey-area .pairs")
    expect(pairs).to_contain_text("a contact's score rises to 50 or more")
    expect(pairs).to_contain_text(
        f"a contact clicks a link in the mail of the campaign Spring sale ({campaign_id})"
    )
    scored = admin(stack, "GET", f"/admin/journeys/{stored['id']}").json()
    given = {
        part: {k: v for k, v in scored[part].items() if v is not None} for part in ("entry", "goal")
    }
    assert given["entry"] == {"event": "score_crossed", "at_least": 50}
    assert given["goal"] == {"event": "campaign_clicked", "campaign_id": campaign_id}
    press(page, "Edit the draft")
    expect(page.locator("#jo-entry-at_least")).to_have_value("50")
    expect(page.locator("#jo-goal-campaign_id")).to_have_value(campaign_id)
    press(page, "Save the draft")
    expect(page.locator("#editing")).to_have_text("Journey Trial, typed")
    again = admin(stack, "GET", f"/admin/journeys/{stored['id']}").json()
    assert again["version"] == scored["version"] + 1
    for part in ("name", "entry", "reentry", "goal", "start", "steps"):
        assert again[part] == scored[part], part

    # entered a week before the birthday (the profile's date field), every year
    press(page, "Edit the draft")
    page.locator("#jo-entry").focus()
    page.keyboard.press("End")  # the last choice: a date of theirs
    expect(page.locator("#jo-entry")).to_have_value("date")
    tab_to(page, page.locator("#jo-entry-date_field"))
    expect(page.locator("#jo-entry-date_field option")).to_have_count(2)  # the schema was read
    page.keyboard.press("ArrowDown")
    tab_to(page, page.locator("#jo-entry-days"))
    page.keyboard.type("-7")
    press(page, "Save the draft")  # every year or once not chosen: refused at it
    expect(page.locator("#jo-entry-every_year-error")).to_have_text("Field required")
    expect(page.locator("#jo-entry-every_year")).to_be_focused()
    page.keyboard.press("ArrowDown")  # every year
    press(page, "Save the draft")
    expect(pairs).to_contain_text("their birthday is 7 days away, every year, at 09:00")
    dated = admin(stack, "GET", f"/admin/journeys/{stored['id']}").json()
    assert dated["entry"] == {
        "date_field": "birthday",
        "days": -7,
        "every_year": True,
        "time": "09:00",
    }
    press(page, "Edit the draft")
    expect(page.locator("#jo-entry-every_year option:checked")).to_have_text(
        "Every year on its day (a birthday)"
    )
    assert_fits(page, 1280)  # the date's controls and the campaign's shown: axe finds nothing
    press(page, "Save the draft")
    expect(page.locator("#editing")).to_have_text("Journey Trial, typed")
    assert admin(stack, "GET", f"/admin/journeys/{stored['id']}").json()["entry"] == dated["entry"]


def test_a_viewer_reads_a_journey_with_no_write_control(page: Page, stack: Any, saved: str) -> None:
    sign_in(page, stack, "viewer")
    expect(page.get_by_role("button", name="New journey")).to_have_count(0)
    row(page, "Made by the API").get_by_role("button", name="Made by the API").click()
    expect(page.locator("#editing")).to_have_text("Journey Made by the API")
    expect(page.locator("#journey-area").get_by_role("button")).to_have_count(0)
    expect(page.locator('#journey-steps [data-step="pause"]')).to_contain_text("Wait 2 days")
    expect(figure(page, "hello", "entered")).to_have_text("0")
    forced = forced_write(page, "POST", f"/admin/journeys/{saved}/stop")
    assert forced["status"] == 403 and forced["body"]["error"]["code"] == "forbidden"
    assert admin(stack, "GET", f"/admin/journeys/{saved}").json()["live_version"] == 1


def test_a_draft_saved_unchanged_from_its_form_keeps_every_step(
    page: Page, stack: Any, saved: str
) -> None:
    """Each kind the form edits (split, send, wait, wait until a time, wait for an event,
    branch, update, notify, exit) read into the form and written back as the API gave it: the list
    order, its "next step", its arms and paths, the entry on a score crossing and the goal an
    open of any campaign's mail (a wait offers neither: the API refuses them there); a step
    no path reaches refused at its id."""
    before = admin(stack, "GET", f"/admin/journeys/{saved}").json()
    sign_in(page, stack)
    expect(row(page, "Made by the API").locator("td").nth(1)).to_have_text(
        "a contact's score rises to 50 or more"
    )
    reopen(page, "Made by the API")
    expect(page.locator("#journey-area .pairs")).to_contain_text(
        "a contact opens the mail of any campaign"
    )
    expect(page.locator('#journey-steps [data-step="told"]')).to_contain_text(
        "Wait until the custom event demo_booked is recorded, at most 1 day; then go to tag;"
        " if not by then: go to bye."
    )
    expect(page.locator('#journey-steps [data-step="vip"]')).to_contain_text(
        "If the contact is in the segment Profile field: field company, op eq, value Acme"
    )
    press(page, "Edit the draft")
    expect(page.locator("#editing")).to_be_focused()
    expect(page.locator("#jo-0-paths-1-next option:checked")).to_have_text(
        "Hold out: the run ends here"
    )
    expect(page.locator("#jo-3-time")).to_have_value("09:30")
    expect(page.locator("#jo-entry")).to_have_value("score_crossed")
    expect(page.locator("#jo-entry-at_least")).to_have_value("50")
    expect(page.locator("#jo-goal")).to_have_value("campaign_opened")
    expect(page.locator("#jo-goal-campaign_id option:checked")).to_have_text("Any campaign")
    expect(page.locator("#jo-5-event-event")).to_have_value("custom_event")
    expect(
        page.locator("#jo-5-event-event option[value^=campaign], #jo-5-event-at_least")
    ).to_have_count(0)
    expect(page.get_by_label("Event name").nth(2)).to_have_value("demo_booked")
    expect(page.locator("#jo-5-timeout_unit")).to_have_value("days")
    expect(page.locator("#jo-5-on_timeout option:checked")).to_have_text("Go to bye")
    expect(page.locator("#jo-6-set_field-1")).to_have_value("interests")
    expect(page.locator("#jo-6-set-1-value")).to_have_value("events, guides")
    expect(page.locator("#jo-6-remove_topic")).to_have_value("events")
    expect(page.locator("#jo-7-to-eventbridge")).not_to_be_checked()
    expect(page.locator("#jo-7-to-webhook")).to_be_checked()
    expect(page.locator("#jo-7-label")).to_have_value("tagged")
    expect(page.locator("#jo-8-what option:checked")).to_have_text(
        "meets these conditions (all of them)"
    )
    expect(page.locator("#jo-8-cond-0-field")).to_have_value("company")
    expect(page.locator("#jo-8-cond-0-value")).to_have_value("Acme")
    expect(page.locator("#jo-4-no option:checked")).to_have_text("Go to bye")

    # a field the profile schema does not have: refused next to its value
    page.locator("#jo-6-set_field-0").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("shoe_size")
    press(page, "Save the draft")
    expect(page.locator("#jo-6-set-0-value-error")).to_have_text(
        "No such field in the profile schema."
    )
    expect(page.locator("#jo-6-set-0-value")).to_be_focused()
    page.locator("#jo-6-set_field-0").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("company")

    # a split added at the end: no path reaches it, said at its id; removed again
    add_step(page, 5, "#jo-10-paths-0-percent")  # past send, the three waits, branch
    press(page, "Save the draft")
    expect(page.locator("#jo-10-id-error")).to_have_text("No path from start reaches this step.")
    expect(page.locator("#jo-10-id")).to_be_focused()
    page.locator("#jo-step-10").get_by_role("button", name="Remove", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#jo-step-10")).to_have_count(0)
    press(page, "Save the draft")
    expect(page.locator("#editing")).to_have_text("Journey Made by the API")
    after = admin(stack, "GET", f"/admin/journeys/{saved}").json()
    assert after["version"] == before["version"] + 1
    for part in ("name", "entry", "reentry", "goal", "start", "steps"):
        assert after[part] == before[part], part


@pytest.mark.parametrize("width", [1280, 390])
def test_the_journeys_screen_is_accessible_and_fits_a_phone(
    browser: Browser, stack: Any, saved: str, width: int
) -> None:
    with page_at(browser, stack, width) as page:
        sign_in(page, stack)
        assert_fits(page, width)
        row(page, "Made by the API").get_by_role("button", name="Made by the API").click()
        expect(figure(page, "hello", "sent")).to_be_visible()
        assert_fits(page, width)
        page.get_by_role("button", name="Edit the draft").click()
        expect(page.locator("#jo-4-if")).to_be_visible()
        assert_fits(page, width, "console-journeys-editor")
