"""AWS calls per form submission, counted with a botocore `before-call` hook while the real
capture handler serves API Gateway proxy events under moto (in process).

The hook sits on the session of `ecrm.platform.aws` before it creates its clients, so it sees
every API call of every client the product makes (one count per call, whatever the
SDK's retries do underneath). The first submission runs with cold caches (form definition);
every later one is the warm path, sampled `count` times per scenario. Each sample is a chain
new -> returning (-> retried) on contacts of its own, on a re-created table: only to keep moto
fast (see `bench.moto_env.fresh_tables`); the counts do not depend on it.

The run must stay shorter than the form definition cache (60 s), or its refresh shows up as a
fraction of a call that says more about moto's speed than about the product: hence the default
of 100 samples per scenario (about 35 s here).
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.model import OperationModel

from bench import events
from bench.figures import Figure
from bench.moto_env import Stack, as_function, fresh_tables, in_process, save_demo_form
from capture.app import lambda_handler
from ecrm.platform import aws

log = logging.getLogger(__name__)

FUNCTION = "CaptureFunction"
GOAL = 1.0  # AWS calls per warm submission
WARM = (
    "new_contact",
    "returning_contact",
    "new_contact_with_idempotency_key",
    "returning_contact_with_idempotency_key",
)
Response = dict[str, Any]


@contextmanager
def counting_calls() -> Iterator[Counter[str]]:
    """Counts "service.Operation" for every call of clients created inside the block."""
    session = aws.session()  # the product's clients come from it
    calls: Counter[str] = Counter()

    def count(**kwargs: Any) -> None:
        model: OperationModel = kwargs["model"]
        calls[f"{model.service_model.service_name}.{model.name}"] += 1

    hook_id = f"bench-count-{uuid.uuid4()}"
    session.register("before-call", count, unique_id=hook_id)
    aws.reset()  # the product's clients are created from now on, with the hook
    try:
        yield calls
    finally:
        session.unregister("before-call", unique_id=hook_id)
        aws.reset()


class _Visitor:
    """Submits the demo form through the capture handler; each request from its own IP, so the
    per-IP rate limit never cancels a measured submission."""

    def __init__(self, stack: Stack, calls: Counter[str]) -> None:
        self.handler = lambda_handler
        self.context = stack.context(stack.function(FUNCTION))
        self.calls = calls
        self.requests = 0

    def event(self, email: str, name: str, key: str | None = None) -> dict[str, Any]:
        self.requests += 1
        ip = str(ipaddress.IPv4Address("10.0.0.0") + self.requests)
        fields = {"email": email, "first_name": name, "consent": True}
        return events.form_submission(fields, source_ip=ip, idempotency_key=key)

    def send(self, event: dict[str, Any]) -> tuple[Counter[str], Response]:
        """The calls one request made, and its response (which must be a 202)."""
        before = self.calls.copy()
        response: Response = self.handler(event, self.context)
        if response["statusCode"] != 202:
            raise RuntimeError(f"submission answered {response['statusCode']}: {response['body']}")
        return self.calls - before, response

    def submit(self, email: str, name: str, key: str | None = None) -> Counter[str]:
        return self.send(self.event(email, name, key))[0]


def _chain(visitor: _Visitor, i: int) -> Iterator[tuple[str, Counter[str]]]:
    """One sample of every warm scenario (and of a retry), on contacts of its own."""
    yield "new_contact", visitor.submit(f"new-{i}@bench.example", "Ann")
    # Another name: the same payload again within the duplicate window is answered as a retry.
    yield "returning_contact", visitor.submit(f"new-{i}@bench.example", "Bea")
    keyed = f"keyed-{i}@bench.example"
    yield "new_contact_with_idempotency_key", visitor.submit(keyed, "Ann", str(uuid.uuid4()))
    event = visitor.event(keyed, "Bea", str(uuid.uuid4()))
    calls, first = visitor.send(event)
    yield "returning_contact_with_idempotency_key", calls
    calls, again = visitor.send(event)  # the client timed out and sends the same request again
    if again["body"] != first["body"]:
        raise RuntimeError("a retry was not answered with the first submission's receipt")
    yield "retry_with_idempotency_key", calls


def measure(count: int = 100) -> list[Figure]:
    totals: dict[str, Counter[str]] = {}
    with in_process() as stack, as_function(stack, FUNCTION), counting_calls() as calls:
        save_demo_form()
        visitor = _Visitor(stack, calls)
        totals["first_call"] = visitor.submit("first@bench.example", "Ann")
        for i in range(count):
            if i:
                fresh_tables(stack)
                save_demo_form()
            for scenario, made in _chain(visitor, i):
                totals.setdefault(scenario, Counter()).update(made)
    samples = {scenario: 1 if scenario == "first_call" else count for scenario in totals}
    per_submission = {s: round(made.total() / samples[s], 3) for s, made in totals.items()}
    by_operation = {
        s: {op: round(n / samples[s], 3) for op, n in sorted(made.items())}
        for s, made in totals.items()
    }
    log.info("AWS calls per submission: %s", per_submission)
    return [
        Figure(
            "capture.aws_calls_per_submission",
            {**per_submission, "samples_per_scenario": count},
            GOAL,
            WARM,
        ),
        Figure("capture.aws_calls_by_operation", by_operation),
    ]
