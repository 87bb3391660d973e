"""Load on `ecrm serve` (loopback only): concurrent clients submitting the demo form, with
retries under the same Idempotency-Key and people submitting twice. Nothing but 202 and the
expected 429s; the table, read back, holds every accepted submission exactly once.

`python -m bench --only load` runs the full 2,000 submissions from 20 clients with the same
driver and checks (`bench.form_load`); this is a smaller load that fits in `make test`.
"""

from __future__ import annotations

from bench.form_load import load_stack, run

SUBMISSIONS, CLIENTS = 200, 10
PER_IP = 16  # each client sends 20, some of them retries: a few over its limit get 429


def test_concurrent_submissions_are_stored_exactly_once_and_only_429_is_refused() -> None:
    with load_stack(PER_IP) as stack:
        from ecrm.platform import keys  # the domain reads the stack's environment

        outcome = run(stack, SUBMISSIONS, CLIENTS)

    assert outcome.problems(keys.contact_id_for) == []
    statuses = outcome.statuses()
    assert set(statuses) == {202, 429}, statuses  # the limit was reached, and only it refused
    assert statuses[202] >= SUBMISSIONS // 2
    retried = len(outcome.answers) - len({a.key for a in outcome.answers})
    assert retried > 0  # the run did retry under the same keys
    accepted_per_client: dict[int, set[str]] = {}
    for answer in outcome.accepted():
        accepted_per_client.setdefault(answer.client, set()).add(answer.key)
    assert all(len(keys_) <= PER_IP for keys_ in accepted_per_client.values())
    assert any(len(keys_) == PER_IP for keys_ in accepted_per_client.values())
