"""A page's recipients go out in equal batches, fixed when the page is first planned."""

from __future__ import annotations

from typing import Any

import pytest

from ecrm.campaigns import plan, queue, states
from ecrm.platform import keys, store
from ecrm.segments import audience
from tests.integration.campaigns.conftest import Sent, add_contacts, create_campaign


def test_batches_are_equal_parts_of_at_most_fifty() -> None:
    assert plan.batch_size(261) == 44  # 44 x 5 + 41, not 50 x 5 + 11
    assert plan.batch_size(50) == 50 and plan.batch_size(51) == 26
    assert plan.batch_size(7) == 7 and plan.batch_size(0) == 50
    sizes = [
        len(m["recipients"]) for m in plan.batch_messages("c", 0, 0, list(range(261)), size=44)
    ]
    assert sizes == [44, 44, 44, 44, 44, 41]


def _planned(monkeypatch: pytest.MonkeyPatch, campaign_id: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(queue, "send", lambda messages, **_: sent.extend(messages))
    plan.plan(plan.plan_message(campaign_id, 0, 0, None))
    return [m for m in sent if m["kind"] == "batch"]


def _started(monkeypatch: pytest.MonkeyPatch) -> str:
    """A campaign sending (its content stored), its fan-out not delivered."""
    campaign_id = create_campaign()
    monkeypatch.setattr(queue, "send", lambda *_, **__: None)
    states.send_now(campaign_id)
    return campaign_id


def test_a_page_stores_its_batch_size_and_every_replan_splits_it_the_same(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_contacts(600)  # ~75 in each of the 8 topic shards: more than one batch
    campaign_id = _started(monkeypatch)

    first = _planned(monkeypatch, campaign_id)
    page = store.get(keys.campaign_page(campaign_id, 0, 0))
    assert page is not None and len(page["recipients"]) > plan.BATCH_SIZE
    assert page["batch_size"] == plan.batch_size(len(page["recipients"]))
    sizes = [len(b["recipients"]) for b in first]
    assert len(sizes) > 1 and max(sizes) - min(sizes) <= 1
    assert _planned(monkeypatch, campaign_id) == first


def test_a_page_planned_before_sizes_were_stored_keeps_its_batches_of_fifty(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign_id = _started(monkeypatch)
    recipients = [[f"c{n}", f"p{n}@example.org"] for n in range(61)]
    page = {"recipients": recipients, "next": None, "last": True, "type": "campaign_page"}
    store.write(store.Put({**keys.campaign_page(campaign_id, 0, 0), **page}))

    assert [len(b["recipients"]) for b in _planned(monkeypatch, campaign_id)] == [50, 11]


@pytest.mark.parametrize(
    ("page_size", "pages"),
    [
        (lambda n: n - 1, [("n", True)]),  # a tail of one joins the full page before it
        (lambda n: n, [("n", True)]),  # a full last page: no empty page after it
        (lambda n: n // 2, [("half", False), ("rest", True)]),  # over a fifth: a page of its own
    ],
)
def test_a_shards_tail_of_at_most_a_fifth_of_a_page_joins_the_page_before_it(
    campaign_env: Sent, monkeypatch: pytest.MonkeyPatch, page_size: Any, pages: Any
) -> None:
    """So that no wave of a local-time send, nor any campaign, ends a shard with a batch of a
    few recipients (a short send turn: the pace idles until the other workers are ready)."""
    in_shard = sum(keys.topic_shard(c) == 0 for c in add_contacts(200))
    size = page_size(in_shard)
    monkeypatch.setattr(audience, "PAGE_SIZE", size)
    campaign_id = _started(monkeypatch)
    _planned(monkeypatch, campaign_id)  # page 0 (and the plan of page 1, run below)
    if len(pages) > 1:
        start = store.get(keys.campaign_page(campaign_id, 0, 0))["next"]  # type: ignore[index]
        monkeypatch.setattr(queue, "send", lambda *_, **__: None)
        plan.plan(plan.plan_message(campaign_id, 0, 1, start))
    expected = {"n": in_shard, "half": size, "rest": in_shard - size}
    found = [store.get(keys.campaign_page(campaign_id, 0, n)) for n in range(len(pages) + 1)]
    assert [(len(p["recipients"]), p["last"]) for p in found if p] == [
        (expected[name], last) for name, last in pages
    ]
