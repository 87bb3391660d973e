"""A/B assignment and statistics: each recipient's group is a pure, keyed function of the
campaign's seed and the contact id (stable under retries and replans), variants split the test
share evenly, the holdout and the rest get their shares; the two-proportion z-test and its
plain words."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import ab_split
from ecrm.campaigns import ab, ab_stats

IDS = ("A", "B", "C")
CONTACTS = [f"c{n:05d}" for n in range(6000)]


def test_the_same_recipient_always_gets_the_same_group_and_another_seed_shuffles_them() -> None:
    first = [ab.group_of("seed-1", c, IDS, 30, 10) for c in CONTACTS]
    again = [ab.group_of("seed-1", c, IDS, 30, 10) for c in CONTACTS]  # a retry, a replan
    other = [ab.group_of("seed-2", c, IDS, 30, 10) for c in CONTACTS]
    assert first == again
    assert sum(a != b for a, b in zip(first, other, strict=True)) > len(CONTACTS) / 3


def test_variants_split_the_test_share_evenly_and_the_holdout_and_rest_get_theirs() -> None:
    counts = Counter(v or g for g, v in (ab.group_of("s", c, IDS, 30, 10) for c in CONTACTS))
    n = len(CONTACTS)
    for variant in IDS:
        assert abs(counts[variant] / n - 0.10) < 0.02
    assert abs(counts[ab.HOLDOUT] / n - 0.10) < 0.02
    assert abs(counts[ab.REST] / n - 0.60) < 0.03


@given(
    st.text(min_size=1, max_size=24),
    st.floats(min_value=0.1, max_value=100),
    st.floats(min_value=0, max_value=100),
)
def test_every_recipient_lands_in_exactly_one_group(
    contact_id: str, test: float, holdout: float
) -> None:
    holdout = min(holdout, 100 - test)
    group, variant = ab.group_of("s", contact_id, IDS, test, holdout)
    assert (group == ab.TEST) == (variant in IDS)
    assert group in (ab.TEST, ab.HOLDOUT, ab.REST)
    if test == 100:
        assert group == ab.TEST


def test_the_rest_gets_the_winner_once_chosen_and_nothing_before() -> None:
    item = {
        "ab_test": {
            "variants": [{"id": "A"}, {"id": "B"}],
            "test_percent": 10,
            "metric": "opens",
            "wait_hours": 4,
        },
        "ab_seed": "s",
    }
    rest = next(c for c in CONTACTS if ab.assign(ab.AbTest.of(item), c)[0] == ab.REST)  # type: ignore[arg-type]
    assert ab.assign(ab.AbTest.of(item), rest) == (ab.REST, None)  # type: ignore[arg-type]
    assert ab.assign(ab.AbTest.of(item | {"ab_winner": "B"}), rest) == (ab.REST, "B")  # type: ignore[arg-type]


def test_a_clear_difference_is_said_with_its_confidence() -> None:
    a = ab_stats.Figures("A", 100, 1000)
    b = ab_stats.Figures("B", 130, 1000)
    sure = ab_stats.confidence(b, a)
    assert sure is not None and 0.97 < sure < 0.99  # z = 2.10
    assert ab_stats.summary("clicks", [a, b]) == (
        "B's click rate is higher than A's with 98% confidence"
    )


@pytest.mark.parametrize(
    "figures",
    [
        [ab_stats.Figures("A", 3, 10), ab_stats.Figures("B", 9, 10)],  # too few mails
        [ab_stats.Figures("A", 0, 500), ab_stats.Figures("B", 2, 500)],  # too few opens
        [ab_stats.Figures("A", 0, 0), ab_stats.Figures("B", 0, 0)],
    ],
)
def test_too_little_data_says_so(figures: list[ab_stats.Figures]) -> None:
    assert ab_stats.summary("opens", figures) == "not enough data yet"


def test_equal_rates_are_no_clear_difference_and_a_tie_goes_to_the_first_variant() -> None:
    a, b = ab_stats.Figures("A", 50, 500), ab_stats.Figures("B", 50, 500)
    assert ab_stats.summary("opens", [a, b]).startswith("no clear difference")
    assert ab_stats.ranked([a, b])[0].variant == "A"


def test_the_bench_figure_is_met_on_a_small_audience() -> None:
    figure = ab_split.split_error(recipients=2000)
    assert figure.name == "experiments.split_error"
    assert figure.value["split_error"] < 0.05  # type: ignore[index]


def test_each_variant_is_said_against_the_leader_for_the_console() -> None:
    a = ab_stats.Figures("A", 100, 1000)
    b = ab_stats.Figures("B", 130, 1000)
    c = ab_stats.Figures("C", 0, 10)  # too few mails to say anything of it
    assert ab_stats.versus_leader("clicks", [a, b, c]) == {
        "B": "the highest click rate",
        "A": "B's click rate is higher than A's with 98% confidence",
        "C": "not enough data yet",
    }
    even = [ab_stats.Figures("A", 50, 500), ab_stats.Figures("B", 50, 500)]
    assert ab_stats.versus_leader("opens", even)["A"] == "tied for the highest open rate"
    assert ab_stats.versus_leader("opens", even)["B"].startswith("no clear difference")
