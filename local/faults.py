"""Fault injection for tests and the bench (never shipped): kill a function at a chosen AWS
call, or throttle calls, through botocore hooks on the product's own clients (`ecrm.platform.aws`).

A kill is a process that dies: from the kill point on, every AWS call of that invocation fails
too (no `finally` gets to write anything), and the exception leaves the handler like a crash.
The harness then redelivers the message, as SQS does after its visibility timeout.
`record_sends` keeps every SendEmail that SES accepted (raw message and tags)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ecrm.platform import aws


class Killed(BaseException):
    """The worker process died (BaseException: nothing in the product catches it)."""


Match = Callable[[str, dict[str, Any]], bool]  # (operation, params) -> is this the step?


@dataclass
class Kill:
    """Kill the invocation at the `nth` call matching `match`, `when` before or after it."""

    match: Match
    when: str  # "before" (the call never lands) or "after" (it landed, its answer is lost)
    nth: int = 1
    seen: int = 0
    dead: bool = False
    fired: bool = False

    def revive(self) -> None:
        self.dead = False


@dataclass
class Throttle:
    """Fail every `every`-th call of `operation` (before it reaches the service)."""

    service: str
    operation: str
    code: str
    every: int
    calls: int = 0
    injected: int = 0


@dataclass
class Faults:
    kills: list[Kill] = field(default_factory=list)
    throttles: list[Throttle] = field(default_factory=list)

    def install(self) -> None:
        for client in (aws.dynamodb(), aws.sesv2(), aws.sqs(), aws.s3()):
            client.meta.events.register("before-parameter-build", self._keep, unique_id="f-keep")
            client.meta.events.register("before-call", self._before, unique_id="f-before")
            client.meta.events.register("after-call", self._after, unique_id="f-after")

    def uninstall(self) -> None:
        for client in (aws.dynamodb(), aws.sesv2(), aws.sqs(), aws.s3()):
            client.meta.events.unregister("before-parameter-build", unique_id="f-keep")
            client.meta.events.unregister("before-call", unique_id="f-before")
            client.meta.events.unregister("after-call", unique_id="f-after")

    @staticmethod
    def _keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["fault_params"] = params

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        operation = model.name
        params = context.get("fault_params", {})
        for kill in self.kills:
            if kill.dead:
                raise Killed(f"dead before {operation}")
            if kill.when == "before" and not kill.fired and kill.match(operation, params):
                kill.seen += 1
                if kill.seen == kill.nth:
                    kill.fired = kill.dead = True
                    raise Killed(f"killed before {operation}")
        for throttle in self.throttles:
            if (
                model.service_model.service_name == throttle.service
                and operation == throttle.operation
            ):
                throttle.calls += 1
                if throttle.calls % throttle.every == 0:
                    throttle.injected += 1
                    error = {"Error": {"Code": throttle.code, "Message": "injected"}}
                    raise ClientError(error, operation)  # type: ignore[arg-type]

    def _after(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        params = context.get("fault_params", {})
        for kill in self.kills:
            if kill.when == "after" and not kill.fired and kill.match(model.name, params):
                kill.seen += 1
                if kill.seen == kill.nth:
                    kill.fired = kill.dead = True
                    raise Killed(f"killed after {model.name}")

    def revive(self) -> None:
        for kill in self.kills:
            kill.revive()


def record_sends(client: Any, record: Callable[[dict[str, Any]], None]) -> None:
    """Call `record(params)` for every SendEmail SES accepted (params kept in the call's
    context from parameter build to after-call)."""

    def keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["ecrm_params"] = dict(params)

    def accepted(http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code < 300 and "ecrm_params" in context:
            record(context["ecrm_params"])

    client.meta.events.register("before-parameter-build.sesv2.SendEmail", keep)
    client.meta.events.register("after-call.sesv2.SendEmail", accepted)


# --- the steps of the campaign send path --------------------------------------------------


def _is_claim(item: dict[str, Any]) -> bool:
    sort_key = str(item.get("sk", {}).get("S", ""))
    return sort_key.startswith("SEND#") and item.get("state", {}).get("S") == "sending"


def claim(operation: str, params: dict[str, Any]) -> bool:
    """Writing ledger claims (a chunk's TransactWriteItems, or one PutItem)."""
    if operation == "PutItem":
        return _is_claim(params.get("Item", {}))
    if operation == "TransactWriteItems":
        puts = [i.get("Put", {}).get("Item", {}) for i in params.get("TransactItems", [])]
        return any(_is_claim(item) for item in puts)
    return False


def ses_send(operation: str, params: dict[str, Any]) -> bool:
    return operation == "SendEmail"


def mark(operation: str, params: dict[str, Any]) -> bool:
    requests = [r for table in params.get("RequestItems", {}).values() for r in table]
    return operation == "BatchWriteItem" and any(
        r.get("PutRequest", {}).get("Item", {}).get("sk", {}).get("S", "").startswith("SEND#")
        for r in requests
    )


def requeue(operation: str, params: dict[str, Any]) -> bool:
    if operation != "SendMessageBatch":
        return False
    bodies = [json.loads(e["MessageBody"]) for e in params.get("Entries", [])]
    return any(b.get("kind") == "batch" and b.get("attempt") for b in bodies)


def tally(operation: str, params: dict[str, Any]) -> bool:
    items = params.get("TransactItems", [])
    return operation == "TransactWriteItems" and any(
        i.get("Put", {}).get("Item", {}).get("sk", {}).get("S", "").startswith("BATCH#")
        for i in items
    )


def plan_fan_out(operation: str, params: dict[str, Any]) -> bool:
    if operation != "SendMessageBatch":
        return False
    bodies = [json.loads(e["MessageBody"]) for e in params.get("Entries", [])]
    return any(b.get("kind") == "batch" and not b.get("attempt") for b in bodies)
