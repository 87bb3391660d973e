"""The reports API on moto: marketers only, read from the trend counters (what the trends
function counted from the stream), bounded reads, clear 422s."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ecrm.platform import aws, clock, keys
from local.moto_backend import fast_transactions
from tests import events
from tests.conftest import table_items
from tests.integration.test_trends_stream import NOW, deliver, workload

MARKETER = {"sub": "m1", "email": "mia@example.com", "cognito:groups": "marketers"}


@pytest.fixture(autouse=True)
def counted(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    with fast_transactions():
        stream, expected = workload(seed=7)
        deliver(stream)
        yield expected


def report(
    path: str, query: dict[str, str] | None = None, claims: dict[str, str] | None = MARKETER
) -> tuple[int, Any]:
    from scoring.reports import lambda_handler

    event = events.api("GET", path)
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = lambda_handler(event, events.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_signups_by_source_add_up_to_what_was_counted(counted: Counter[str]) -> None:
    status, body = report("/admin/reports/signups", {"days": "7", "by": "source"})
    assert status == 200
    assert len(body["days"]) == 7 and body["days"][-1] == clock.iso(NOW)[:10]
    assert body["total"] == counted["signups"]
    by_key = {s["key"]: s for s in body["series"]}
    assert by_key["google"]["total"] == counted["source:google"]
    assert sum(by_key["google"]["counts"]) == counted["source:google"]


def test_signups_by_form(counted: Counter[str]) -> None:
    status, body = report("/admin/reports/signups", {"by": "form"})
    assert status == 200 and len(body["days"]) == 90
    assert {s["key"]: s["total"] for s in body["series"]} == {
        f: counted[f"form:{f}"] for f in ("newsletter", "demo-request") if counted[f"form:{f}"]
    }


def test_funnel_and_scores_come_from_the_counters_and_gauges(counted: Counter[str]) -> None:
    _, funnel = report("/admin/reports/funnel", {"days": "30"})
    steps = {s["step"]: s["count"] for s in funnel["steps"]}
    assert steps["signed_up"] == counted["signups"]
    assert steps["confirmed"] == counted["confirmed"]
    assert steps["stage:lead"] == counted["entered:lead"]
    assert [s["stage"] for s in funnel["stages_now"]][:4] == ["subscriber", "lead", "mql", "sql"]
    now = {s["stage"]: s["contacts"] for s in funnel["stages_now"]}
    assert now["lead"] == counted["now:lead"]
    # the same counters a day at a time, oldest first, adding up to the window's
    per_day = funnel["per_day"]
    assert {name: len(counts) for name, counts in per_day.items()} == {
        "signed_up": 30,
        "confirmed": 30,
        "unsubscribed": 30,
    }
    assert sum(per_day["signed_up"]) == counted["signups"]
    assert sum(per_day["confirmed"]) == counted["confirmed"]
    assert sum(per_day["unsubscribed"]) == counted["unsubscribed"] == funnel["unsubscribed"]

    _, scores = report("/admin/reports/scores")
    assert scores["total"] == counted["now:lead"] + counted["now:subscriber"]
    assert [b["from"] for b in scores["buckets"]] == list(range(-10, 110, 10))


def test_campaigns_report_outcomes_per_day_and_per_campaign(counted: Counter[str]) -> None:
    status, body = report("/admin/reports/campaigns", {"days": "10"})
    assert status == 200
    assert body["totals"]["sent"] == sum(body["outcomes"]["sent"]) == counted["campaign:sent"]
    [campaign] = body["campaigns"]
    assert campaign["campaign_id"] == "cmp1"
    assert campaign["opened"] == counted["campaign:opened"]


def test_the_summary_reads_a_bounded_number_of_items() -> None:
    read: Counter[str] = Counter()

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if "Items" in parsed:
            read["items"] += len(parsed["Items"])
        elif "Item" in parsed:
            read["items"] += 1
        for found in (parsed.get("Responses") or {}).values():
            read["items"] += len(found)
        read[model.name] += 1

    aws.dynamodb().meta.events.register("after-call.dynamodb", count)
    try:
        status, body = report("/admin/reports", {"days": "90"})
    finally:
        aws.dynamodb().meta.events.unregister("after-call.dynamodb", count)
    assert status == 200
    assert set(body) >= {"signups_by_source", "signups_by_form", "funnel", "scores", "campaigns"}
    assert read["Query"] == 1 and read["Scan"] == 0
    assert read["items"] <= 100


@pytest.mark.parametrize(
    "query", [{"days": "0"}, {"days": "400"}, {"days": "many"}, {"by": "city"}]
)
def test_bad_parameters_are_400_and_name_the_parameter(query: dict[str, str]) -> None:
    status, body = report("/admin/reports/signups", query)
    assert status == 400
    assert body["error"]["code"] == "malformed_request"
    [name] = query
    assert name in body["error"]["fields"]


def test_a_page_on_another_origin_may_read_the_answer() -> None:
    from scoring.reports import lambda_handler

    event = events.api("GET", "/admin/reports/scores", headers={"Origin": "https://cdn.example"})
    event["requestContext"]["authorizer"] = {"claims": MARKETER}
    response = lambda_handler(event, events.LambdaContext())
    assert response["statusCode"] == 200
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_only_marketers_read_reports() -> None:
    before = table_items()
    assert report("/admin/reports", claims=None)[0] == 401
    assert report("/admin/reports/scores", claims={"sub": "x", "cognito:groups": "staff"})[0] == 403
    assert report("/admin/reports/signups", {"days": "0"}, claims=None)[0] == 401
    assert table_items() == before
    assert keys.TRENDS in {i["pk"] for i in before}


def test_a_window_follows_query_pages_until_it_has_its_days(
    counted: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecrm.platform import store
    from ecrm.trends import report as trends_report

    whole = trends_report.window(4)
    real = store.query

    def one_item_pages(*args: Any, **kwargs: Any) -> Any:  # as a page cut at 1 MB would be
        return real(*args, **{**kwargs, "limit": 1})

    monkeypatch.setattr(store, "query", one_item_pages)
    paged = trends_report.window(4)
    assert paged == whole and len(paged.items) == 4
