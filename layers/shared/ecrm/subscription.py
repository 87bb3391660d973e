"""What a public form submission may change for the person its address names.

Anybody can type anybody's address into a public form, so a submission is a claim, not proof.
Consent is kept per topic, and the rules are:

- **A new address**: the contact is created from the submission, profile as typed. A single
  opt-in form's topics are active at once; a double opt-in form's wait, with the contact itself
  (`pending`), for the owner's click in the confirmation mail.
- **An address that has a contact**: nothing the submitter types changes what that contact's
  mails say. Profile values only fill fields that are empty (never overwrite what the person or a
  marketer set), and a topic becomes active
  - at once on a single opt-in form, for a contact still receiving mail who never left it (the
    company chose to trust its form; `left` is what the transaction found out);
  - otherwise only when the owner confirms it from a mail sent to the address: a double opt-in
    form, a contact who unsubscribed from everything, a topic the person left.
  On a double opt-in form the empty fields are filled when the owner confirms, with the topics;
  a submission that would fill some asks for a confirmation even when every topic is active.

A topic waiting for its confirmation is in the contact's `pending_topics`, never in `topics` or
the topic index: no campaign, automation, segment or export counts the contact in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecrm import contacts
from ecrm.contacts import FIELD_PREFIX, ContactStatus

if TYPE_CHECKING:  # the mail function asks `awaits_confirmation` without loading form code
    from ecrm.forms import Form
    from ecrm.submission import ValidSubmission, Value


@dataclass(frozen=True)
class Outcome:
    """The changes one submission makes now, and what waits for the owner's confirmation."""

    join: tuple[str, ...] = ()  # topics active from now on
    pending: tuple[str, ...] = ()  # topics that wait for the owner's click
    profile: dict[str, Value] = field(default_factory=dict)  # values written now
    fill_only: bool = False  # `profile` fills only the fields that are empty
    pending_profile: dict[str, Value] = field(default_factory=dict)  # filled on confirmation
    status: ContactStatus | None = None  # set now (None: left as it is)
    replace_topics: bool = False  # `join` replaces `topics` (a contact that received nothing)
    # The owner's click also (re)starts their mail: a new address on a double opt-in form, or a
    # contact who does not receive mail now (pending, unsubscribed).
    confirms_address: bool = False

    @property
    def confirmation_required(self) -> bool:
        return bool(self.pending or self.pending_profile) or self.confirms_address


def for_new_contact(form: Form, sub: ValidSubmission) -> Outcome:
    if form.double_opt_in:
        return Outcome(
            pending=tuple(form.topics),
            profile=sub.profile,
            status=ContactStatus.PENDING,
            confirms_address=True,
        )
    return Outcome(
        join=tuple(form.topics),
        profile=sub.profile,
        status=ContactStatus.SUBSCRIBED,
        replace_topics=True,
    )


def for_existing_contact(
    form: Form, sub: ValidSubmission, contact: Mapping[str, Any], left: Set[str] = frozenset()
) -> Outcome:
    """`left`: topics whose membership says the person left them (found by the transaction)."""
    status = contact.get("status")
    active = contacts.active_topics(contact)
    wanted = [t for t in form.topics if t not in active]
    empty = {k: v for k, v in sub.profile.items() if FIELD_PREFIX + k not in contact}
    receiving = status in (ContactStatus.SUBSCRIBED, ContactStatus.PENDING)
    if form.double_opt_in or not receiving:
        return Outcome(
            pending=tuple(wanted),
            profile={} if form.double_opt_in else empty,
            fill_only=True,
            pending_profile=empty if form.double_opt_in else {},
            confirms_address=status != ContactStatus.SUBSCRIBED,
        )
    join = tuple(t for t in wanted if t not in left)
    becomes_subscribed = status == ContactStatus.PENDING and (join or not form.topics)
    return Outcome(
        join=join,
        pending=tuple(t for t in wanted if t in left),
        profile=empty,
        fill_only=True,
        status=ContactStatus.SUBSCRIBED if becomes_subscribed else None,
        replace_topics=bool(becomes_subscribed),
    )


def awaits_confirmation(submitted: Mapping[str, Any], contact: Mapping[str, Any]) -> bool:
    """Whether a submission's confirmation mail still has something to confirm: the contact
    does not receive mail yet (or any more), a topic it left waiting is not active, or a field
    it would fill is still empty."""
    if contact.get("status") != ContactStatus.SUBSCRIBED:
        return True
    if set(submitted.get("pending_topics") or []) - contacts.active_topics(contact):
        return True
    return any(FIELD_PREFIX + k not in contact for k in submitted.get("pending_profile") or {})
