"""Every automation rule with what it did, as the admin list answers it (`GET
/admin/automations`): read back without pydantic (the rules as `triggers` reads them), so the
automations API's start imports none to list them (issue 15 point 7). One Query of the partition
holding the rules and their counters.
tests/unit/test_definitions_read_back.py checks the answer is the one `rules.CountedAutomation`
gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ecrm.automations import counts
from ecrm.automations.counts import Counts
from ecrm.automations.triggers import Rule, Sender, When
from ecrm.platform import keys, store


@dataclass(frozen=True, slots=True)
class CountedRule:
    """`rules.CountedAutomation`'s fields, in its order (its JSON, `ecrm.web.plain`)."""

    documented_by: ClassVar[str] = "ecrm.automations.rules:CountedAutomation"
    name: str
    when: When
    template_id: str
    topic: str
    sender: Sender
    delay_minutes: int
    enabled: bool
    version: int
    id: str
    created_at: str
    updated_at: str
    migrated_to: str | None
    migrated_at: str | None
    counts: Counts

    @classmethod
    def of(cls, rule: Rule, counted: Counts) -> CountedRule:
        return cls(
            name=rule.name,
            when=rule.when,
            template_id=rule.template_id,
            topic=rule.topic,
            sender=rule.sender,
            delay_minutes=rule.delay_minutes,
            enabled=rule.enabled,
            version=rule.version,
            id=rule.id,
            created_at=rule.created_at,
            updated_at=rule.updated_at,
            migrated_to=rule.migrated_to,
            migrated_at=rule.migrated_at,
            counts=counted,
        )


def counted_rules() -> list[CountedRule]:
    """Every rule (enabled or not) with its counts."""
    items = list(store.query_all(keys.AUTOMATIONS))
    found = counts.summed(i for i in items if str(i["sk"]).startswith(keys.AUTOMATION_COUNTS))
    return [
        CountedRule.of(Rule.from_item(i), found.get(str(i["id"]), Counts()))
        for i in items
        if str(i["sk"]).startswith("AUTOMATION#")
    ]
