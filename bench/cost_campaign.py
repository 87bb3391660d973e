"""The campaign flow docs/cost.md prices per mail: one campaign to `RECIPIENTS` subscribed
contacts, sent by the campaign sender's real handler, its plan and batch messages delivered
one per invocation (the template's BatchSize 1) as the SQS event source would, every stream
record its writes cause delivered to the consumers whose filters match (`Product.settle`).

The contacts are written before the flow starts and their stream records skipped (their
sign-ups are priced apart; the visitors of the other flows, subscribed to the same topic, are
in the audience too). The queue is read with a client the meter does not count: the
event source's SQS requests are priced from the message count (`sqs_messages`).

moto runs the flow's transactions without its rollback copy of the table (`bench.moto_env.
in_process` has them so): a claim of 50 recipients is a transaction of 50 items, and stock moto
deep-copied the whole table for each, cyclic garbage that took this process to 3.5 GB before
the collector's next full pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from bench import campaign_env
from ecrm.campaigns import states
from ecrm.mail import pacing
from ecrm.platform import aws, keys, store
from local.intrinsics import REGION
from local.moto_backend import answer_get_account
from local.queues import lambda_record

if TYPE_CHECKING:  # cost_counts runs this flow
    from bench.cost_counts import Product, Tally

RECIPIENTS = 400
SENDER = "CampaignSenderFunction"
MAX_RATE = 200.0  # sends a second: slots the sender keeps up with (no skipped slot to re-reserve)


def campaign_flow(product: Product, queue_url: str, queue_arn: str) -> Tally:
    campaign_env.seed(RECIPIENTS, start=100_000)
    campaign_id = campaign_env.campaign()
    product.skip_pending()
    answer_get_account(aws.sesv2(), max_send_rate=MAX_RATE)
    pacing.forget_cached()
    sqs = boto3.session.Session().client("sqs", region_name=REGION)
    product.begin()
    states.send_now(campaign_id)
    product.settle()
    messages = 0
    while (got := sqs.receive_message(QueueUrl=queue_url, AttributeNames=["All"])).get("Messages"):
        message = got["Messages"][0]
        messages += 1
        answer = product.invoke(SENDER, {"Records": [lambda_record(message, queue_arn, REGION)]})
        product.settle()
        if answer and answer.get("batchItemFailures"):
            raise RuntimeError(f"{SENDER} failed: {answer}")
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    tally = product.end()
    tally.sqs_messages = messages
    campaign = store.get(keys.campaign(campaign_id)) or {}
    if campaign.get("state") != "done" or tally.ses_sends != campaign.get("audience"):
        raise RuntimeError(f"the campaign ended {campaign.get('state')}: {tally.ses_sends} mails")
    return tally
