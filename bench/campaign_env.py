"""The campaign bench's stage: contacts and a campaign written through the domain, the sender's
environment (GetAccount answered, moto's transactions without their table copy), the SQS event
source as concurrent pollers, and SES's rate limit played strictly."""

from __future__ import annotations

import gc
import importlib.util
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from bench.moto_env import Stack, as_function
from ecrm import (
    aws,
    campaign_content,
    campaigns,
    clock,
    keys,
    mail_templates,
    pacing,
    profile_schema,
    segments,
    store,
)
from local.faults import Faults, Killed
from local.moto_backend import (
    answer_get_account,
    fast_index_queries,
    fast_item_responses,
    fast_raw_sends,
    fast_transactions,
)
from local.queues import lambda_record
from local.stack import DEMO_PROFILE
from mailing.sender import lambda_handler

FUNCTION = "CampaignSenderFunction"
SWITCH_INTERVAL = 0.0005  # seconds (see `Workers.run_until`)
HTML = """<html><head><style>p { font-family: sans-serif }</style></head><body>
<h1>The November news</h1>
<p>Hello {{ contact.first_name|default('there') }},</p>
<p>Here is what happened this month at {{ contact.company|default('your company') }}'s favourite
CRM: faster campaigns, a preference center, lead scoring that explains itself.</p>
{% for interest in contact.interests %}<p>Because you like {{ interest }}: more.</p>{% endfor %}
<p>Cheers,<br>the team</p>
<p style="font-size: small"><a href="{{ unsubscribe_url }}">Unsubscribe</a>
from {{ campaign.name }}</p>
</body></html>"""


# --- the product, set up -----------------------------------------------------------------


def seed(members: int, *, topics: int = 1, start: int = 0) -> None:
    """`members` subscribed contacts in each of `topics` topics (t0, t1, ...)."""
    at = clock.iso(clock.now())
    items = []
    for topic_number in range(topics):
        topic = "newsletter" if topics == 1 else f"t{topic_number}"
        for number in range(start, start + members):
            address = f"p{topic_number}-{number}@bench.example"
            contact_id = keys.contact_id_for(address)
            items.append(
                {
                    **keys.contact(contact_id),
                    "type": "contact",
                    "contact_id": contact_id,
                    "email": address,
                    "status": "subscribed",
                    "topics": {topic},
                    "updated_at": at,
                    "f_first_name": f"Ann {number}",
                    "f_company": "Acme",
                    "f_interests": ["guides"],
                }
            )
            membership = keys.topic_membership(contact_id, topic)
            items.append({**membership, "type": "topic_membership", "topic": topic})
    store.batch_put(items)


def campaign(topic: str = "newsletter") -> str:
    profile_schema.save(profile_schema.ProfileSchema.model_validate_json(DEMO_PROFILE.read_text()))
    template = mail_templates.MailTemplateIn(
        name="News", subject="News for {{ contact.first_name }}", html=HTML
    )
    mail_templates.create("news", template)
    segments.create("everyone", segments.SegmentIn(name="All", topic=topic))
    sender = campaigns.SenderIn(email="news@example.com", name="Ecrm News")
    created = campaigns.create(
        campaigns.CampaignIn(name="Bench", template_id="news", segment_id="everyone", sender=sender)
    )
    return created.id


@contextmanager
def sender(stack: Stack, max_rate: float) -> Iterator[None]:
    """The sender's environment; GetAccount answered; moto's transactions without their
    O(table) copy, its item responses without its generic serializer, its index queries
    without a comparison-heavy sort and its raw sends reading headers only
    (`local.moto_backend`: same outcomes)."""
    with (
        as_function(stack, FUNCTION),
        fast_transactions(),
        fast_item_responses(),
        fast_index_queries(),
        fast_raw_sends(),
    ):
        pacing.forget_cached()
        campaign_content.forget_cached()
        profile_schema.forget_cached()
        answer_get_account(aws.sesv2(), max_send_rate=max_rate)
        yield


