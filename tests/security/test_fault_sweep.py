"""Fault injection at every AWS call of every write path, found by running the path first.

Each scenario's happy path is run once while its DynamoDB and SES calls are recorded; then, for
every call index and every fault that call can meet (throttling, a cancelled transaction with
`TransactionConflict`, SES throttling, a timeout before the call and one after it landed), the
table is put back as it was, the path runs again with that one fault, and:

- the caller got the work done or a retryable answer (503 `busy_retry` with `Retry-After`; a
  failed batch record or a raised invocation for asynchronous triggers, which Lambda retries);
- nothing is half-written (every contact has its interaction, no mail ledger is left claimed
  once the retry is done);
- retrying as is converges: the table ends as the clean run left it (compared by item keys,
  types and states: ids, counters and times differ between runs).

Campaign sending has its own, finer sweep (tests/integration/campaigns/test_send_faults.py)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from ecrm.platform import aws, keys, tokens
from ecrm.platform.settings import settings
from tests import events
from tests.conftest import table_items
from tests.integration.conftest import Submit, sent_mail, valid_body
from tests.security.conftest import World

Outcome = str  # "done", "retry" (retryable), or a description of what went wrong
Act = Callable[[], Outcome]

# --- faults -----------------------------------------------------------------------------------


def _client_error(code: str, operation: str, reasons: list[str] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": "injected"}}
    if reasons:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, operation)  # type: ignore[arg-type]


def faults_for(service: str, operation: str) -> dict[str, tuple[str, Callable[[], Exception]]]:
    """Fault name -> (when, error) for one call."""
    timeout = lambda: ReadTimeoutError(endpoint_url=f"https://{service}")  # noqa: E731
    found: dict[str, tuple[str, Callable[[], Exception]]] = {
        "timeout_before": ("before", timeout),
        "timeout_after": ("after", timeout),
    }
    if service == "dynamodb":
        found["throughput"] = (
            "before",
            lambda: _client_error("ProvisionedThroughputExceededException", operation),
        )
        if operation == "TransactWriteItems":
            found["conflict"] = (
                "before",
                lambda: _client_error(
                    "TransactionCanceledException", operation, ["None", "TransactionConflict"]
                ),
            )
    elif service == "sesv2":
        found["throttled"] = (
            "before",
            lambda: _client_error("TooManyRequestsException", operation),
        )
    return found


@dataclass
class Recorder:
    """Counts the product's DynamoDB and SES calls and raises one fault at one of them."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    at: int | None = None
    when: str = "before"
    error: Callable[[], Exception] | None = None
    fired: bool = False

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        index = len(self.calls)
        self.calls.append((model.service_model.service_name, model.name))
        context["sweep_index"] = index
        if index == self.at and self.when == "before" and self.error is not None:
            self.fired = True
            raise self.error()

    def _after(self, context: dict[str, Any], **_: Any) -> None:
        if context.get("sweep_index") == self.at and self.when == "after" and self.error:
            self.fired = True
            raise self.error()

    @staticmethod
    def _clients() -> list[Any]:
        return [aws.dynamodb(), aws.sesv2()]

    def install(self) -> None:
        for client in self._clients():
            client.meta.events.register("before-call", self._before, unique_id="sweep-before")
            client.meta.events.register("after-call", self._after, unique_id="sweep-after")

    def uninstall(self) -> None:
        for client in self._clients():
            client.meta.events.unregister("before-call", unique_id="sweep-before")
            client.meta.events.unregister("after-call", unique_id="sweep-after")


# --- the table, put back and compared -----------------------------------------------------

VOLATILE_PK = ("RATE#", "TOKEN#", "IDEMPOTENCY#", "MAILEVENT#")


def _signature(item: dict[str, Any]) -> tuple[str, ...]:
    pk = str(item["pk"])
    pk = next((p for p in VOLATILE_PK if pk.startswith(p)), pk)
    sk = str(item["sk"])
    kind = sk.split("#", maxsplit=1)[0]
    if sk.startswith("MAIL#"):
        kind = "#".join(sk.split("#")[:2])
    if sk.startswith("EVENT#"):
        kind = f"EVENT:{item.get('type')}"
    states = tuple(str(item.get(name, "")) for name in ("type", "status", "state", "email_status"))
    return (pk, kind, *states)


