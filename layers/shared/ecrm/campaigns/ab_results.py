"""A campaign's A/B test on its way in (checked against the templates and the profile schema,
stored on the campaign item) and on its way out (the definition with its decision and results
per variant, `ab_schema.AbTestOut`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ecrm.campaigns import ab, ab_stats
from ecrm.contacts import profile_view
from ecrm.platform import keys, store

if TYPE_CHECKING:  # the sender and the tick read results without pydantic
    from ecrm.campaigns.ab_schema import AbTestIn


def checked(body: AbTestIn, problems: dict[str, str]) -> dict[str, Any]:
    """The test as stored; each problem (a missing template, a subject that is no valid
    template) is added to `problems` under `ab_test.variants.<n>.<field>`."""
    from ecrm.mail import personalisation  # noqa: PLC0415 - Jinja for this check only

    schema = profile_view.load()
    allowed = [f.name for f in schema.profile + schema.interests]
    subject_fields: dict[str, list[str]] = {}
    for n, variant in enumerate(body.variants):
        where = f"ab_test.variants.{n}"
        if variant.template_id and store.get(keys.mail_template(variant.template_id)) is None:
            problems[f"{where}.template_id"] = "No such template."
        if variant.subject:
            try:
                used = personalisation.check("subject", variant.subject, allowed)
            except personalisation.TemplateProblem as problem:
                problems[f"{where}.subject"] = problem.message
                continue
            subject_fields[variant.id] = sorted(used.contact_fields)
    return {
        **body.model_dump(exclude_none=True),
        "variants": [v.model_dump(exclude_none=True) for v in body.variants],
        "subject_fields": subject_fields,
    }


def templates(campaign: Mapping[str, Any]) -> list[str]:
    """The variants' own templates, each once and not the campaign's own (one hold each)."""
    spec = campaign.get("ab_test") or {}
    own = campaign.get("template_id")
    found = [v.get("template_id") for v in spec.get("variants", [])]
    return sorted({t for t in found if t and t != own})


def variant_counts(campaign: Mapping[str, Any], variant_id: str) -> dict[str, int]:
    return {
        name: int(campaign.get(ab.counter(name, variant_id), 0)) for name in ab.VARIANT_COUNTERS
    }


def all_figures(campaign: Mapping[str, Any]) -> list[ab_stats.Figures]:
    test = ab.AbTest.of(campaign)
    if test is None:
        return []
    return [
        ab_stats.figures(test.metric, v.id, variant_counts(campaign, v.id)) for v in test.variants
    ]


def shown(campaign: Mapping[str, Any]) -> dict[str, Any] | None:
    """What `GET /admin/campaigns/{id}` shows of the test (validated as `AbTestOut`)."""
    spec = campaign.get("ab_test")
    if not spec:
        return None
    found = all_figures(campaign)
    rates = {f.variant: f.rate for f in found}
    versus = ab_stats.versus_leader(str(spec["metric"]), found)
    results = [
        {
            "id": v["id"],
            **variant_counts(campaign, v["id"]),
            "rate": round(rates[v["id"]], 4),
            "versus_leader": versus.get(v["id"], ""),
        }
        for v in spec["variants"]
    ]
    decision = campaign.get("ab_decision")
    return {
        **{k: v for k, v in spec.items() if k != "subject_fields"},
        "decide_at": campaign.get("ab_decide_at"),
        "holdout": int(campaign.get(ab.HOLDOUT_COUNTER, 0)),
        "decision": decision,
        "results": results,
        "summary": ab_stats.summary(str(spec["metric"]), found),
    }
