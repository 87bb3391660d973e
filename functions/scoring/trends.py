"""Trends function: the table's stream (filtered to what is counted) -> daily counters and
gauges (`ecrm.trends`).

The batch's counts are added per aggregate item in one transaction each, with a marker per
record; then `records.each` reports the records whose item could not be written, and Lambda
redelivers from the first of them. Records counted already find their marker: nothing counts
twice, nothing is lost.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.platform import records
from ecrm.trends import counting, tally

logger = Logger(service="trends")
metrics = Metrics(namespace="ecrm", service="trends")


class NotCounted(Exception):
    """This record's aggregate item could not be written in this batch: redeliver it."""


def _change(record: records.StreamRecord) -> counting.Change:
    new, old, kind = record.new_image, record.old_image, record.event_name
    if not record.event_id:
        raise ValueError("a stream record without an eventID")
    return counting.Change(record.event_id, kind, dict(new or {}), dict(old or {}))


def _count(batch: list[records.StreamRecord]) -> list[counting.Count]:
    counts = []
    for record in batch:
        try:
            counted = counting.count(_change(record))
        except Exception:  # a record we cannot read must not hold the shard back
            logger.exception("unreadable record, not counted", extra={"id": record.event_id})
            metrics.add_metric(name="TrendRecordsUnreadable", unit=MetricUnit.Count, value=1)
            continue
        if counted is not None:
            counts.append(counted)
    return counts


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    outcome = tally.add(_count([records.StreamRecord(raw) for raw in event.get("Records", [])]))
    metrics.add_metric(name="TrendRecordsCounted", unit=MetricUnit.Count, value=outcome.counted)
    if outcome.repeated:
        metrics.add_metric(
            name="TrendRecordsRepeated", unit=MetricUnit.Count, value=outcome.repeated
        )

    def record_handler(record: records.StreamRecord) -> None:
        if record.event_id in outcome.failed:
            raise NotCounted("the record's aggregate item was not written; redeliver")

    return records.each(event, record_handler, records.StreamRecord)
