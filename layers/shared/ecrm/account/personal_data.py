"""A person's rights over their data: a copy of everything held about them (export), and
erasure.

Everything about a contact lives in its own partition (`CONTACT#<id>`: profile, interactions,
consents, topic memberships, mail ledgers, scores, automation runs), so both are a Query of that
partition, page by page: no Scan, nothing else to look through. Outside it:

- the alias item of a changed address (`CONTACT#<id of the new address>`, `alias_of`): deleted;
- the suppression: moved to its keyed form (`ecrm.contacts.suppression.for_erasure`), with `erased`
  added, so the address is never mailed again and the table does not lead from the address to
  it; a fresh double opt-in lifts it;
- the erasure record (`ERASURE#<keyed hash of the contact id>`: when, and nothing else);
- the campaigns the contact's interactions name, and those started lately, which may have
  planned the contact without mailing it (`ecrm.campaigns.erasure.recent`): their send ledger
  item goes, their unique engagement markers are rekeyed by the contact id's keyed pseudonym
  (so a later event of an old mail counts once, `ecrm.mail.events`), the contact's entry in
  their audience pages becomes that pseudonym (`ecrm.campaigns.erasure`), and nothing holds
  the plain id any more;
- used tokens, idempotency markers (their answers hold no personal data) and rate counters
  (short-lived, keyed by hashes) hold nothing to erase.

The contact id itself is a plain hash of the address (capture needs no key to deduplicate), so
nothing kept after an erasure may hold it, and logs never do.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from ecrm.campaigns import erasure as campaign_erasure
from ecrm.contacts import suppression
from ecrm.mail import send_ledger
from ecrm.platform import clock, keys, normalise, pseudonyms, store
from ecrm.platform.errors import InvalidInput, NotFound, Unauthenticated

logger = Logger(service="account", child=True)

_T = TypeVar("_T")
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
    logger.info("personal data exported")
    return document


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _delete_all(contact_id: str, recent: set[str], *, keep_profile: bool) -> tuple[int, set[str]]:
    """Delete the partition; first the topic memberships (so no audience page planned from
    now on holds the contact), then what the campaigns hold about the contact: those its
    interactions name and the `recent` ones, which may have planned it without mailing it yet
    (before the interactions go, so a retry after a failure still finds them). Returns how
    many items went and the campaigns looked at."""
    found, memberships, campaigns = [], [], set(recent)
    for item in store.query_all(_partition(contact_id)):
        if item.get("campaign_id"):
            campaigns.add(str(item["campaign_id"]))
        key = {"pk": item["pk"], "sk": item["sk"]}
        if item["sk"].startswith(keys.TOPICS):
            memberships.append(key)
        elif not (keep_profile and item["sk"] == keys.PROFILE):
            found.append(key)
    for chunk in _chunks(memberships, _TRANSACTION_ITEMS):
        store.transact([store.Delete(key) for key in chunk])
    removed = campaign_erasure.forget(contact_id, campaigns) if keep_profile else 0
    removed += _campaign_remnants(contact_id, campaigns)
    for chunk in _chunks(found, _TRANSACTION_ITEMS):
        store.transact([store.Delete(key) for key in chunk])
    return len(memberships) + len(found) + removed, campaigns


ENGAGEMENTS = ("opened", "clicked", "bounced", "complained", "unsubscribed")


def _campaign_remnants(contact_id: str, campaigns: set[str]) -> int:
    """The send ledger items go; the engagement markers are rekeyed (counts stay right)."""
    ledgers = [keys.send_ledger(c, contact_id) for c in sorted(campaigns)]
    markers = [
        keys.campaign_engagement(c, kind, contact_id)
        for c in sorted(campaigns)
        for kind in ENGAGEMENTS
    ]
    found = store.batch_get([*ledgers, *markers]) if campaigns else {}
    writes: list[store.Write] = []
    for key in ledgers + markers:
        item = found.get((key["pk"], key["sk"]))
        if item is None:
            continue
        writes.append(store.Delete(key))
        if key in markers:
            kind = key["sk"].split("#")[1]
            campaign_id = keys.campaign_id_of(key["pk"])
            rekeyed = keys.campaign_engagement(
                campaign_id, kind, pseudonyms.erased_contact(contact_id)
            )
            expires = item.get("expires_at") or send_ledger.expiry(send_ledger.ENGAGEMENT_DAYS)
            writes.append(store.Put({**rekeyed, "type": "engagement", "expires_at": expires}))
    for chunk in _chunks(writes, _TRANSACTION_ITEMS):
        store.transact(list(chunk))
    return len(found)


def erase_confirmed(contact_id: str, typed_address: str) -> int:
    """A marketer's erasure on the contact's request (`DELETE /admin/contacts/{id}`): the
    contact's own address, typed, confirms it (read as a submission reads it), so a wrong id,
    a slip or a call made without looking at the contact erases nothing."""
    contact = store.get(keys.contact(contact_id))
    if contact is None or contact.get("alias_of") or contact.get("type", "contact") != "contact":
        raise NotFound("No contact has this id.")
    try:
        typed = normalise.email(typed_address)
    except normalise.NotNormalisable:
        typed = ""
    if typed != contact.get("email"):
        problem = "Type this contact's address exactly to confirm the erasure."
        raise InvalidInput("The address typed is not this contact's.", {"email": problem})
    return erase(contact_id)


def erase(contact_id: str, *, now: float | None = None) -> int:
    """Delete every item of the contact; keep the suppression and an erasure record. Returns
    how many items went. Safe to repeat after a failure part-way (it picks up what is left)."""
    contact = store.get(keys.contact(contact_id))
    if contact is None or contact.get("alias_of"):
        raise Unauthenticated("There is no account here any more.")
    at = clock.iso(clock.now() if now is None else now)
    email = str(contact["email"])
    # The profile goes last, with the suppression: until then a retry still finds the address.
    recent = campaign_erasure.recent()
    deleted, campaigns = _delete_all(contact_id, recent, keep_profile=True)
    record = keys.erasure(pseudonyms.of("erasure", contact_id))
    final: list[store.Write] = [
        store.Delete(keys.contact(contact_id)),
        *suppression.for_erasure(email, at),
        store.Put({**record, "type": "erasure", "erased_at": at}),
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
    # (A batch that read the contact before it went may have written its ledger item since.)
    deleted += 1 + _delete_all(contact_id, campaigns, keep_profile=False)[0]
    logger.info("contact erased", extra={"items": deleted})
    return deleted
