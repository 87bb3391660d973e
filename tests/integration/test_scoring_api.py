"""The scoring admin API on moto: marketers only, rulesets validated and versioned, a contact's
score explained, and the re-score job (resumable, never a Scan)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from ecrm.platform import keys
from ecrm.scoring import rulesets
from local.template import Template
from tests import events
from tests.conftest import ROOT, reset_caches, table_items
from tests.integration.conftest import Submit, valid_body

MARKETER = {"sub": "m1", "email": "mia@example.com", "cognito:groups": "marketers"}
ROUTES = [
    (r.method, r.path)
    for f in Template.load(ROOT / "infra" / "template.yaml").functions()
    if f.handler_module == "scoring.api"
    for r in f.api_routes
]
PARAMS = {"version": "1", "job_id": "rs_0123456789abcdef", "contact_id": "abc"}
RULESET = {
    "fit": [{"kind": "email_domain", "id": "company", "domain": "company", "points": 10}],
    "engagement": [
        {"id": "forms", "on": "form_submitted", "points": 15},
        {"id": "confirmed", "on": "confirmed", "points": 20},
        {"id": "opens", "on": "email_opened", "points": 1, "cap": {"count": 3, "per": "day"}},
    ],
    "decay": {"half_life_days": 14},
    "stages": [
        {"name": "subscriber"},
        {"name": "lead", "at_least": 20},
        {"name": "mql", "at_least": 40},
    ],
}


@pytest.fixture
def queue(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    sqs = boto3.client("sqs")
    url = next(u for u in sqs.list_queues()["QueueUrls"] if "RescoreQueue" in u)
    monkeypatch.setenv("RESCORE_QUEUE_URL", url)
    monkeypatch.setenv("RULESET_CACHE_SECONDS", "0")
    reset_caches()
    rulesets.forget_cached()
    return url


def admin(
    method: str,
    path: str,
    params: dict[str, str] | None = None,
    body: Any = None,
    claims: dict[str, str] | None = MARKETER,
) -> tuple[int, Any]:
    from scoring.api import lambda_handler

    event = events.api(method, path, params, body=body)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def deliver_interactions() -> None:
    """Every interaction not yet scored, to the scoring function, as one stream batch."""
    from scoring.stream import lambda_handler

    images = [
        i for i in table_items() if i["sk"].startswith("EVENT#") and i["type"] != "stage_changed"
    ]
    assert lambda_handler(events.stream(*images), events.LambdaContext()) == {
        "batchItemFailures": []
    }


def run_queue(queue_url: str, limit: int = 100) -> int:
    """Feed the re-score queue to its function until it is empty; the number of steps."""
    from scoring.rescore import lambda_handler

    sqs, steps = boto3.client("sqs"), 0
    while steps < limit:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get(
            "Messages", []
        )
        if not messages:
            return steps
        record = {
            "messageId": messages[0]["MessageId"],
            "body": messages[0]["Body"],
            "receiptHandle": messages[0]["ReceiptHandle"],
            "eventSource": "aws:sqs",
            "attributes": {},
            "messageAttributes": {},
        }
        assert lambda_handler({"Records": [record]}, events.LambdaContext()) == {
            "batchItemFailures": []
        }
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
        steps += 1
    raise AssertionError("the job never finished")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_scoring_route_is_for_marketers_only(
    aws_env: dict[str, str], method: str, path: str
) -> None:
    before = table_items()
    assert admin(method, path, PARAMS, claims=None)[0] == 401
    assert admin(method, path, PARAMS, claims={"sub": "s", "cognito:groups": "staff"})[0] == 403
    viewer = admin(method, path, PARAMS, claims={"sub": "v", "cognito:groups": "viewers"})[0]
    assert (viewer == 403) is (method != "GET")  # a viewer reads, never changes
    assert table_items() == before


def test_a_marketer_reads_the_default_then_saves_versions(aws_env: dict[str, str]) -> None:
    status, default = admin("GET", "/admin/scoring")
    assert status == 200 and default["version"] == 0

    status, saved = admin("PUT", "/admin/scoring", body=RULESET)
    assert status == 200 and saved["version"] == 1 and saved["updated_by"] == "mia@example.com"
    assert admin("PUT", "/admin/scoring", body={**RULESET, "demote": True})[1]["version"] == 2

    assert admin("GET", "/admin/scoring")[1]["demote"] is True
    versions = admin("GET", "/admin/scoring/versions")[1]["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert admin("GET", "/admin/scoring/versions/{version}", {"version": "1"})[1]["demote"] is False
    assert admin("GET", "/admin/scoring/versions/{version}", {"version": "0"})[1] == default
    assert admin("GET", "/admin/scoring/versions/{version}", {"version": "9"})[0] == 404


def test_an_invalid_ruleset_is_refused_with_every_problem_named(aws_env: dict[str, str]) -> None:
    before = table_items()
    bad = {
        **RULESET,
        "stages": [{"name": "a"}, {"name": "b"}],
        "engagement": [{"id": "x", "on": "nope", "points": 1}],
        "fit": [{"kind": "range", "id": "size", "field": "size", "min": 5, "max": 1, "points": 1}],
    }

    status, body = admin("PUT", "/admin/scoring", body=bad)

    assert status == 422 and body["error"]["code"] == "validation_failed"
    assert "engagement.0.on" in body["error"]["fields"]
    assert body["error"]["fields"]["fit.0.range"] == "min is greater than max"  # its own words
    assert table_items() == before


def test_a_contacts_score_explains_itself_and_shows_the_timeline(
    aws_env: dict[str, str], submit: Submit
) -> None:
    admin("PUT", "/admin/scoring", body=RULESET)
    assert submit(valid_body("ann@acme.example"))["statusCode"] == 202
    deliver_interactions()
    contact_id = keys.contact_id_for("ann@acme.example")

    status, report = admin("GET", "/admin/contacts/{contact_id}/score", {"contact_id": contact_id})

    assert status == 200
    assert (report["score"], report["stage"], report["ruleset_version"]) == (25, "lead", 1)
    lines = report["explanation"]["lines"]
    assert {line["rule"]: line["points"] for line in lines} == {"company": 10, "forms": 15}
    assert round(sum(line["points"] for line in lines), 2) == report["score"]
    assert [e["type"] for e in report["timeline"]] == ["stage_changed", "form_submitted"]
    [change] = report["history"]
    assert change["points"] == {"forms": 15} and change["event_type"] == "form_submitted"
    assert admin("GET", "/admin/contacts/{contact_id}/score", {"contact_id": "nobody"})[0] == 404


def test_a_rescore_job_applies_a_new_ruleset_page_by_page_and_resumes(
    queue: str, submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(7):
        assert submit(valid_body(f"p{n}@acme.example"), ip=f"10.0.0.{n}")["statusCode"] == 202
    deliver_interactions()  # scored under the default ruleset (v0): 10 + 10, "lead"
    monkeypatch.setenv("RESCORE_PAGE_SIZE", "2")
    reset_caches()
    admin(
        "PUT",
        "/admin/scoring",
        body={
            **RULESET,
            "stages": [
                {"name": "subscriber"},
                {"name": "lead", "at_least": 30},
                {"name": "mql", "at_least": 40},
            ],
        },
    )

    status, job = admin("POST", "/admin/scoring/rescore")
    assert status == 202 and job["state"] == "running" and job["ruleset_version"] == 1

    # The function dies on its third step: the message comes back, and the cursor resumes.
    from ecrm.scoring import rescore

    real_step, calls = rescore.step, {"n": 0}

    def dying_step(job_id: str, **kw: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("sandbox died")
        return real_step(job_id, **kw)

    monkeypatch.setattr(rescore, "step", dying_step)
    with pytest.raises(Exception, match="sandbox died"):
        run_queue(queue)
    monkeypatch.setattr(rescore, "step", real_step)
    admin("POST", "/admin/scoring/rescore/{job_id}/resume", {"job_id": job["job_id"]})
    run_queue(queue)

    status, done = admin("GET", "/admin/scoring/rescore/{job_id}", {"job_id": job["job_id"]})
    assert status == 200 and done["state"] == "done"
    assert done["contacts_rescored"] == 7
    scores = [i for i in table_items() if i["sk"] == "SCORE"]
    assert {(s["ruleset_version"], s["stage"], s["score"]) for s in scores} == {
        (1, "subscriber", 25)
    }
    moved = [i for i in table_items() if i.get("cause") == "ruleset-v1"]
    assert len(moved) == 7 and {m["to_stage"] for m in moved} == {"subscriber"}


def test_a_draft_ruleset_is_checked_as_a_save_would_and_nothing_is_stored(
    aws_env: dict[str, str],
) -> None:
    before = table_items()
    status, checked = admin("POST", "/admin/scoring/validate", body=RULESET)
    assert status == 200 and checked["stages"][2] == {"name": "mql", "at_least": 40}
    bad = {**RULESET, "engagement": [{**RULESET["engagement"][2], "points": 5000}]}
    status, body = admin("POST", "/admin/scoring/validate", body=bad)
    assert status == 422 and set(body["error"]["fields"]) == {"engagement.0.points"}
    viewer = {"sub": "v", "cognito:groups": "viewers"}
    assert admin("POST", "/admin/scoring/validate", body=RULESET, claims=viewer)[0] == 403
    assert table_items() == before


def test_a_save_based_on_an_older_version_is_refused_and_nothing_is_stored(
    aws_env: dict[str, str],
) -> None:
    assert admin("PUT", "/admin/scoring", body={**RULESET, "version": 0})[1]["version"] == 1
    before = table_items()
    status, body = admin("PUT", "/admin/scoring", body={**RULESET, "version": 0})
    assert status == 409 and body["error"]["code"] == "conflict"
    status, body = admin("PUT", "/admin/scoring", body={**RULESET, "version": "1"})
    assert status == 422 and "version" in body["error"]["fields"]
    assert table_items() == before
    assert admin("PUT", "/admin/scoring", body={**RULESET, "version": 1})[1]["version"] == 2


def test_a_rescore_job_says_how_far_it_is(queue: str, submit: Submit) -> None:
    assert submit(valid_body("pat@acme.example"))["statusCode"] == 202
    deliver_interactions()
    admin("PUT", "/admin/scoring", body=RULESET)
    status, job = admin("POST", "/admin/scoring/rescore")
    partitions = len(job["stages"]) * keys.STAGE_SHARDS
    assert status == 202 and (job["partitions_done"], job["partitions"]) == (0, partitions)
    run_queue(queue)
    done = admin("GET", "/admin/scoring/rescore/{job_id}", {"job_id": job["job_id"]})[1]
    assert done["state"] == "done" and done["partitions_done"] == partitions
