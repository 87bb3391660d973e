"""A person's rights over their data: a copy of everything held about them (export), and
erasure.

Everything about a contact lives in its own partition (`CONTACT#<id>`: profile, interactions,
consents, topic memberships, mail ledgers, scores, automation runs), so both are a Query of that
partition, page by page: no Scan, nothing else to look through. Outside it:

- the alias item of a changed address (`CONTACT#<id of the new address>`, `alias_of`): deleted;
- the suppression (`SUPPRESS#<address hash>`): kept, with `erased` added, so the address is
  never mailed again; a fresh double opt-in (or a topic joined while signed in) lifts it;
- the erasure record (`ERASURE#<contact id>`: when, and nothing else): written;
- used tokens, idempotency markers (their answers hold no personal data), rate counters (keyed
  by hashes) and campaign engagement markers (the pseudonymous id only) hold nothing to erase.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from aws_lambda_powertools import Logger

from ecrm import clock, keys, store, suppression
from ecrm.errors import Unauthenticated

logger = Logger(service="account", child=True)

_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems
_KEY_ATTRIBUTES = ("pk", "sk", "gsi1pk", "gsi1sk")
# sort-key prefix -> section of the export
_SECTIONS = (
    ("EVENT#", "interactions"),
    ("CONSENT#", "consents"),
    ("TOPIC#", "topics"),
    ("MAIL#", "mails"),
    ("SCORE#", "score_history"),
    ("SCORE", "score"),
)


def _partition(contact_id: str) -> str:
    return keys.contact(contact_id)["pk"]


def _section(sk: str) -> str:
    if sk == keys.PROFILE:
        return "contact"
    return next((name for prefix, name in _SECTIONS if sk.startswith(prefix)), "other")


def export(contact_id: str) -> dict[str, Any]:
    """Everything held about the contact, grouped by kind, without storage keys."""
    document: dict[str, Any] = {
        "exported_at": clock.iso(clock.now()),
        "contact_id": contact_id,
        "contact": None,
        **{name: [] for _, name in _SECTIONS if name != "score"},
        "score": None,
        "other": [],
    }
    for item in store.query_all(_partition(contact_id)):
        section = _section(item["sk"])
        data = {k: v for k, v in item.items() if k not in _KEY_ATTRIBUTES}
        if section in ("contact", "score"):
            document[section] = data
        else:
            document[section].append(data)
    contact = document["contact"]
    if contact is None or contact.get("alias_of"):
        raise Unauthenticated("There is no account here any more.")
    found = suppression.reasons(contact["email"])
    document["suppression"] = {"reasons": sorted(found)} if found else None
    logger.info("personal data exported", extra={"contact_id": contact_id})
    return document


def _chunks(items: Sequence[dict[str, str]], size: int) -> Iterator[Sequence[dict[str, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _delete_all(contact_id: str, *, keep_profile: bool) -> int:
    found = [
        {"pk": item["pk"], "sk": item["sk"]}
        for item in store.query_all(_partition(contact_id))
        if not (keep_profile and item["sk"] == keys.PROFILE)
    ]
    for chunk in _chunks(found, _TRANSACTION_ITEMS):
        store.transact([store.Delete(key) for key in chunk])
    return len(found)


def erase(contact_id: str, *, now: float | None = None) -> int:
    """Delete every item of the contact; keep the suppression and an erasure record. Returns
    how many items went. Safe to repeat after a failure part-way (it picks up what is left)."""
    contact = store.get(keys.contact(contact_id))
    if contact is None or contact.get("alias_of"):
        raise Unauthenticated("There is no account here any more.")
    at = clock.iso(clock.now() if now is None else now)
    email = str(contact["email"])
    # The profile goes last, with the suppression: until then a retry still finds the address.
    deleted = _delete_all(contact_id, keep_profile=True)
    final: list[store.Write] = [
        store.Delete(keys.contact(contact_id)),
        suppression.suppress(email, "erased", at),
        store.Put({**keys.erasure(contact_id), "type": "erasure", "erased_at": at}),
    ]
    if keys.contact_id_for(email) != contact_id:  # the alias of a changed address
        final.append(
            store.Delete(
                keys.contact(keys.contact_id_for(email)),
                condition="attribute_not_exists(pk) OR alias_of = :me",
                values={":me": contact_id},
            )
        )
    store.transact(final)
    # A stream consumer (a mail ledger, a score) may have written while we deleted: sweep once.
    deleted += 1 + _delete_all(contact_id, keep_profile=False)
    logger.info("contact erased", extra={"contact_id": contact_id, "items": deleted})
    return deleted
