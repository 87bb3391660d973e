"""The load driver's verdict (`bench.form_load.Outcome.problems`) names each way a run can
go wrong, so the load test and the bench area cannot pass on a bad run."""

from __future__ import annotations

from collections import Counter

from bench.form_load import Outcome, Sent, _plan


def _sent(
    key: str, status: int = 202, submission_id: str | None = "s1", email: str = "a@x.org"
) -> Sent:
    code = "rate_limited" if status == 429 else None
    retry_after = "60" if status == 429 else None
    return Sent(0, email, key, status, submission_id if status == 202 else None, retry_after, code)


def _contact_id(email: str) -> str:
    return f"id-{email}"


def _outcome(answers: list[Sent], submissions: dict[str, int], contacts: set[str]) -> Outcome:
    return Outcome(answers, 1.0, contacts=contacts, submissions=Counter(submissions))


def test_a_clean_run_has_no_problems() -> None:
    answers = [_sent("k1"), _sent("k1"), _sent("k2", 429)]
    outcome = _outcome(answers, {"s1": 1}, {"id-a@x.org"})
    assert outcome.problems(_contact_id) == []
    assert outcome.duplicates() == 0


def test_each_kind_of_damage_is_named() -> None:
    answers = [
        _sent("k1"),
        _sent("k1", submission_id="s9"),  # a retry answered differently
        _sent("k2", 500),  # an error
        Sent(0, "a@x.org", "k3", 429, None, None, None),  # a 429 without its body
        _sent("k4", submission_id="s4", email="b@x.org"),  # accepted, never stored
    ]
    outcome = _outcome(answers, {"s1": 2, "s9": 1, "s7": 1}, {"id-a@x.org", "id-c@x.org"})
    problems = " | ".join(outcome.problems(_contact_id))
    for expected in (
        "answers other than 202 and 429",
        "a 429 without the error body or Retry-After",
        "different answers",
        "not stored",
        "more than once",
        "contacts",
    ):
        assert expected in problems, problems
    assert outcome.duplicates() == 1


def test_a_client_plan_retries_and_resubmits_deterministically() -> None:
    plan = _plan(3, 200, seed=7)
    assert plan == _plan(3, 200, seed=7)
    keys = [key for _, key in plan]
    assert len(set(keys)) < len(keys)  # retries reuse a key
    per_email: Counter[str] = Counter(email for email, _ in dict.fromkeys(plan))
    assert any(n > 1 for n in per_email.values())  # some addresses come back with a new key