class Workers:
    """The SQS event source, `count` concurrent pollers delivering one message per invocation
    (BatchSize 1), as Lambda would with MaximumConcurrency `count`. A killed invocation's
    message becomes visible again at once (its redelivery).

    Each poller invokes its own copy of the handler module: a Lambda sandbox runs one
    invocation at a time, and the handler keeps per-invocation state at module level (the
    Powertools `BatchProcessor` holds the records it is processing; shared, two threads
    swapped records and one plan message was never processed)."""

    def __init__(self, stack: Stack, count: int, injected: Faults | None = None) -> None:
        self.handlers = [lambda_handler] + [_sandboxed_handler() for _ in range(count - 1)]
        self.context = stack.context(stack.function(FUNCTION))
        self.url = stack.names.refs["CampaignQueue"]
        self.arn = stack.names.attributes[("CampaignQueue", "Arn")]
        self.faults = injected
        self.kills = 0
        self.lock = threading.Lock()

    def run_until(self, done: Callable[[], bool], timeout: float) -> None:
        """Poll until `done()`. The pollers share one interpreter with moto (in Lambda each
        worker is a process of its own), which brings two pauses no worker would see, both
        kept out of the pacing figures while the pollers run:

        - a thread returning from a system call that released the GIL (botocore's invocation
          id, a sleep until a send slot) waits up to the switch interval (5 ms by default) to
          run again, late for its slot: the interval is shortened;
        - the cyclic garbage collector's full passes walk moto's whole world (every item,
          queue message and stored mail: 150-200 ms with the GIL held, twice a campaign),
          where a worker's heap is its own few objects: it is paused (reference counting
          still frees everything acyclic) and run once afterwards."""
        interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        gc.disable()
        try:
            self._run_until(done, timeout)
        finally:
            gc.enable()
            sys.setswitchinterval(interval)
            gc.collect()

    def _run_until(self, done: Callable[[], bool], timeout: float) -> None:
        stop = threading.Event()
        threads = [threading.Thread(target=self._poll, args=(stop, h)) for h in self.handlers]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done():
            time.sleep(0.5)  # each look is a GetItem on moto: CPU the workers need
        stop.set()
        for thread in threads:
            thread.join()

    def _poll(self, stop: threading.Event, handler: Callable[..., Any]) -> None:
        sqs = aws.sqs()
        while not stop.is_set():
            got = sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=1, AttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                time.sleep(0.02)
                continue
            record = lambda_record(got[0], self.arn, "us-east-1")
            try:
                response = handler({"Records": [record]}, self.context)
            except Killed:
                with self.lock:
                    self.kills += 1
                    if self.faults:
                        self.faults.revive()
                sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
                continue
            if response.get("batchItemFailures"):
                sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=record["receiptHandle"])


def _sandboxed_handler() -> Callable[..., Any]:
    """The sender's handler from a fresh execution of its module (not put in `sys.modules`)."""
    spec = importlib.util.find_spec(lambda_handler.__module__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Callable[..., Any] = module.lambda_handler
    return handler


def state(campaign_id: str) -> str:
    found = store.get(keys.campaign(campaign_id))
    return str(found.get("state")) if found else "?"


class StrictSes:
    """SES's rate limit, strictly: at most `rate` sends in any one-second window."""

    def __init__(self, rate: float) -> None:
        self.rate = int(rate)
        self.window: deque[float] = deque()
        self.accepted: list[float] = []
        self.throttled = 0
        self.lock = threading.Lock()

    def install(self, client: Any) -> None:
        client.meta.events.register("before-call.sesv2.SendEmail", self._check, unique_id="strict")

    def _check(self, **_: Any) -> None:
        with self.lock:
            now = time.monotonic()
            while self.window and now - self.window[0] >= 1.0:
                self.window.popleft()
            if len(self.window) >= self.rate:
                self.throttled += 1
                error = {"Error": {"Code": "TooManyRequestsException", "Message": "rate"}}
                raise ClientError(error, "SendEmail")  # type: ignore[arg-type]
            self.window.append(now)
            self.accepted.append(now)
