"""The statistics of an A/B test: each variant's rate for the test's metric, the leader, and a
two-proportion z-test of the leader against the runner-up, said in plain words.

- opens: unique openers / mails sent; clicks: unique clickers / mails sent; click-to-open:
  unique clickers / unique openers. Bot opens and clicks (`ecrm.mail.scanners`) are never
  counted, as in the campaign's own stats.
- The test (pooled): p = (s1 + s2) / (n1 + n2), z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)),
  and the confidence that the leader's true rate is higher is Φ(z) (one-sided). With fewer
  than `MIN_TRIALS` trials in either variant or fewer than `MIN_SUCCESSES` successes in both
  together, the normal approximation means nothing: "not enough data yet".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MIN_TRIALS = 30
MIN_SUCCESSES = 5
NAMES = {"opens": "open rate", "clicks": "click rate", "click_to_open": "click-to-open rate"}


@dataclass(frozen=True)
class Figures:
    variant: str
    successes: int
    trials: int

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0


def figures(metric: str, variant: str, counts: Mapping[str, int]) -> Figures:
    """A variant's successes and trials for `metric`, from its counters (`sent`, `opened`...)."""
    if metric == "opens":
        return Figures(variant, counts.get("opened", 0), counts.get("sent", 0))
    if metric == "clicks":
        return Figures(variant, counts.get("clicked", 0), counts.get("sent", 0))
    return Figures(variant, counts.get("clicked", 0), counts.get("opened", 0))


def ranked(all_figures: list[Figures]) -> list[Figures]:
    """Best rate first; a tie goes to the variant defined first (stable sort)."""
    return sorted(all_figures, key=lambda f: -f.rate)


def confidence(leader: Figures, other: Figures) -> float | None:
    """How sure (0.5-1) that `leader`'s true rate beats `other`'s; None: not enough data."""
    if min(leader.trials, other.trials) < MIN_TRIALS:
        return None
    successes = leader.successes + other.successes
    trials = leader.trials + other.trials
    if successes < MIN_SUCCESSES or successes == trials:
        return None
    pooled = successes / trials
    error = math.sqrt(pooled * (1 - pooled) * (1 / leader.trials + 1 / other.trials))
    z = (leader.rate - other.rate) / error
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def summary(metric: str, all_figures: list[Figures]) -> str:
    """e.g. "B's click rate is higher than A's with 97% confidence"."""
    order = ranked(all_figures)
    if len(order) < 2:
        return "not enough data yet"
    return _against(metric, order[0], order[1])


def versus_leader(metric: str, all_figures: list[Figures]) -> dict[str, str]:
    """Each variant against the leader, in the words of `summary` (the leader: whether its
    rate is the highest alone or tied), for the console's table of variants."""
    order = ranked(all_figures)
    if len(order) < 2:
        return {}
    leader, name = order[0], NAMES[metric]
    tied = leader.rate == order[1].rate
    said = {leader.variant: f"tied for the highest {name}" if tied else f"the highest {name}"}
    return said | {other.variant: _against(metric, leader, other) for other in order[1:]}


def _against(metric: str, leader: Figures, other: Figures) -> str:
    sure = confidence(leader, other)
    if sure is None:
        return "not enough data yet"
    name = NAMES[metric]
    percent = min(99, math.floor(sure * 100))
    if leader.rate == other.rate or percent < 60:
        return f"no clear difference in {name} between {leader.variant} and {other.variant} yet"
    return f"{leader.variant}'s {name} is higher than {other.variant}'s with {percent}% confidence"
