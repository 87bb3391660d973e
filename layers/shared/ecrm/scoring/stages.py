"""Stage transitions to EventBridge (the default bus), read from the `stage_changed`
interactions the ledger writes: the table is the outbox, so a transition stored is a
transition emitted (at least once; `detail.event_id` is stable for consumers to dedupe)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.platform import bus

SOURCE = "ecrm.scoring"
DETAIL_TYPE = "Contact stage changed"
_FIELDS = (
    "contact_id",
    "event_id",
    "at",
    "from_stage",
    "to_stage",
    "score",
    "cause",
    "ruleset_version",
)


def entry(interaction: Mapping[str, Any]) -> dict[str, Any]:
    return bus.entry(SOURCE, DETAIL_TYPE, interaction, _FIELDS)


def publish(interaction: Mapping[str, Any]) -> None:
    bus.put(entry(interaction))
