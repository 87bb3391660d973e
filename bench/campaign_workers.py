"""The campaign queue's event source for the benches: pollers that deliver one message per
invocation (BatchSize 1) to the sender's handler, as Lambda would with MaximumConcurrency
`count`, and SES's rate limit played strictly.

- `processes`: each worker a process of its own, against moto served by this process, as in
  Lambda (one sandbox, one interpreter per worker). The pace figure uses them: threads in
  one interpreter wait for each other's GIL and are late for their send slots.
- `Workers`: threads in this process, against moto in process, for the fault bench (its
  kills and throttles are hooks on this process's clients and functions).
"""

from __future__ import annotations

import gc
import importlib.util
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from bench.moto_env import Stack, child_environment
from local.faults import Faults, Killed
from local.lambda_runtime import LambdaContext
from local.moto_backend import answered
from local.queues import lambda_record

FUNCTION = "CampaignSenderFunction"
SWITCH_INTERVAL = 0.0005  # seconds (see `quiet_interpreter`)
START_TIMEOUT = 60.0  # seconds for a worker process to import the handler


class Stopping(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Poller:
    """One worker: receive a message, invoke `handler`, delete it or let it come back."""

    url: str  # the campaign queue's
    arn: str
    context: LambdaContext  # the function's (a fresh copy per invocation)

    def poll(
        self,
        stop: Stopping,
        handler: Callable[..., Any],
        on_kill: Callable[[], None] = lambda: None,
        paused: Stopping | None = None,
    ) -> None:
        from ecrm.platform import aws  # noqa: PLC0415 - in a worker process, after its environment is set

        sqs = aws.sqs()
        while not stop.is_set():
            if paused is not None and paused.is_set():
                time.sleep(0.01)
                continue
            got = sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=1, AttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                time.sleep(0.02)
                continue
            record = lambda_record(got[0], self.arn, "us-east-1")
            handle = record["receiptHandle"]
            try:
                response = handler({"Records": [record]}, self._context())
            except Killed:
                on_kill()
                sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=handle, VisibilityTimeout=0
                )
                continue
            if response.get("batchItemFailures"):
                sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=handle, VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=handle)

    def _context(self) -> LambdaContext:
        """A fresh context per invocation (its own request id and time budget)."""
        c = self.context
        return LambdaContext(
            c.function_name, c.invoked_function_arn, c.memory_limit_in_mb, c.timeout_seconds
        )


def _poller(stack: Stack) -> Poller:
    return Poller(
        stack.names.refs["CampaignQueue"],
        stack.names.attributes[("CampaignQueue", "Arn")],
        stack.context(stack.function(FUNCTION)),
    )


