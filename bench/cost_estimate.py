"""`python -m bench.cost_estimate`: docs/cost.md's tables, from the counts `bench.cost_counts`
measures and the AWS list prices below (US East, N. Virginia, us-east-1; read 2026-11-28 from
the pages named beside each). Free tiers are left out: the figures are what usage costs once
they are spent. Assumptions that no bench measures are named in ASSUMPTIONS.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from bench import cost_counts, cost_idle
from bench.__main__ import _report_stream
from bench.cost_prices import PRICES

ASSUMPTIONS = {
    # Not measurable without AWS: billed duration of a warm invocation (a few DynamoDB round
    # trips of ~10 ms, an SES call of ~50 ms), at the template's 512 MB.
    "lambda_seconds_per_invocation": 0.1,
    "lambda_memory_gb": 0.5,
    # Log volume per invocation: Powertools' JSON lines, platform START/END/REPORT, EMF.
    "log_bytes_per_invocation": 1500,
    # Per campaign mail, besides SES's Send and Delivery events: opens and clicks.
    "open_rate": 0.25,
    "click_rate": 0.03,
    # Every submitter clicks the confirmation link (an upper bound).
    "confirmation_rate": 1.0,
    # The campaign sender waits for its send slots inside its invocations, and Lambda bills
    # that wait: 1 / rate seconds per mail, at SES's starting production quota (14 mails/s).
    "ses_max_send_rate": 14.0,
    # SQS requests per campaign queue message: its share of a SendMessageBatch, the event
    # source's ReceiveMessage and DeleteMessage (an upper bound: both are batched too).
    "sqs_requests_per_message": 3,
}


def flow_cost(flow: Mapping[str, Any]) -> dict[str, float]:
    """Dollars of one flow (a request and everything it sets off), by service."""
    invocations = sum(flow["invocations"].values())
    calls = flow["aws_calls"]
    seconds = ASSUMPTIONS["lambda_seconds_per_invocation"] * ASSUMPTIONS["lambda_memory_gb"]
    return {
        "API Gateway": flow["api_requests"] * PRICES["api_request"],
        "Lambda": invocations * (PRICES["lambda_request"] + seconds * PRICES["lambda_gb_second"]),
        "DynamoDB": flow["write_request_units"] * PRICES["write_request_unit"]
        + flow["read_request_units"] * PRICES["read_request_unit"],
        "SES": flow["ses_sends"] * PRICES["ses_mail"],
        "EventBridge": calls.get("events.PutEvents", 0) * PRICES["eventbridge_event"],
        "CloudWatch Logs": invocations
        * ASSUMPTIONS["log_bytes_per_invocation"]
        / 1e9
        * PRICES["log_ingest_gb"],
    }


def _add(total: dict[str, float], part: Mapping[str, float], times: float) -> None:
    for service, dollars in part.items():
        total[service] = total.get(service, 0.0) + dollars * times


def submissions(figures: Mapping[str, Any], count: int) -> dict[str, float]:
    total: dict[str, float] = {}
    _add(total, flow_cost(figures["cost_counts.submission"]), count)
    _add(
        total,
        flow_cost(figures["cost_counts.confirmation"]),
        count * ASSUMPTIONS["confirmation_rate"],
    )
    return total


def campaign_mails(figures: Mapping[str, Any], count: int) -> dict[str, float]:
    """Per mail: the campaign sender's measured share (plans, batches, ledger, the stream
    records they cause), its paced wait, its queue messages; then SES's events through SNS."""
    send = figures["cost_counts.campaign_mail"]
    total: dict[str, float] = {}
    _add(total, flow_cost(send), count)
    waiting = ASSUMPTIONS["lambda_memory_gb"] / ASSUMPTIONS["ses_max_send_rate"]
    _add(total, {"Lambda": waiting * PRICES["lambda_gb_second"]}, count)
    queue = send["sqs_messages"] * ASSUMPTIONS["sqs_requests_per_message"]
    _add(total, {"SQS": queue * PRICES["sqs_request"]}, count)
    rates = {
        "send": 1.0,
        "delivery": 1.0,
        "open": ASSUMPTIONS["open_rate"],
        "click": ASSUMPTIONS["click_rate"],
    }
    for kind, rate in rates.items():
        _add(total, flow_cost(figures[f"cost_counts.ses_event_{kind}"]), count * rate)
        _add(total, {"SNS": PRICES["sns_publish"]}, count * rate)
    return total


def _table(title: str, costs: Mapping[str, float]) -> str:
    rows = [f"| {service} | {dollars:.4f} |" for service, dollars in costs.items() if dollars]
    return "\n".join(
        [
            f"**{title}**",
            "",
            "| service | USD |",
            "|---|---:|",
            *rows,
            f"| **total** | **{sum(costs.values()):.2f}** |",
            "",
        ]
    )


def main() -> int:
    with _report_stream(product_logs=False) as out:  # product logs off the tables' stdout
        figures = {f.name: f.value for f in cost_counts.measure()}
        tables = [
            _table("1,000 submissions (double opt-in, each confirmed)", submissions(figures, 1000)),
            _table("100,000 campaign mails", campaign_mails(figures, 100_000)),
            *(
                _table(f"a month idle, {environment}", costs)
                for environment, costs in cost_idle.idle_months().items()
            ),
        ]
        out.write("\n".join(tables))
        out.write("\n<!-- counts: " + json.dumps(figures, sort_keys=True) + " -->\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
