"""What a public form submission may change for the person its address names.

Anybody can type anybody's address into a public form, so a submission is a claim, not proof.
Consent is kept per topic, and the rules are:

- **Double opt-in form**: nothing changes what the address's mails say before the owner clicks
  the link mailed to it. The topics wait in the contact's `pending_topics` (never in `topics` or
  the topic index: no campaign, segment, automation or export counts the contact in them), the
  typed profile values wait on the submission, and the click activates the topics and fills
  the fields that are still empty. A new address is created `pending`; an existing contact
  keeps its status.
- **Single opt-in form**: the company chose to trust its form, so a contact receiving mail (or
  a new address) joins the topics at once, and its empty fields are filled. Never at once: a
  topic the person left (its membership says `left_at`), and anything for a contact who does not
  receive mail (pending, or unsubscribed from everything): those wait for the owner's click too.
- Profile values never overwrite what the person or a marketer set: they fill empty fields.

A submission is planned without reading the contact (`blind`): one transaction for a new or a
returning address alike. Only a single opt-in submission about a contact that does not receive
mail, or about a topic the person left, fails its condition; the cancellation hands the item
back and the next attempt is planned against it (`informed`).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecrm.contacts import records
from ecrm.contacts.records import FIELD_PREFIX, ContactStatus

if TYPE_CHECKING:  # the mail function asks `awaits_confirmation` without loading form code
    from ecrm.contacts.form_view import FormView as Form
    from ecrm.contacts.submission import ValidSubmission, Value


@dataclass(frozen=True)
class Outcome:
    """The changes one submission makes now, and what waits for the owner's confirmation."""

    join: tuple[str, ...] = ()  # topics active from now on
    pending: tuple[str, ...] = ()  # topics that wait for the owner's click
    profile: dict[str, Value] = field(default_factory=dict)  # fills empty fields now
    pending_profile: dict[str, Value] = field(default_factory=dict)  # ... at the owner's click
    status: ContactStatus | None = None  # set now (None: left as it is)
    status_if_new: ContactStatus | None = None  # the status of a contact created now
    replace_topics: bool = False  # `join` replaces `topics` (a contact that received nothing)
    # The plan holds only for a contact receiving mail (or none yet): the condition says so.
    only_if_receiving: bool = False
    # Whether the stream hands the submission to the confirmation mail (which mails only when
    # something is still to confirm: `awaits_confirmation`).
    confirmation_required: bool = False


def blind(form: Form, sub: ValidSubmission, left: Set[str] = frozenset()) -> Outcome:
    """The plan for an address whatever its contact (`left`: topics the person left, found by
    an earlier attempt's membership conditions)."""
    if form.double_opt_in:
        return Outcome(
            pending=tuple(form.topics),
            pending_profile=sub.profile,
            status_if_new=ContactStatus.PENDING,
            confirmation_required=True,
        )
    return Outcome(
        join=tuple(t for t in form.topics if t not in left),
        pending=tuple(t for t in form.topics if t in left),
        profile=sub.profile,
        status=ContactStatus.SUBSCRIBED,
        only_if_receiving=True,
        confirmation_required=bool(left & set(form.topics)),
    )


def informed(
    form: Form, sub: ValidSubmission, contact: Mapping[str, Any], left: Set[str] = frozenset()
) -> Outcome:
    """A single opt-in submission about a contact that does not receive mail: a pending one is
    subscribed to exactly the form's topics (not to any it holds from before consent was per
    topic); an unsubscribed one gets a confirmation mail and nothing else changes. (One that
    receives mail again since it was read is planned as any other.)"""
    if contact.get("status") == ContactStatus.SUBSCRIBED:
        return blind(form, sub, left)
    if contact.get("status") == ContactStatus.PENDING:
        join = tuple(t for t in form.topics if t not in left)
        return Outcome(
            join=join,
            pending=tuple(t for t in form.topics if t in left),
            profile=sub.profile,
            status=ContactStatus.SUBSCRIBED,
            replace_topics=True,
            confirmation_required=bool(left & set(form.topics)),
        )
    return Outcome(pending=tuple(form.topics), profile=sub.profile, confirmation_required=True)


def awaits_confirmation(submitted: Mapping[str, Any], contact: Mapping[str, Any]) -> bool:
    """Whether a submission's confirmation mail still has something to confirm: the contact
    does not receive mail, a topic it asked for is not active, or a field it would fill is
    still empty."""
    if contact.get("status") != ContactStatus.SUBSCRIBED:
        return True
    if set(submitted.get("pending_topics") or []) - records.active_topics(contact):
        return True
    return any(FIELD_PREFIX + k not in contact for k in submitted.get("pending_profile") or {})
