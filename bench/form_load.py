"""Load on the local stack (loopback only): many form submissions from concurrent clients
against `ecrm serve`, then the table read back to check every accepted submission was stored
exactly once. `python -m bench --only load` runs 2,000 from 20 clients; tests/security/
test_load.py runs a smaller load with the same driver and the same checks.

Each client has its own loopback address (127.0.0.N), so the per-IP rate limit applies per
client as it would per visitor. A client sends, in a fixed pseudo-random order: new addresses,
the same address again under a new Idempotency-Key (a person submitting twice), and retries of
its previous request under the same key (a response lost on the way): a retry must get the
first answer back and store nothing.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from boto3.dynamodb.types import TypeDeserializer

from bench.figures import Figure
from local.stack import EmbeddedStack

FORM = "newsletter"  # the demo form the local stack seeds
RETRY_SHARE = 0.1  # of requests: the previous request again, same key (a lost response)
AGAIN_SHARE = 0.1  # of requests: an earlier address again, new key (submitting twice)


@dataclass(frozen=True)
class Sent:
    client: int
    email: str
    key: str
    status: int
    submission_id: str | None
    retry_after: str | None
    error_code: str | None


@dataclass
class Outcome:
    """What the clients saw and what the table holds."""

    answers: list[Sent]
    seconds: float
    contacts: set[str] = field(default_factory=set)  # contact ids with a profile item
    submissions: Counter[str] = field(default_factory=Counter)  # event id -> interactions

    def accepted(self) -> list[Sent]:
        return [a for a in self.answers if a.status == 202]

    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.answers)

    def problems(self, contact_id_for: Any) -> list[str]:
        """Everything that breaks "every accepted submission stored exactly once"."""
        found: list[str] = []
        others = {s: n for s, n in self.statuses().items() if s not in {202, 429}}
        if others:
            found.append(f"answers other than 202 and 429: {others}")
        for refused in (a for a in self.answers if a.status == 429):
            if refused.error_code != "rate_limited" or not refused.retry_after:
                found.append(f"a 429 without the error body or Retry-After: {refused}")
        per_key: dict[str, set[str | None]] = defaultdict(set)
        for answer in self.accepted():
            per_key[answer.key].add(answer.submission_id)
        for key, ids in per_key.items():
            if len(ids) != 1:
                found.append(f"retries of one Idempotency-Key got different answers: {key} {ids}")
        accepted_ids = {next(iter(ids)) for ids in per_key.values()}
        stored_ids = set(self.submissions)
        if stored_ids != accepted_ids:
            found.append(
                f"{len(accepted_ids - stored_ids)} accepted submissions not stored, "
                f"{len(stored_ids - accepted_ids)} stored that were never accepted"
            )
        twice = {i: n for i, n in self.submissions.items() if n > 1}
        if twice:
            found.append(f"submissions stored more than once: {len(twice)}")
        emails = {a.email for a in self.accepted()}
        expected = {contact_id_for(e) for e in emails}
        if self.contacts != expected:
            found.append(
                f"contacts: {len(self.contacts)} stored for {len(expected)} accepted addresses"
            )
        return found

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.submissions.values() if n > 1)


def _plan(client: int, requests: int, seed: int) -> list[tuple[str, str]]:
    """(email, Idempotency-Key) per request of one client, retries included."""
    rng = random.Random(seed * 1000 + client)
    plan: list[tuple[str, str]] = []
    emails: list[str] = []
    for n in range(requests):
        roll = rng.random()
        if plan and roll < RETRY_SHARE:
            plan.append(plan[-1])
            continue
        if emails and roll < RETRY_SHARE + AGAIN_SHARE:
            email = rng.choice(emails)
        else:
            email = f"load-{client}-{n}@example.com"
            emails.append(email)
        plan.append((email, f"load-{seed}-{client}-{n}"))
    return plan


def _submit(base: str, client: int, email: str, key: str) -> Sent:
    url = urlsplit(base)
    # Each client its own loopback address: the per-IP limit is per client, as per visitor.
    connection = http.client.HTTPConnection(
        url.hostname or "127.0.0.1", url.port, timeout=60, source_address=(_address(client), 0)
    )
    body = json.dumps({"email": email, "consent": True, "first_name": "Load"})
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    try:
        connection.request("POST", f"/forms/{FORM}/submissions", body=body, headers=headers)
        response = connection.getresponse()
        data = json.loads(response.read() or b"{}")
    finally:
        connection.close()
    return Sent(
        client,
        email,
        key,
        response.status,
        data.get("submission_id") if response.status == 202 else None,
        response.getheader("Retry-After"),
        (data.get("error") or {}).get("code"),
    )


def _address(client: int) -> str:
    return f"127.0.0.{10 + client}"


def _client(base: str, client: int, plan: list[tuple[str, str]]) -> list[Sent]:
    return [_submit(base, client, email, key) for email, key in plan]


def run(stack: EmbeddedStack, submissions: int, clients: int, seed: int = 7) -> Outcome:
    """Send `submissions` from `clients` concurrent clients, then read the table back."""
    per_client = submissions // clients
    plans = [_plan(c, per_client, seed) for c in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        sent = pool.map(_client, [stack.api_url] * clients, range(clients), plans)
        answers = [answer for answers_of_one in sent for answer in answers_of_one]
    outcome = Outcome(answers, time.perf_counter() - started)
    for item in _items(stack):
        if not item["pk"].startswith("CONTACT#"):
            continue
        if item["sk"] == "PROFILE":
            outcome.contacts.add(item["pk"].removeprefix("CONTACT#"))
        elif item.get("type") == "form_submitted":
            outcome.submissions[str(item["event_id"])] += 1
    return outcome


def _items(stack: EmbeddedStack) -> Iterator[dict[str, Any]]:
    """The whole table, read the way a check may (a Scan of the local table; never product code)."""
    client = boto3.client("dynamodb", endpoint_url=stack.moto_url, region_name="us-east-1")
    plain = TypeDeserializer()
    for page in client.get_paginator("scan").paginate(TableName=stack.table_name):
        for raw in page["Items"]:
            yield {name: plain.deserialize(value) for name, value in raw.items()}


@contextmanager
def load_stack(rate_limit_per_ip: int) -> Iterator[EmbeddedStack]:
    """A fresh local stack allowing `rate_limit_per_ip` submissions per client address. Rate
    limits count in fixed windows: one window far longer than the run, so that no window
    boundary falls inside it and the number of 429s does not depend on the time of day."""
    settings = {"RATE_LIMIT_PER_IP": str(rate_limit_per_ip), "RATE_WINDOW_SECONDS": str(10**9)}
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        with (
            tempfile.TemporaryDirectory() as state,
            EmbeddedStack(Path(state), fresh=True, keep_state=False) as stack,  # a temp dir
        ):
            yield stack
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


SUBMISSIONS, CLIENTS, PER_IP = 2000, 20, 80


def measure() -> list[Figure]:
    from ecrm.platform import keys  # noqa: PLC0415 - after the stack set the environment

    with load_stack(PER_IP) as stack:
        outcome = run(stack, SUBMISSIONS, CLIENTS)
    statuses = outcome.statuses()
    return [
        Figure(
            "load.form_submissions",
            {
                "sent": len(outcome.answers),
                "clients": CLIENTS,
                "accepted": statuses[202],  # retries answered from their marker included
                "stored": len(outcome.submissions),
                "rate_limited": statuses[429],
                "errors": sum(n for s, n in statuses.items() if s not in {202, 429}),
                "duplicates": outcome.duplicates(),
                "problems": len(outcome.problems(keys.contact_id_for)),
                "per_second": round(len(outcome.answers) / outcome.seconds, 1),
            },
            goal=0,
            judged=("errors", "duplicates", "problems"),
        )
    ]
