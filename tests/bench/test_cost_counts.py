"""The cost counts docs/cost.md prices: shapes and invariants, never timings."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bench import cost_counts, cost_estimate
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # runs in `make test`; `-m 'not slow'` leaves it out


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    """One measure for the module's tests (its CPU time is the suite's)."""
    return {figure.name: figure.value for figure in cost_counts.measure(samples=1)}


def test_cost_counts_cover_a_submission_its_confirmation_a_campaign_and_ses_events(figures):
    submission = figures["cost_counts.submission"]
    assert submission["api_requests"] == 2  # the script renders the form, then submits it
    assert submission["invocations"]["CaptureFunction"] == 2
    assert submission["invocations"]["TransactionalMailFunction"] == 1
    assert submission["ses_sends"] == 1
    assert submission["write_request_units"] >= 2  # one transaction: at least one item, doubled
    assert figures["cost_counts.confirmation"]["api_requests"] == 2
    for kind in cost_counts.SES_EVENT_KINDS:
        assert figures[f"cost_counts.ses_event_{kind}"]["invocations"]["SesEventsFunction"] == 1
    mail = figures["cost_counts.per_invocation"]["TransactionalMailFunction"]
    assert mail["sesv2.SendEmail"] == 1
    campaign = figures["cost_counts.campaign_mail"]  # per mail of one campaign
    assert campaign["ses_sends"] == 1
    assert 0 < campaign["invocations"]["CampaignSenderFunction"] < 0.1  # 8 plans, batches of 50
    assert campaign["write_request_units"] >= 2  # at least its ledger claim and its mark
    assert campaign["sqs_messages"] == campaign["invocations"]["CampaignSenderFunction"]
    template = figures["cost_counts.template"]
    assert template["alarm_metrics"] >= template["alarms"] > 0


def _page_total(section: str) -> float:
    """The `| **total** | **X** |` row of docs/cost.md's `## <section>`."""
    page = (ROOT / "docs" / "cost.md").read_text(encoding="utf-8")
    body = page.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"^\| \*\*total\*\* \| \*\*([\d.]+)\*\* \|$", body, re.MULTILINE)
    assert found, f"no total row under '## {section}' in docs/cost.md"
    return float(found.group(1))


def test_the_cost_page_states_the_totals_the_counts_give(figures):
    """docs/cost.md is `python -m bench.cost_estimate`'s output: re-run it after a change."""
    measured = {
        "1,000 submissions": cost_estimate.submissions(figures, 1000),
        "100,000 campaign mails": cost_estimate.campaign_mails(figures, 100_000),
    }
    for section, costs in measured.items():
        # Each measure repeats to the digit; this one sample (a campaign to 402 contacts) and
        # the page's five (406) differ by 0.3% on the campaign, not at all on submissions.
        # 1%, or 0.006 (the page rounds to the cent), allows that and fails a drift like 11.75
        # for 12.01 (2.2%) or 0.18 for 0.20.
        stated = _page_total(section)
        assert stated == pytest.approx(sum(costs.values()), rel=0.01, abs=0.006), section


def test_item_size_follows_dynamodb_rules():
    item = {
        "pk": {"S": "CONTACT#1"},  # 2 + 9
        "n": {"N": "12345"},  # 1 + 3 + 1 (= ceil(5 / 2) + 1)
        "ok": {"BOOL": True},  # 2 + 1
        "m": {"M": {"a": {"S": "xy"}}},  # 1 + 3 + (1 + 1 + 2)
    }
    assert cost_counts.item_size(item) == 11 + 5 + 3 + 8


def test_an_idle_month_costs_nothing_in_dev_and_at_most_3_dollars_in_prod():
    from bench import cost_idle

    figures = {figure.name: figure for figure in cost_idle.measure()}
    for environment in ("dev", "prod"):
        figure = figures[f"cost.idle_month_usd.{environment}"]
        assert figure.meets_goal(), (environment, figure.value)
    assert figures["cost.idle_month_usd.dev"].value == 0.0
    waf = figures["cost.idle_month_usd.prod_waf"].value
    assert waf > figures["cost.idle_month_usd.prod"].value  # WAF apart
    assert figures["cost.idle_month_by_item"].value["prod"]["CloudWatch alarms"] > 0


def test_a_resource_billed_by_the_month_that_is_not_priced_fails_the_measure():
    import pytest

    from bench import cost_idle
    from local.template import Template

    text = (ROOT / "infra" / "template.yaml").read_text()
    extra = "  Extra:\n    Type: AWS::KMS::Key\n    Properties: {}\n\nOutputs:"
    text = text.replace("\nOutputs:", "\n" + extra, 1)
    with pytest.raises(ValueError, match="AWS::KMS::Key"):
        cost_idle.idle_months(Template.from_string(text, ROOT / "infra"))
