"""Lead scoring end to end on `ecrm serve` (in process): a marketer sets the ruleset over HTTP;
a visitor submits the form, confirms from the mail, opens and clicks it (SES events simulated
from the outbox, one open by a link scanner); the score and stage move at each step and the
explanation always adds up."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from ecrm.platform import keys, normalise

pytestmark = pytest.mark.e2e

RULESET = {
    "fit": [{"kind": "email_domain", "id": "company", "domain": "company", "points": 10}],
    "engagement": [
        {"id": "forms", "on": "form_submitted", "points": 10},
        {"id": "confirmed", "on": "confirmed", "points": 15},
        {"id": "opens", "on": "email_opened", "points": 2, "cap": {"count": 3, "per": "day"}},
        {"id": "clicks", "on": "email_clicked", "points": 10},
    ],
    "decay": {"half_life_days": 30},
    "stages": [
        {"name": "subscriber"},
        {"name": "lead", "at_least": 20},
        {"name": "mql", "at_least": 34},
        {"name": "sql", "at_least": 44},
    ],
}


def admin(stack: Any, method: str, path: str, token: str = "marketer", **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {stack.authorizer.tokens[token]}"} if token else {}
    return requests.request(method, f"{stack.api_url}{path}", headers=headers, timeout=10, **kw)


def score_of(stack: Any, address: str) -> dict[str, Any]:
    stack.drain()
    contact_id = keys.contact_id_for(normalise.email(address))
    response = admin(stack, "GET", f"/admin/contacts/{contact_id}/score")
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    lines = report["explanation"]["lines"]
    assert round(sum(line["points"] for line in lines), 2) == report["score"]  # adds up
    return report


def points(report: dict[str, Any]) -> dict[str, float]:
    return {line["rule"]: line["points"] for line in report["explanation"]["lines"]}


@pytest.fixture(scope="module")
def ruleset(stack: Any) -> dict[str, Any]:
    response = admin(stack, "PUT", "/admin/scoring", json=RULESET)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_admin_scoring_routes_need_a_marketer(stack: Any) -> None:
    assert admin(stack, "GET", "/admin/scoring", token="").status_code == 401
    assert admin(stack, "GET", "/admin/scoring", token="viewer").status_code == 200  # reads
    assert admin(stack, "PUT", "/admin/scoring", token="viewer", json=RULESET).status_code == 403
    refused = admin(stack, "PUT", "/admin/scoring", json={"stages": []})
    assert refused.status_code == 422 and "stages" in refused.json()["error"]["fields"]


def test_a_lead_moves_up_as_they_act_and_the_score_explains_itself(
    stack: Any, ruleset: dict[str, Any]
) -> None:
    address = f"e2e.{uuid.uuid4().hex[:8]}@acme.example"
    body = {
        "email": address,
        "first_name": "Ada",
        "consent": True,
        "_ts": int(time.time() * 1000) - 10_000,
    }
    submitted = requests.post(
        f"{stack.api_url}/forms/newsletter/submissions", json=body, timeout=10
    )
    assert submitted.status_code == 202, submitted.text

    report = score_of(stack, address)
    assert (report["score"], report["stage"]) == (20, "lead")
    assert report["ruleset_version"] == ruleset["version"]
    assert points(report) == {"company": 10, "forms": 10}
    assert [e["type"] for e in report["timeline"]] == ["stage_changed", "form_submitted"]

    [mail] = [m for m in stack.outbox() if address in m["to"]]
    link = next(link for link in mail["links"] if "/confirm/" in link)
    token = link.rsplit("/confirm/", 1)[1]
    assert requests.post(f"{stack.api_url}/confirm/{token}", timeout=10).status_code == 200

    report = score_of(stack, address)
    assert report["stage"] == "mql" and 34.9 < report["score"] <= 35, report
    assert [h["event_type"] for h in report["history"]] == ["confirmed", "form_submitted"]

    # SES reports an open by a link scanner (ignored), a person's open and click.
    stack.simulate_ses_event(mail["id"], "open", scanner=True)
    stack.simulate_ses_event(mail["id"], "open")
    stack.simulate_ses_event(mail["id"], "click")

    report = score_of(stack, address)
    assert report["stage"] == "sql" and 46.9 < report["score"] <= 47
    assert points(report).keys() == {"company", "forms", "confirmed", "opens", "clicks"}
    assert points(report)["opens"] == pytest.approx(2, abs=0.01)
    stages = [e["to_stage"] for e in report["timeline"] if e["type"] == "stage_changed"]
    assert stages == ["sql", "mql", "lead"]
