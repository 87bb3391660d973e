"""Later joiners of a segment entry (`joiners`), measured after `journey_entries`' enrollment on
the same stack: what a contact's change costs on the stream, and what the daily pass reads.

- `JOINS` contacts not in the segment change so that they are (their company becomes Acme), and
  as many members change a field no condition reads (a city); each change's stream record (old
  and new image) goes to AutomationsFunction's handler, twice (a redelivery). Counted per
  record: DynamoDB reads (GetItem and Query calls, BatchGetItem keys) and runs entered.
- The daily pass a day later (`joiners_pass.run_due`, its pages through SchedulerFunction's
  handler): items read per topic member (contacts and runs, by BatchGetItem) and runs entered
  (0: the joiners entered from the stream already).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from bench import table_counts
from bench.moto_env import Stack, as_function
from ecrm.journeys import joiners_pass, stats
from ecrm.platform import clock, keys, store
from local.lambda_runtime import LambdaContext
from local.sample_events import stream_event

JOINS = 200
DAY = 86400.0


def _records(changes: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = stream_event(*(new for new, _ in changes), event_name="MODIFY")[
        "Records"
    ]
    for n, (record, (_, old)) in enumerate(zip(records, changes, strict=True)):
        record["eventID"] = f"joiner-{n}"
        record["dynamodb"]["OldImage"] = store.serialize(old)
    return records


def _changed(ids: list[str], edit: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    found = store.batch_get([keys.contact(i) for i in ids], consistent=False)
    changes = []
    for old in found.values():
        new = dict(old)
        edit(new)
        changes.append((new, old))
    store.batch_put([new for new, _ in changes])
    return _records(changes)


def measure(
    stack: Stack, journey_id: str, outsiders: list[str], members: list[str], drain: Any
) -> dict[str, Any]:
    joins = _changed(outsiders[:JOINS], lambda c: c.update(f_company="Acme"))
    others = _changed(members[:JOINS], lambda c: c.update(f_city="Lyon"))
    before = _entered(journey_id)
    with as_function(stack, "AutomationsFunction") as function:
        from mailing.automations import lambda_handler  # noqa: PLC0415 - its environment

        c = stack.context(function)

        def deliver(records: list[dict[str, Any]]) -> Counter[str]:
            with table_counts.counting() as counted:
                for start in range(0, len(records), 50):  # the mapping's batches
                    batch = {"Records": records[start : start + 50]}
                    context = LambdaContext(
                        c.function_name, c.invoked_function_arn, c.memory_limit_in_mb, 60
                    )
                    assert lambda_handler(batch, context) == {"batchItemFailures": []}
            return counted

        deliver(others[:1])  # the live journeys and the segment read once, as a warm container
        unrelated, joined = deliver(others[1:]), deliver(joins)
        entered = _entered(journey_id) - before
        deliver(joins)  # every record again: a redelivery
    again = _entered(journey_id) - before - entered
    with table_counts.counting() as passed:
        assert joiners_pass.run_due(keys.journey_daily(journey_id), now=clock.now() + DAY + 60)
        drain(stack)
    topic_members = len(outsiders) + len(members)
    return {
        "joiner_reads_per_unrelated_change": round(unrelated["reads"] / (len(others) - 1), 3),
        "joiner_reads_per_join": round(joined["reads"] / len(joins), 3),
        "joiner_entered": entered,
        "joiner_entered_on_redelivery": again,
        "pass_items_read_per_topic_member": round(passed["reads"] / topic_members, 3),
        "pass_entered": _entered(journey_id) - before - entered - again,
    }


def _entered(journey_id: str) -> int:
    return int(stats.of(journey_id).get(1, {}).get("first", {}).get("entered", 0))
