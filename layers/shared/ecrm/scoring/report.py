"""A contact's score as a marketer reads it (`GET /admin/contacts/{id}/score`): the score now,
its stage, an explanation whose lines add up to the score (fit points per rule; engagement
points per rule as of the last activity, the decay since, and what is left), the score history
(each change with its event and rules) and the timeline of interactions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecrm.platform import clock, keys, store
from ecrm.platform.errors import NotFound
from ecrm.scoring import ledger, rulesets
from ecrm.scoring.engine import Score
from ecrm.scoring.rules import (
    EmailDomain,
    EngagementRule,
    Equals,
    FitRule,
    InSet,
    NumberRange,
    Ruleset,
)

_HIDDEN = {"pk", "sk", "gsi1pk", "gsi1sk", "contact_id", "consent_ref"}


def _iso(at: float | None) -> str | None:
    return clock.iso(at) if at is not None else None


def _fit_words(rule: FitRule) -> str:
    if isinstance(rule, EmailDomain):
        return f"the address is at a {rule.domain.replace('_', ' ')} domain"
    if isinstance(rule, NumberRange):
        low = "" if rule.min is None else f"{rule.min:g} <= "
        high = "" if rule.max is None else f" <= {rule.max:g}"
        return f"{low}{rule.field}{high}"
    if isinstance(rule, InSet):
        return f"{rule.field} is one of {', '.join(str(v) for v in rule.values)}"
    return f"{rule.field} {'is' if isinstance(rule, Equals) else 'contains'} {rule.value}"


def _engagement_words(rule: EngagementRule) -> str:
    what = f'each "{rule.event}" event' if rule.event else f"each {rule.on.replace('_', ' ')}"
    words = f"{what}: {rule.points:g} points"
    if rule.per_form:
        words += " (" + ", ".join(f"form {f}: {w:g}" for f, w in rule.per_form.items()) + ")"
    if rule.cap:
        words += f", at most {rule.cap.count} a {rule.cap.per}"
    return words


def wording(ruleset: Ruleset) -> dict[str, str]:
    """Each rule of `ruleset` in words, by id: why an explanation's line gave its points."""
    fit = {rule.id: _fit_words(rule) for rule in ruleset.fit}
    return fit | {rule.id: _engagement_words(rule) for rule in ruleset.engagement}


def explanation(
    score: Score, now: float, because: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Lines rounded to cents first, the score summed from them: it always adds up. With
    `because` (`wording` of the score's ruleset), each line says what its rule rewards."""
    because = because or {}
    lines: list[dict[str, Any]] = [
        {"rule": rule, "kind": "fit", "points": round(points, 2)}
        for rule, points in sorted(score.fit.items())
    ]
    at = max(now, score.as_of or now)
    decayed = score.engagement_at(at)
    for rule, before in sorted(score.engagement.items()):
        before_2, after_2 = round(before, 2), round(decayed[rule], 2)
        lines.append(
            {
                "rule": rule,
                "kind": "engagement",
                "points_at_last_activity": before_2,
                "decay": round(after_2 - before_2, 2),
                "points": after_2,
            }
        )
    for line in lines:
        if line["rule"] in because:
            line["because"] = because[line["rule"]]
    total = round(sum(line["points"] for line in lines), 2)
    decay = round(sum(line.get("decay", 0.0) for line in lines), 2)
    half_life = score.half_life / 86400 if score.half_life else None
    return {
        "score": total,
        "lines": lines,
        "decay": {
            "half_life_days": half_life,
            "last_activity_at": _iso(score.as_of),
            "points": decay,
        },
    }


def _wording_of(version: int) -> dict[str, str]:
    """The rules in words of the ruleset a score was computed with (the current one, cached,
    unless the score is older)."""
    current = rulesets.current()
    if current.version == version:
        return wording(current)
    try:
        return wording(rulesets.version(version))
    except NotFound:
        return {}


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _HIDDEN}


def contact_score(contact_id: str, *, now: float | None = None, limit: int = 50) -> dict[str, Any]:
    now = clock.now() if now is None else now
    item = store.get(keys.score(contact_id), consistent=False)
    if item is not None:
        score = ledger.score_from_item(item)
    elif store.get(keys.contact(contact_id), consistent=False) is not None:
        score = rulesets.engine().new_score()  # nothing scored yet
    else:
        raise NotFound("There is no such contact.")
    explained = explanation(score, now, _wording_of(score.ruleset_version))
    pk = f"CONTACT#{contact_id}"
    timeline, _ = store.query(pk, sk_prefix="EVENT#", limit=limit, newest_first=True)
    history, _ = store.query(pk, sk_prefix="SCORE#", limit=limit, newest_first=True)
    return {
        "contact_id": contact_id,
        "score": explained["score"],
        "stage": score.stage,
        "stage_since": _iso(score.stage_since),
        "ruleset_version": score.ruleset_version,
        "computed_at": clock.iso(now),
        "explanation": {"lines": explained["lines"], "decay": explained["decay"]},
        "history": [_public(i) for i in history],
        "timeline": [_public(i) for i in timeline],
    }
