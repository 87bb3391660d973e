from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ecrm.platform import keys


def test_contact_id_is_stable_per_address_and_different_across_addresses() -> None:
    assert keys.contact_id_for("ann@example.com") == keys.contact_id_for("ann@example.com")
    assert keys.contact_id_for("ann@example.com") != keys.contact_id_for("bob@example.com")
    assert keys.contact(keys.contact_id_for("ann@example.com"))["sk"] == "PROFILE"


def test_contact_id_reveals_nothing_readable_of_the_address() -> None:
    contact_id = keys.contact_id_for("ann@example.com")
    assert "ann" not in contact_id and "example" not in contact_id
    assert contact_id.isalnum() and len(contact_id) == 24


@given(st.text(min_size=1, max_size=40))
def test_topic_membership_lands_in_one_of_the_shards(contact_id: str) -> None:
    key = keys.topic_membership(contact_id, "news")
    shard = int(key["gsi1pk"].rsplit("#", 1)[1])
    assert 0 <= shard < keys.TOPIC_SHARDS
    assert key["gsi1sk"] == f"CONTACT#{contact_id}"


def test_interactions_sort_by_time_inside_the_contact_partition() -> None:
    early = keys.interaction("c1", "2026-01-01T00:00:00.000Z", "e2")
    late = keys.interaction("c1", "2026-01-02T00:00:00.000Z", "e1")
    assert early["pk"] == late["pk"] and early["sk"] < late["sk"]


def test_rate_counters_and_suppressions_never_contain_the_address() -> None:
    for key in (
        keys.rate_counter("email", "ann@example.com", 7),
        keys.suppression("ann@example.com"),
    ):
        assert "ann" not in key["pk"]
