"""`experiments.split_error` (issue 19): how evenly the A/B assignment (`ecrm.campaigns.ab`,
the function the sender uses) splits a 10,000-recipient audience. For 2 to 5 variants, with
the whole audience in the test and with a 20 % test share and a 5 % holdout, and five campaign
seeds each: the largest gap between a group's share of the audience (each variant, the
holdout, the rest) and its target. Pure computation: no table, no moto."""

from __future__ import annotations

from collections import Counter

from bench.figures import Figure
from ecrm.campaigns import ab
from ecrm.platform import keys

RECIPIENTS = 10_000
SHARES = ((100.0, 0.0), (20.0, 5.0))  # (test, holdout) percent
SEEDS = tuple(f"bench-seed-{n}" for n in range(5))


def split_error(recipients: int = RECIPIENTS) -> Figure:
    contacts = [keys.contact_id_for(f"person{n}@example.org") for n in range(recipients)]
    worst = 0.0
    for variants in range(2, 6):
        ids = tuple(chr(ord("A") + n) for n in range(variants))
        for test, holdout in SHARES:
            targets = {v: test / 100 / variants for v in ids}
            targets |= {ab.HOLDOUT: holdout / 100, ab.REST: 1 - (test + holdout) / 100}
            for seed in SEEDS:
                counts = Counter(
                    variant or group
                    for group, variant in (
                        ab.group_of(seed, c, ids, test, holdout) for c in contacts
                    )
                )
                gaps = (abs(counts[g] / recipients - target) for g, target in targets.items())
                worst = max(worst, *gaps)
    value = {"split_error": round(worst, 4), "recipients": recipients, "seeds": len(SEEDS)}
    return Figure("experiments.split_error", value, 0.02, ("split_error",))
