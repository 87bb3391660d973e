"""Helpers of the segment-joiners tests: segments saved through the API, contacts changed in
the table with the change's stream record handed to AutomationsFunction through the template's
filter (as Lambda would: a record the filter drops never reaches it), journeys entered by a
segment with `joiners`."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ecrm.platform import keys, store
from local.event_filter import matches_any
from tests import events
from tests.conftest import product_template, table_items
from tests.integration.campaigns.conftest import admin as mailing_admin
from tests.integration.journeys.conftest import send, welcome_series

_ids = itertools.count()


def segment(segment_id: str, *conditions: dict[str, Any], topic: str = "newsletter") -> None:
    body = {"id": segment_id, "name": segment_id, "topic": topic, "conditions": list(conditions)}
    status, created = mailing_admin("POST", "/admin/segments", body=body)
    assert status == 201, created


def acme(company: str = "Acme") -> dict[str, Any]:
    return {"kind": "field", "field": "company", "op": "eq", "value": company}


def joiners_journey(segment_id: str, *, joiners: bool = True, **changes: Any) -> dict[str, Any]:
    body = {
        "name": f"{segment_id} joiners",
        "entry": {"segment": segment_id, "joiners": joiners},
        "goal": None,
        "start": "first",
        "steps": [send("first", "welcome-1", None)],
    }
    return welcome_series(**(body | changes))


def record(
    new: dict[str, Any], old: dict[str, Any] | None, record_id: str | None = None
) -> dict[str, Any] | None:
    """The write's stream record if the AutomationsFunction filter lets it through."""
    functions = product_template().functions()
    [function] = [f for f in functions if f.logical_id == "AutomationsFunction"]
    [source] = function.stream_sources
    [raw] = events.stream(new, event_name="MODIFY" if old else "INSERT")["Records"]
    raw["eventID"] = record_id or f"rec-{next(_ids)}"
    if old is not None:
        raw["dynamodb"]["OldImage"] = store.serialize(old)
    return raw if matches_any(source.filter_patterns, raw) else None


def deliver(raw: dict[str, Any] | None, *, times: int = 1) -> bool:
    """Hand a record to AutomationsFunction `times` times (a redelivery); False: filtered out."""
    from mailing.automations import lambda_handler

    if raw is None:
        return False
    for _ in range(times):
        answer = lambda_handler({"Records": [raw]}, events.LambdaContext())
        assert answer["batchItemFailures"] == [], answer
    return True


def change(key: dict[str, str], edit: Callable[[dict[str, Any]], None], *, times: int = 1) -> bool:
    """Change an item as the product would (read, edit, put), and deliver its record; returns
    whether the filter let it through."""
    old = store.get(key)
    new = dict(old or {})
    edit(new)
    store.batch_put([new])
    return deliver(record(new, old), times=times)


def contact_change(contact_id: str, *, times: int = 1, **attributes: Any) -> bool:
    """Set attributes of the contact item (`f_<field>` for a profile field)."""
    return change(keys.contact(contact_id), lambda item: item.update(attributes), times=times)


def runs_of(journey_id: str) -> dict[str, dict[str, Any]]:
    """Each contact's run of the journey, by contact."""
    return {
        str(i["contact_id"]): i
        for i in table_items()
        if i.get("type") == "journey_run" and i["journey_id"] == journey_id
    }


def score_image(
    contact_id: str, fit: float, version: int, *, stage: str = "lead", at: float | None = None
) -> dict[str, Any]:
    """The score item scoring writes (`ledger.score_item`): `fit` points, which never decay."""
    from ecrm.platform import clock
    from ecrm.scoring.engine import Score
    from ecrm.scoring.ledger import score_item

    now = clock.now() if at is None else at
    score = Score(1, stage, half_life=86400.0, as_of=now, fit={"f": fit}, version=version - 1)
    return store.deserialize(store.serialize(score_item(contact_id, score, now)))
