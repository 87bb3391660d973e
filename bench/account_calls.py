"""AWS calls per self-service request, counted with the same botocore `before-call` hook as
`bench.capture_calls` while the real account handler serves API Gateway proxy events under
moto (in process).

Each sample is one customer's visit, on a contact of its own: ask for a magic link, exchange
it for a session (the token the mail function would mail is issued directly), read the
account, change interests and a topic with the read ETag, then unsubscribe from one topic and
from everything with the one-click links of a bulk mail. The first visit runs with cold caches
(signing keys, profile schema) and is reported apart; every later one is the warm path. Tables
are re-created between samples only to keep moto fast (`bench.moto_env.fresh_tables`).
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

from account.app import lambda_handler
from bench.capture_calls import counting_calls
from bench.events import ROOT
from bench.figures import Figure
from bench.moto_env import Stack, as_function, fresh_tables, in_process
from ecrm.account.unsubscribe import unsubscribe_url
from ecrm.contacts import profile_schema, records
from ecrm.platform import keys, store, tokens
from local.sample_events import api_event

log = logging.getLogger(__name__)

FUNCTION = "AccountFunction"
GOAL = 2.0  # AWS calls per request, warm
OPERATIONS = ("link", "session", "get", "patch", "unsubscribe")
DEMO_PROFILE = ROOT / "local" / "demo_profile.json"
Response = dict[str, Any]


def _schema() -> profile_schema.ProfileSchema:
    data = json.loads(DEMO_PROFILE.read_text(encoding="utf-8"))
    return profile_schema.ProfileSchema.model_validate(data).model_copy(update={"version": 1})


def _seed(email: str, schema: profile_schema.ProfileSchema) -> str:
    """A subscribed contact and the profile schema, written as capture and `ecrm serve` leave
    them (a plain Put of the schema keeps the process's cached copy valid)."""
    contact_id = keys.contact_id_for(email)
    contact = {
        **keys.contact(contact_id),
        "type": "contact",
        "contact_id": contact_id,
        "email": email,
        "status": "subscribed",
        "topics": {"newsletter"},
        "f_first_name": "Ann",
        "version": 2,
    }
    membership = records.join_topic(contact_id, "newsletter", "2026-01-01T00:00:00.000Z")
    store.transact([store.Put(schema.to_item()), store.Put(contact), membership])
    return contact_id


class _Visitor:
    def __init__(self, stack: Stack, calls: Counter[str]) -> None:
        self.context = stack.context(stack.function(FUNCTION))
        self.calls = calls
        self.requests = 0

    def send(self, method: str, resource: str, **kwargs: Any) -> tuple[Counter[str], Response]:
        """The calls one request made, and its response (which must be a 2xx)."""
        self.requests += 1
        ip = str(ipaddress.IPv4Address("10.1.0.0") + self.requests)  # no rate limit is hit
        event = api_event(method, resource, source_ip=ip, **kwargs)
        before = self.calls.copy()
        response: Response = lambda_handler(event, self.context)
        if not 200 <= response["statusCode"] < 300:
            raise RuntimeError(f"{method} {resource} answered {response['statusCode']}")
        return self.calls - before, response


def _header(response: Response, name: str) -> str:
    found = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    return str(found[name.lower()][0])


def _visit(
    visitor: _Visitor, contact_id: str, email: str, *, cold: bool
) -> Iterator[tuple[str, Counter[str]]]:
    calls, _ = visitor.send("POST", "/account/link", body={"email": email})
    yield "link", calls
    link_token = tokens.issue("sign_in", contact_id, ttl_seconds=900)  # as the mail carries it
    if cold:  # the mail function signed it, not this process: its keys are not cached yet
        tokens.keyring.forget()
    calls, answer = visitor.send("POST", "/account/session", body={"token": link_token})
    yield "session", calls
    bearer = {"Authorization": f"Bearer {json.loads(answer['body'])['session']}"}
    calls, answer = visitor.send("GET", "/account", headers=bearer)
    yield "get", calls
    change = {"interests": {"interests": ["events"], "role": "sales"}, "topics": {"events": True}}
    headers = {**bearer, "If-Match": _header(answer, "ETag")}
    calls, _ = visitor.send("PATCH", "/account", body=change, headers=headers)
    yield "patch", calls
    one_click = {"Content-Type": "application/x-www-form-urlencoded"}
    for name, topic in (("unsubscribe_topic", "newsletter"), ("unsubscribe", None)):
        token = unsubscribe_url(contact_id, topic).rsplit("/", 1)[1]
        calls, _ = visitor.send(
            "POST",
            "/unsubscribe/{token}",
            path_parameters={"token": token},
            body="List-Unsubscribe=One-Click",
            headers=one_click,
        )
        yield name, calls


def measure(count: int = 30) -> list[Figure]:
    first: dict[str, Counter[str]] = {}
    warm: dict[str, Counter[str]] = {}
    with in_process() as stack, as_function(stack, FUNCTION), counting_calls() as calls:
        schema = _schema()
        visitor = _Visitor(stack, calls)
        for i in range(count + 1):
            if i:
                fresh_tables(stack)
            email = f"visitor-{i}@bench.example"
            contact_id = _seed(email, schema)
            target = first if i == 0 else warm
            for operation, made in _visit(visitor, contact_id, email, cold=i == 0):
                target.setdefault(operation, Counter()).update(made)
    per_request = {op: round(made.total() / count, 3) for op, made in warm.items()}
    by_operation = {
        "samples": count,
        "warm": {
            op: {call: round(n / count, 3) for call, n in sorted(made.items())}
            for op, made in warm.items()
        },
        "first_visit": {op: dict(sorted(made.items())) for op, made in first.items()},
    }
    log.info("AWS calls per self-service request: %s", per_request)
    figures = [Figure(f"account.aws_calls.{op}", per_request[op], GOAL) for op in OPERATIONS]
    figures.append(Figure("account.aws_calls.unsubscribe_topic", per_request["unsubscribe_topic"]))
    figures.append(Figure("account.aws_calls_by_operation", by_operation))
    return figures
