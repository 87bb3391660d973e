"""Automations function: the table's stream (filtered to trigger events) -> a due run per
matching rule and contact (`ecrm.automations.triggers`). Nothing is sent here: the schedule
tick sends runs when they are due. The same events enter contacts into live journeys, end
runs whose goal they are and wake runs waiting for them (`ecrm.journeys.entry`); a change of
a contact or a score item that makes the contact join a segment enters them into the live
journeys entered by joining it (`ecrm.journeys.joiners`); any change of a contact's profile
item keeps the contacts' date index (`ecrm.contacts.date_index`). Partial batch
failures are reported, so a throttled write is retried alone; a redelivered record schedules
nothing twice (the run is written once)."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.automations import triggers
from ecrm.contacts import date_index
from ecrm.journeys import entry, joiners
from ecrm.platform import records

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")


def record_handler(record: records.StreamRecord, batch_started: float) -> None:
    new = record.new_image
    if date_index.is_profile(new or record.old_image):  # a contact's dates (date entries)
        date_index.follow(record.old_image, new)
    if not new:
        return
    joined = joiners.on_change(
        new, record.old_image, record_id=record.event_id, fresh_since=batch_started
    )
    if joined:
        metrics.add_metric(name="JourneyRunsEntered", unit=MetricUnit.Count, value=len(joined))
    event = triggers.happened(new, record.old_image)
    if event is None:
        return
    # The rules first, the journeys read after them: across a rule's migration to a journey
    # the event fires one of the two (each side's write checks the other's run: never both).
    rules = triggers.current(fresh_since=batch_started)
    done = entry.handle(
        event, read_after=rules.read_at, record_id=record.event_id, fresh_since=batch_started
    )
    if done.entered or done.converted or done.woken:
        metrics.add_metric(
            name="JourneyRunsEntered", unit=MetricUnit.Count, value=len(done.entered)
        )
        metrics.add_metric(
            name="JourneyRunsConverted", unit=MetricUnit.Count, value=len(done.converted)
        )
        metrics.add_metric(name="JourneyRunsWoken", unit=MetricUnit.Count, value=len(done.woken))
    scheduled = triggers.schedule(event, rules=rules)
    if scheduled:
        metrics.add_metric(
            name="AutomationRunsScheduled", unit=MetricUnit.Count, value=len(scheduled)
        )


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    # Every contact write reaches this function (date index, joiners): the rules and the live
    # journeys are read at most once a batch where nothing is cached (locally), not once a record.
    started = time.monotonic()
    return records.each(event, lambda record: record_handler(record, started), records.StreamRecord)
