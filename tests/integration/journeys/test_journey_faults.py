"""The fault sweep of journeys, as the campaign sender's (tests/integration/campaigns/
test_send_faults.py): a run's whole life (entry from the stream, its first send, a wait, its
second send) is killed before and after each AWS call in turn, then driven again as Lambda and
the tick would (the record redelivered, the minute read again, much later), with SES's Send
events confirming what a dead worker sent; and with throttles. Each contact gets each mail
exactly once, every run completes and the step counters are exact."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from ecrm.journeys import send_step
from ecrm.platform import aws, clock, keys
from ecrm.platform.errors import Busy
from local.faults import Faults, Kill, Killed, Throttle
from tests.integration.journeys.conftest import (
    Sent,
    add_contacts,
    admin,
    advance,
    confirm,
    happen,
    published,
    run_of,
    send,
    welcome_series,
)

pytestmark = pytest.mark.slow  # 28 AWS calls swept, a fresh run each: about 90 s

WAIT = 60
PEOPLE = 1


def two_mails() -> dict[str, Any]:
    return welcome_series(
        steps=[
            send("first", "welcome-1", "wait1"),
            {"id": "wait1", "type": "wait", "minutes": WAIT, "next": "third"},
            send("third", "welcome-3", None),
        ]
    )


counting = {"on": False, "n": 0}


def every_call(operation: str, params: dict[str, Any]) -> bool:
    return True


def life(
    sent: Sent,
    faults: Faults,
    later: Callable[[float], None],
    people: list[str],
    kill: Kill | None = None,
) -> tuple[str, int]:
    """Enter `people`, then drive their runs to the end whatever is killed (`kill` armed once
    the journey is published); returns the journey and the number of kills."""
    kills = 0

    def again(do: Callable[[], object]) -> None:
        nonlocal kills
        last = ""
        for _ in range(60):
            try:
                do()
                do()  # a repeated minute, a redelivered record: nothing more
                return
            except Killed:
                kills += 1
                faults.revive()
                confirm(sent, faults)
                later(send_step.STALE_SENDING_SECONDS + 1)  # the retry may come much later
            except Busy as error:  # SES's Send event comes within seconds, the tick after a minute
                last = repr(error) + repr(error.__cause__)
                confirm(sent, faults)
                later(60)
        raise AssertionError(f"the run never settled: {last!r}")

    journey_id = published(two_mails())
    faults.kills[:] = [kill] if kill else []
    counting["on"] = True
    for person in people:
        again(lambda p=person: happen(p))  # type: ignore[misc]
    for _ in range(2):
        for person in people:
            again(lambda p=person: advance(p, journey_id, clock.now()))  # type: ignore[misc]
        later(WAIT * 60 + 1)
    counting["on"] = False
    faults.kills[:] = []
    throttles, faults.throttles = faults.throttles, []
    status, _ = admin("POST", "/admin/journeys/{journey_id}/stop", {"journey_id": journey_id})
    faults.throttles = throttles
    assert status == 200  # the next life's entry enters its own journey only
    return journey_id, kills


def assert_exact(sent: Sent, journey_id: str, people: list[str]) -> None:
    mine = [t for t in sent.tags if t.get("journey") == journey_id]
    counts = Counter((t["contact"], t["jstep"]) for t in mine)
    assert counts == Counter({(p, s): 1 for p in people for s in ("first", "third")}), counts
    for person in people:
        assert run_of(person, journey_id)["outcome"] == "completed"
    status, body = admin("GET", "/admin/journeys/{journey_id}/stats", {"journey_id": journey_id})
    assert status == 200
    steps = body["versions"]["1"]
    n = len(people)
    assert steps["first"] == {"entered": n, "sent": n, "passed": n, "waiting": 0}, steps
    assert steps["wait1"] == {"entered": n, "passed": n, "waiting": 0}, steps
    assert steps["third"] == {"entered": n, "sent": n, "exited": n, "waiting": 0}, steps


def _calls(journey_env: Sent, later: Callable[[float], None]) -> int:
    counting["n"] = 0

    def count(**_: Any) -> None:
        if counting["on"]:
            counting["n"] += 1

    clients = (aws.dynamodb(), aws.sesv2())
    for client in clients:
        client.meta.events.register("before-call", count, unique_id="count-calls")
    try:
        people = add_contacts(PEOPLE, start=900)
        journey_id, _ = life(journey_env, Faults(), later, people)
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", unique_id="count-calls")
    assert_exact(journey_env, journey_id, people)
    return counting["n"]


def test_killed_before_and_after_every_aws_call_each_mail_goes_once(
    journey_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    total = _calls(journey_env, later)
    print(f"sweeping {total} AWS calls, before and after each")
    fired = 0
    for nth in range(1, total + 1):
        for when in ("before", "after"):
            people = add_contacts(PEOPLE, start=1000 + 10 * len(journey_env.tags) + nth)
            kill = Kill(every_call, when, nth)
            journey_id, kills = life(journey_env, injected, later, people, kill)
            fired += kill.fired
            assert kills <= 1
            assert_exact(journey_env, journey_id, people)
    # the first life read what later ones have cached (the send policy, the version, ...)
    assert fired >= 2 * total - 10, (fired, total)


def test_throttled_dynamodb_and_ses_neither_lose_nor_double_a_mail(
    journey_env: Sent, injected: Faults, later: Callable[[float], None]
) -> None:
    injected.throttles += [
        Throttle("dynamodb", "TransactWriteItems", "ThrottlingException", every=5),
        Throttle("dynamodb", "UpdateItem", "ProvisionedThroughputExceededException", every=7),
        Throttle("sesv2", "SendEmail", "TooManyRequestsException", every=3),
    ]
    people = add_contacts(3)
    journey_id, _ = life(journey_env, injected, later, people)
    assert all(t.injected for t in injected.throttles)
    assert_exact(journey_env, journey_id, people)
    assert all(keys.journey_run(p, journey_id) for p in people)
