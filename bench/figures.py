"""A figure: a named measurement, optionally with a goal (an upper bound), and the report
that gathers every figure with the machine it was measured on."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Json = Any


@dataclass(frozen=True)
class Figure:
    name: str  # dotted, area first: "capture.aws_calls_per_submission"
    value: Json  # a number, an object of numbers, or None when it could not be measured
    goal: float | None = None  # the figure (or each of `judged`) must be at most this
    judged: tuple[str, ...] = ()  # for an object: the keys the goal applies to
    at_least: bool = False  # the goal is a lower bound instead (a throughput, say)

    def meets_goal(self) -> bool:
        if self.goal is None:
            return True
        if self.value is None:
            return False
        values = [self.value[key] for key in self.judged] if self.judged else [self.value]
        goal = self.goal
        return all(
            isinstance(v, int | float) and (v >= goal if self.at_least else v <= goal)
            for v in values
        )

    def goal_json(self) -> Json:
        bound = "min" if self.at_least else "max"
        return {bound: self.goal, "of": list(self.judged)} if self.judged else {bound: self.goal}


# An area measures one part of the product; adding one is adding it to `bench.__main__.AREAS`.
Area = Callable[[], list[Figure]]


def machine() -> dict[str, Json]:
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
    }


def report(figures: Iterable[Figure], errors: Mapping[str, str]) -> dict[str, Json]:
    """One JSON object: machine, each figure under its own name, goals and whether each is met."""
    figures = list(figures)
    judged = [figure for figure in figures if figure.goal is not None]
    document: dict[str, Json] = {"machine": machine()}
    document |= {figure.name: figure.value for figure in figures}
    document["goals"] = {figure.name: figure.goal_json() for figure in judged}
    document["meets_goals"] = {figure.name: figure.meets_goal() for figure in judged}
    if errors:
        document["errors"] = dict(errors)
    return document