@contextmanager
def quiet_interpreter() -> Iterator[None]:
    """While the workers run, this interpreter hosts moto (and, for `Workers`, the workers
    themselves), which brings two pauses no Lambda worker and no AWS service would see:

    - a thread returning from a system call that released the GIL (a socket read, a sleep
      until a send slot) waits up to the switch interval (5 ms by default) to run again, late
      for its slot: the interval is shortened;
    - the cyclic garbage collector's full passes walk moto's whole world (every item, queue
      message and stored mail: 150-200 ms with the GIL held, twice a campaign): it is paused
      (reference counting still frees everything acyclic) and run once afterwards."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        sys.setswitchinterval(interval)
        gc.collect()


# --- worker processes ------------------------------------------------------------------------


class StrictSes:
    """SES as the pace figure needs it: at most `rate` sends in any one-second window (counted
    at each SendEmail call of any worker, thread or process: the state is shared memory), each
    accepted message answered with a message id after `latency` seconds, as SES answers across
    the network. moto's SES is not asked: storing the message is not what is measured, and
    its work would land on the CPU the workers need."""

    def __init__(self, rate: float, capacity: int, latency: float = 0.0) -> None:
        context = multiprocessing.get_context("spawn")
        self.rate = int(rate)
        self.latency = latency
        self._lock = context.Lock()
        self._times = context.Array("d", capacity, lock=False)  # accepted sends, in order
        self._count = context.Value("i", 0, lock=False)
        self._throttled = context.Value("i", 0, lock=False)

    @property
    def accepted(self) -> list[float]:
        with self._lock:
            return list(self._times[: self._count.value])

    @property
    def throttled(self) -> int:
        return int(self._throttled.value)

    def install(self, client: Any) -> None:
        client.meta.events.register("before-call.sesv2.SendEmail", self._send, unique_id="strict")

    def _send(self, **_: Any) -> tuple[Any, dict[str, Any]]:
        number = self._admit()
        time.sleep(self.latency)
        url = "https://email.local/v2/email/outbound-emails"
        return answered(url, {"MessageId": f"bench-{number}"})

    def _admit(self) -> int:
        with self._lock:
            now = time.monotonic()  # one clock for every process (CLOCK_MONOTONIC)
            count: int = self._count.value
            if count >= self.rate and now - self._times[count - self.rate] < 1.0:
                self._throttled.value += 1
                error = {"Error": {"Code": "TooManyRequestsException", "Message": "rate"}}
                raise ClientError(error, "SendEmail")  # type: ignore[arg-type]
            if count == len(self._times):
                raise RuntimeError("more sends than the bench has room for")
            self._times[count] = now
            self._count.value = count + 1
            return count


@contextmanager
def processes(
    stack: Stack,
    count: int,
    ses: StrictSes,
    max_rate: float,
    clock_offset: Any = None,
    paused: Any = None,
) -> Iterator[None]:
    """`count` worker processes polling the campaign queue until the block ends; their product
    clock (`ecrm.platform.clock.now`) runs `clock_offset.value` seconds ahead when given (a
    shared `multiprocessing.Value`, moved by the bench: a time-zone send's waves), and they
    take no message while `paused` (a spawn `Event`) is set."""
    assert stack.endpoint_url is not None, "worker processes need moto served (moto_env.server)"
    spawn = multiprocessing.get_context("spawn")
    stop, ready = spawn.Event(), spawn.Semaphore(0)
    environment = child_environment(stack, stack.environment(stack.function(FUNCTION)))
    workers = [
        spawn.Process(
            target=_work,
            args=(environment, _poller(stack), ses, max_rate, stop, ready, clock_offset, paused),
            name=f"campaign-worker-{n}",
        )
        for n in range(count)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            if not ready.acquire(timeout=START_TIMEOUT):
                raise RuntimeError("a campaign worker process did not start")
        yield
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()


def _work(
    environment: dict[str, str],
    poller: Poller,
    ses: StrictSes,
    max_rate: float,
    stop: Stopping,
    ready: Any,
    clock_offset: Any = None,
    paused: Any = None,
) -> None:
    """A worker process: the function's environment, SES answering GetAccount with
    `max_rate` and limiting sends strictly, then polling."""
    os.environ.clear()
    os.environ.update(environment)
    from ecrm.platform import aws, clock  # noqa: PLC0415 - after the environment is set

    if clock_offset is not None:
        clock.now = lambda: time.time() + clock_offset.value
    from local.moto_backend import answer_get_account  # noqa: PLC0415
    from mailing.sender import lambda_handler  # noqa: PLC0415

    answer_get_account(aws.sesv2(), max_send_rate=max_rate)
    ses.install(aws.sesv2())
    ready.release()
    poller.poll(stop, lambda_handler, paused=paused)


# --- worker threads -------------------------------------------------------------------------


class Workers:
    """`count` concurrent pollers in this process. A killed invocation's message becomes
    visible again at once (its redelivery).

    Each poller invokes its own copy of the handler module: a Lambda sandbox runs one
    invocation at a time, and a handler may keep per-invocation state at module level (the
    Powertools `BatchProcessor` it used held the records it was processing; shared, two
    threads swapped records and one plan message was never processed)."""

    def __init__(self, stack: Stack, count: int, injected: Faults | None = None) -> None:
        from mailing.sender import lambda_handler  # noqa: PLC0415

        self.handlers = [lambda_handler] + [_sandboxed_handler() for _ in range(count - 1)]
        self.poller = _poller(stack)
        self.faults = injected
        self.kills = 0
        self.lock = threading.Lock()

    def run_until(self, done: Callable[[], bool], timeout: float) -> None:
        stop = threading.Event()
        threads = [
            threading.Thread(target=self.poller.poll, args=(stop, handler, self._killed))
            for handler in self.handlers
        ]
        with quiet_interpreter():
            try:
                for thread in threads:
                    thread.start()
                wait_until(done, timeout)
            finally:  # whatever `done` raised: no worker outlives the moto it talks to
                stop.set()
                for thread in threads:
                    if thread.ident is not None:
                        thread.join()

    def _killed(self) -> None:
        with self.lock:
            self.kills += 1
            if self.faults:
                self.faults.revive()


def wait_until(done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done():
        time.sleep(0.5)  # each look is a GetItem on moto: CPU the workers need


def _sandboxed_handler() -> Callable[..., Any]:
    """The sender's handler from a fresh execution of its module (not put in `sys.modules`)."""
    from mailing.sender import lambda_handler  # noqa: PLC0415

    spec = importlib.util.find_spec(lambda_handler.__module__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Callable[..., Any] = module.lambda_handler
    return handler
