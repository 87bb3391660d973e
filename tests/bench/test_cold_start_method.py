"""The cold-start bench's arithmetic (bench/cold_start.py), on scripted timings: each function
is judged against the baseline runs around its group, and by the median over rounds."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench import cold_start
from bench.starts import Timing


class Scripted:
    """A `Start` whose children take the times given, in order, and answer "ok"."""

    stack: Any = None

    def __init__(self, baselines: list[float], functions: list[float]) -> None:
        self.baselines, self.functions = baselines, functions
        self.ran: list[str] = []

    def baseline(self) -> Timing:
        self.ran.append("baseline")
        wall = self.baselines.pop(0)
        return Timing(wall, wall / 2)

    def run(self, function: Any, events: list[Any], scratch: Path) -> tuple[Timing, Any]:
        self.ran.append(function.logical_id)
        wall = self.functions.pop(0)
        return Timing(wall, wall / 2), ["ok" for _ in events]


def _functions(*names: str) -> list[Any]:
    return [SimpleNamespace(logical_id=name) for name in names]


def _scenarios(names: list[str]) -> dict[str, Any]:
    def scenario(stack: Any, function: Any) -> tuple[list[Any], Any]:
        def check(answers: list[Any]) -> None:
            assert answers == ["ok"]

        return [{}], check

    return dict.fromkeys(names, scenario)


def test_a_round_runs_a_baseline_around_each_group_and_judges_each_function_by_its_own(
    monkeypatch,
):
    monkeypatch.setattr(cold_start, "GROUP", 3)
    names = ["A", "B", "C", "D"]
    start = Scripted(baselines=[1.0, 3.0, 2.0], functions=[2.0, 4.0, 6.0, 3.0])
    samples = cold_start.Samples()

    cold_start._round(start, _functions(*names), _scenarios(names), Path("."), samples)  # type: ignore[arg-type]

    assert start.ran == ["baseline", "A", "B", "C", "baseline", "D", "baseline"]
    # A, B, C between baselines of 1.0 and 3.0 (mean 2.0); D between 3.0 and 2.0 (mean 2.5)
    assert samples.ratios("wall") == {"A": 1.0, "B": 2.0, "C": 3.0, "D": 1.2}
    assert samples.ratios("cpu") == samples.ratios("wall")
    assert samples.median_ms("wall")["baseline"] == 2000.0


def test_the_judged_ratio_is_the_median_of_the_rounds_ratios():
    samples = cold_start.Samples()
    for function, baseline in [(1.4, 1.0), (9.0, 1.0), (2.6, 2.0), (0.6, 0.5), (1.0, 0.5)]:
        samples.add("A", Timing(function, function), Timing(baseline, baseline))

    assert samples.ratios("wall") == {"A": 1.4}  # of 1.4, 9.0, 1.3, 1.2, 2.0: the bad round goes


def test_a_warm_up_round_counts_nothing():
    start = Scripted(baselines=[1.0, 1.0], functions=[2.0])
    samples = cold_start.Samples()

    cold_start._round(start, _functions("A"), _scenarios(["A"]), Path("."), None)  # type: ignore[arg-type]

    assert start.ran == ["baseline", "A", "baseline"]
    assert samples.ratios("wall") == {} and samples.median_ms("wall") == {}