def signature() -> Counter[tuple[str, ...]]:
    return Counter(_signature(item) for item in table_items())


def raw_items() -> list[dict[str, Any]]:
    """Every item as DynamoDB holds it (sets stay sets: `table_items` gives plain lists)."""
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=settings().table_name)
    return [item for page in pages for item in page["Items"]]


def restore(items: list[dict[str, Any]]) -> None:
    """Make the table hold exactly `items` again, writing only what differs (a case writes a few
    items; putting back all of them was a quarter of the sweep's CPU)."""
    client = boto3.client("dynamodb")
    table = settings().table_name
    wanted = {(item["pk"]["S"], item["sk"]["S"]): item for item in items}
    held = {(item["pk"]["S"], item["sk"]["S"]): item for item in raw_items()}
    for key, item in held.items():
        if key not in wanted:
            client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    for key, item in wanted.items():
        if held.get(key) != item:
            client.put_item(TableName=table, Item=item)
    ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages.clear()


def forget_caches() -> None:
    """Cached definitions would shift the call indices between runs."""
    for name, module in list(sys.modules.items()):
        if name.startswith("ecrm.") and hasattr(module, "forget_cached"):
            module.forget_cached()


def half_written() -> list[str]:
    items = table_items()
    problems = []
    for contact in (i for i in items if i.get("type") == "contact"):
        events_of = [i for i in items if i["pk"] == contact["pk"] and i["sk"].startswith("EVENT#")]
        if not events_of:
            problems.append(f"contact {contact['pk']} without an interaction")
    for ledger in (i for i in items if str(i["sk"]).startswith("MAIL#")):
        if ledger.get("state") not in {"sent", "skipped", "failed", None}:
            problems.append(f"ledger {ledger['pk']}/{ledger['sk']} left {ledger.get('state')}")
    return problems


# --- outcomes -------------------------------------------------------------------------------


def api_outcome(response: dict[str, Any], *done: int) -> Outcome:
    status = response["statusCode"]
    if status in done:
        return "done"
    if status == 503:
        headers = {k.lower() for k in (response.get("multiValueHeaders") or {})}
        headers |= {k.lower() for k in (response.get("headers") or {})}
        text = str(response.get("body") or "")
        if "retry-after" in headers and (
            not text.startswith("{") or json.loads(text)["error"]["code"] == "busy_retry"
        ):
            return "retry"  # the JSON error body, or the HTML page of a plain form
    return f"{status}: {response.get('body', '')[:200]}"


def batch_outcome(run: Callable[[], dict[str, Any] | None]) -> Outcome:
    try:
        answer = run()
    except Exception:  # the invocation fails: Lambda retries it (then the DLQ)
        return "retry"
    failures = (answer or {}).get("batchItemFailures") or []
    return "retry" if failures else "done"


# --- scenarios ------------------------------------------------------------------------------


def _stream(module: str, items: list[dict[str, Any]]) -> Callable[[], dict[str, Any] | None]:
    import importlib

    handler = importlib.import_module(module).lambda_handler
    return lambda: handler(events.stream(*items), events.LambdaContext())


def _confirm_token(email: str) -> str:
    contact_id = keys.contact_id_for(email)
    [consent] = [
        i
        for i in table_items()
        if i["pk"] == keys.contact(contact_id)["pk"] and i["sk"].startswith("CONSENT#")
    ]
    return tokens.issue("confirm", contact_id, consent["sk"].removeprefix("CONSENT#"), 3600)


