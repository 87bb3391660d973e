"""An A/B test's results count each variant's recipients beside its mails: a test recipient
who may not be mailed when the sender reaches them (unsubscribed since planning) is one of
the variant's recipients but none of its mails, and the holdout is counted apart; each once,
also when the batch is delivered again."""

from __future__ import annotations

from collections import Counter

from ecrm.campaigns import ab, plan, queue
from ecrm.platform import keys, store
from tests.conftest import table_items
from tests.integration.campaigns.conftest import Sent, campaign, run_queue
from tests.integration.campaigns.test_ab_tests import groups, mailed, start


def test_each_variant_shows_its_recipients_its_mails_and_the_holdout_once(
    campaign_env: Sent,
) -> None:
    campaign_id, ids = start()
    group = groups(campaign_id, ids)
    tested = sorted(c for c, g in group.items() if g in ("A", "B"))
    gone = tested[0]  # unsubscribed after planning: judged, skipped, not mailed
    store.write(
        store.Update(
            keys.contact(gone), "SET #s = :u", names={"#s": "status"}, values={":u": "unsubscribed"}
        )
    )
    run_queue()

    shown = campaign(campaign_id)["ab_test"]
    results = {r["id"]: r for r in shown["results"]}
    assigned = Counter(group[c] for c in tested)
    sent = Counter(group[c] for c in mailed(campaign_env))
    assert {v: results[v]["recipients"] for v in "AB"} == {v: assigned[v] for v in "AB"}
    assert {v: results[v]["sent"] for v in "AB"} == {v: sent[v] for v in "AB"}
    assert results[group[gone]]["recipients"] == results[group[gone]]["sent"] + 1
    assert shown["holdout"] == sum(g == ab.HOLDOUT for g in group.values()) > 0

    # Each test batch delivered again (its recipients done, its rest still held) counts nothing.
    tallied = [i["sk"].split("#")[1] for i in table_items() if i["sk"].endswith("#test")]
    assert tallied
    queue.send([plan.batch_message(campaign_id, batch, attempt=1) for batch in tallied])
    run_queue()
    assert campaign(campaign_id)["ab_test"]["results"] == shown["results"]
    assert campaign(campaign_id)["ab_test"]["holdout"] == shown["holdout"]
