"""Scoring function: the table's stream (filtered to new interactions) -> scores.

`ecrm.scoring.batch` groups the batch by contact and applies it (one conditional write per
contact); `records.each` then reports the records of contacts whose write failed (and of
contacts with an unreadable record), and Lambda redelivers from the first of them.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.platform import records
from ecrm.scoring import batch, ledger

logger = Logger(service="scoring")
metrics = Metrics(namespace="ecrm", service="scoring")


class ContactNotScored(Exception):
    """The write of this record's contact failed in this batch: redeliver the record."""


def _image(record: records.StreamRecord) -> dict[str, Any] | None:
    return batch.scored(record.new_image)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> records.BatchResponse:
    batch_records = [records.StreamRecord(raw) for raw in event.get("Records", [])]
    result = batch.apply(batch.group(_image(record) for record in batch_records))
    for applied in result.applied:
        metrics.add_metric(name="EventsScored", unit=MetricUnit.Count, value=applied.events)
        if applied.transitions:
            metrics.add_metric(
                name="StageTransitions", unit=MetricUnit.Count, value=applied.transitions
            )

    def record_handler(record: records.StreamRecord) -> None:
        image = _image(record)
        if image is not None and ledger.contact_of(image) in result.failed:
            raise ContactNotScored("the contact's score was not written; redeliver")

    return records.each(event, record_handler, records.StreamRecord)