def scenario_submit(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    return lambda: api_outcome(submit(valid_body("new@example.com")), 202), (202, 409)


def scenario_confirm(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    assert submit(valid_body("new@example.com"))["statusCode"] == 202
    token = _confirm_token("new@example.com")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    act = lambda: api_outcome(  # noqa: E731
        world.call("POST", "/confirm/{token}", {"token": token}, body="", headers=form), 200
    )
    return act, (200, 409)  # a retry after a landed confirmation: already confirmed


def scenario_confirmation_mail(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    assert submit(valid_body("new@example.com"))["statusCode"] == 202
    images = [i for i in table_items() if i.get("type") == "form_submitted"]
    images = [
        i for i in images if i["pk"] == keys.contact(keys.contact_id_for("new@example.com"))["pk"]
    ]
    run = _stream("mailing.transactional", images)
    return lambda: batch_outcome(run), ()


def scenario_sign_in_link(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    body = {"email": world.member.email}
    return lambda: api_outcome(world.call("POST", "/account/link", body=body), 202), (202,)


#: Requests that are deliberately not idempotent: a retried "mail me a link" is a second ask
#: (rate-limited), so after a lost answer the retry may add its own interaction.
REPEATABLE = {"account_sign_in_link": {"EVENT:sign_in_requested"}}


def scenario_session(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    from tests.integration.self_service.conftest import deliver_account_mail, mails_to, token_in

    world.call("POST", "/account/link", body={"email": world.member.email})
    deliver_account_mail()
    link = token_in(mails_to(world.member.email)[-1])
    body = {"token": link}
    act = lambda: api_outcome(  # noqa: E731
        world.call("POST", "/account/session", body=body, authenticated=False), 200
    )
    return act, (200, 401)  # a landed exchange: the link is used


def scenario_patch(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    change = {"profile": {"first_name": "Annie"}, "topics": {"events": True}}

    def act() -> Outcome:
        read = world.call("GET", "/account")
        if read["statusCode"] != 200:
            return api_outcome(read, 200)
        etag = {k.lower(): v for k, v in read["multiValueHeaders"].items()}["etag"][0]
        return api_outcome(
            world.call("PATCH", "/account", body=change, headers={"If-Match": etag}), 200
        )

    return act, (200,)


def scenario_export(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    return lambda: api_outcome(world.call("GET", "/account/export"), 200), (200,)


def _a_campaign_planning(contact_id: str, email: str) -> None:
    """A campaign still sending whose audience page holds the contact, and whose cursor (where
    the next, unplanned page starts) names it: an erasure rewrites both."""
    from ecrm.platform import clock, store

    campaign = "c-sweep"
    membership = keys.topic_membership(contact_id, "newsletter")
    start = {k: membership[k] for k in ("pk", "sk", "gsi1pk", "gsi1sk")}
    page = keys.campaign_page(campaign, keys.topic_shard(contact_id), 0)
    store.batch_put(
        [
            {**keys.campaign(campaign), "type": "campaign", "state": "sending", "audience": 2},
            {
                **keys.campaign_content(campaign),
                **keys.campaign_started(clock.iso(clock.now()), campaign),
                "type": "campaign_content",
            },
            {
                **page,
                "type": "campaign_page",
                "recipients": [["0" * 64, ""], [contact_id, email]],
                "next": json.dumps(start),
                "last": False,
            },
        ]
    )


def scenario_erase(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    body = {"confirm": "erase"}
    member = world.member
    _a_campaign_planning(member.contact_id, member.email)

    def act() -> Outcome:
        outcome = api_outcome(world.call("DELETE", "/account", body=body), 200, 204)
        left = json.dumps(table_items())
        if outcome == "done" and (member.contact_id in left or member.email in left):
            return "done, but an item still names the contact"
        return outcome

    return act, (200, 204, 401)  # a landed erasure: the session's contact is gone


def scenario_unsubscribe(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    from ecrm.account.unsubscribe import unsubscribe_url

    token = unsubscribe_url(world.member.contact_id, None).rsplit("/", 1)[1]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    act = lambda: api_outcome(  # noqa: E731
        world.call(
            "POST",
            "/unsubscribe/{token}",
            {"token": token},
            body="List-Unsubscribe=One-Click",
            headers=form,
        ),
        200,
    )
    return act, (200,)


def _ses_event(kind: str) -> Callable[[World, Submit], tuple[Act, tuple[int, ...]]]:
    def scenario(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
        import time

        from mailing.ses_events import lambda_handler

        now = time.time()
        tags = {"campaign": "c1", "contact": world.member.contact_id}
        from ecrm.platform import store

        store.write(
            store.Put({**keys.campaign("c1"), "type": "campaign", "state": "sending", "sent": 10})
        )
        notification = events.ses_notification(
            kind, message_id="m-1", to=world.member.email, sent_at=now - 300, at=now - 60, tags=tags
        )
        run = lambda: lambda_handler(notification, events.LambdaContext())  # noqa: E731
        return lambda: batch_outcome(run), ()

    return scenario


def scenario_scoring(world: World, submit: Submit) -> tuple[Act, tuple[int, ...]]:
    images = [i for i in table_items() if str(i["sk"]).startswith("EVENT#")]
    run = _stream("scoring.stream", images)
    return lambda: batch_outcome(run), ()


SCENARIOS: dict[str, Callable[[World, Submit], tuple[Act, tuple[int, ...]]]] = {
    "capture_submit": scenario_submit,
    "capture_confirm": scenario_confirm,
    "confirmation_mail": scenario_confirmation_mail,
    "account_sign_in_link": scenario_sign_in_link,
    "account_session": scenario_session,
    "account_patch": scenario_patch,
    "account_export": scenario_export,
    "account_erase": scenario_erase,
    "unsubscribe_one_click": scenario_unsubscribe,
    "ses_bounce": _ses_event("bounce"),
    "ses_complaint": _ses_event("complaint"),
    "ses_open": _ses_event("open"),
    "scoring_stream": scenario_scoring,
}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    found = Recorder()
    found.install()
    yield found
    found.uninstall()


def _converge(act: Act, retry_done: tuple[int, ...]) -> Outcome:
    outcome = "retry"
    for _ in range(3):
        outcome = act()
        if outcome == "done":
            return outcome
        if (
            retry_done
            and outcome.split(":")[0].isdigit()
            and int(outcome.split(":")[0]) in retry_done
        ):
            return "done"
    return outcome


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_fault_at_any_call_is_retryable_and_never_half_written(
    world: World, submit: Submit, recorder: Recorder, name: str
) -> None:
    act, retry_done = SCENARIOS[name](world, submit)
    start = raw_items()
    sent_before = len(sent_mail())
    ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages.clear()
    forget_caches()

    recorder.calls.clear()
    assert act() == "done", "the happy path works"
    clean, clean_mail = signature(), {m["To"] for m in sent_mail()}
    calls = list(recorder.calls)
    assert calls, "the path calls AWS"
    assert not half_written()
    del sent_before

    problems = []
    for index, (service, operation) in enumerate(calls):
        for fault, (when, error) in sorted(faults_for(service, operation).items()):
            restore(start)
            forget_caches()
            recorder.calls.clear()
            recorder.at, recorder.when, recorder.error, recorder.fired = index, when, error, False
            outcome = act()
            recorder.at = recorder.error = None
            case = f"#{index} {service}.{operation} {fault}"
            if not recorder.fired:
                continue  # the path took another branch before reaching that call
            if outcome not in {"done", "retry"}:
                problems.append(f"{case}: the caller got {outcome}")
                continue
            forget_caches()
            final = _converge(act, retry_done)
            if final != "done":
                problems.append(f"{case}: the retry got {final}")
            if left := half_written():
                problems.append(f"{case}: half-written {left}")
            tolerated = REPEATABLE.get(name, set())
            now = Counter({k: v for k, v in signature().items() if k[1] not in tolerated})
            expected = Counter({k: v for k, v in clean.items() if k[1] not in tolerated})
            if now != expected:
                diff = (now - expected) + (expected - now)
                problems.append(f"{case}: the retry did not converge: {dict(diff)}")
            if {m["To"] for m in sent_mail()} != clean_mail:
                problems.append(f"{case}: mail went to {[m['To'] for m in sent_mail()]}")
    assert not problems, "\n".join(problems)
