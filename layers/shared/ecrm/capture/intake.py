"""Capturing a form submission: validate, normalise, deduplicate, record consent, all in one
DynamoDB transaction (contact + interaction + consent + topics + idempotency marker + rate
counters), so a submission is either wholly stored or not at all."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from ecrm.contacts import form_store, records, submission, subscription
from ecrm.contacts.form_view import FormView as Form
from ecrm.contacts.submission import ValidSubmission
from ecrm.platform import clock, keys, store
from ecrm.platform.errors import Busy, InvalidInput, OriginNotAllowed, RateLimited
from ecrm.platform.idempotency import Marker
from ecrm.platform.ratelimit import Limit
from ecrm.platform.settings import settings

logger = Logger(service="capture", child=True)

_IDEMPOTENCY_KEY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Client:
    """Who is submitting, as far as the request tells (IP and user agent go to consent only)."""

    ip: str
    user_agent: str = ""
    origin: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Receipt:
    submission_id: str
    confirmation_required: bool
    message: str
    redirect_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Plan:
    """The writes of one submission and where the ones that can fail sit in the list."""

    writes: list[store.Write]
    contact: int
    form_check: int
    memberships: dict[int, str]  # write index -> topic, for joins that fail if the person left
    marker: int
    counters: tuple[int, int]
    limits: tuple[Limit, Limit]
    idempotency: Marker
    receipt: Receipt


@dataclass
class _Known:
    """What earlier attempts of this submission found out about the contact."""

    contact_id: str
    contact: dict[str, Any] | None = None  # read back from a cancellation (`informed` plans)
    left: set[str] = field(default_factory=set)  # topics the person left


def check_origin(form: Form, origin: str | None) -> None:
    """Browsers send Origin on cross-site posts; a form lists the sites allowed to embed it."""
    if origin and form.allowed_origins and origin not in form.allowed_origins:
        raise OriginNotAllowed("This form cannot be submitted from this site.")


def _receipt(form: Form) -> Receipt:
    redirect = str(form.redirect_url) if form.redirect_url else None
    return Receipt(f"sub_{secrets.token_hex(10)}", form.double_opt_in, form.thank_you, redirect)


def _looks_automated(raw: Mapping[str, Any], now: float) -> bool:
    signals = submission.bot_signals(raw)
    too_fast = signals.rendered_at_ms is not None and (
        0 <= now * 1000 - signals.rendered_at_ms < settings().min_fill_seconds * 1000
    )
    return signals.honeypot_filled or too_fast


def _marker(form: Form, sub: ValidSubmission, client: Client, now: float) -> Marker:
    if client.idempotency_key:
        return Marker(
            f"submit:{form.id}:key", client.idempotency_key, int(now) + _IDEMPOTENCY_KEY_SECONDS
        )
    # Without a key, the same normalised payload within a short window is a retry.
    payload = json.dumps([sub.email, sub.profile, sub.tracking], sort_keys=True, default=str)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    return Marker(
        f"submit:{form.id}:payload", digest, int(now) + settings().duplicate_window_seconds
    )


def _outcome(form: Form, sub: ValidSubmission, known: _Known) -> subscription.Outcome:
    if known.contact is None:
        return subscription.blind(form, sub, known.left)
    return subscription.informed(form, sub, known.contact, known.left)


def _plan(form: Form, sub: ValidSubmission, client: Client, now: float, known: _Known) -> _Plan:
    cfg = settings()
    at = clock.iso(now)
    receipt = _receipt(form)
    event_id = receipt.submission_id
    contact_id = known.contact_id
    outcome = _outcome(form, sub, known)
    consent_ref = f"{at}#{event_id}" if form.consent else None
    interaction = {
        **keys.interaction(contact_id, at, event_id),
        "type": "form_submitted",
        "contact_id": contact_id,
        "event_id": event_id,
        "at": at,
        "form_id": form.id,
        "form_version": form.version,
        "form_title": form.title,  # what the confirmation mail names, without reading the form
        "confirmation_required": outcome.confirmation_required,
        "consent_ref": consent_ref,
        "topics": form.topics or None,
        "joined_topics": outcome.join or None,
        "pending_topics": outcome.pending or None,
        # Kept for the owner's click: what the submitter typed never changes a stored contact
        # before it (`subscription`).
        "pending_profile": outcome.pending_profile or None,
        "tracking": sub.tracking or None,
    }
    version = known.contact.get("version", 0) if known.contact else None
    writes: list[store.Write] = [
        form_store.version_check(form),
        records.from_submission(contact_id, sub, form, outcome, at, version=version),
        store.Put(interaction, condition="attribute_not_exists(pk)"),
    ]
    if form.consent:
        consent = {
            **keys.consent(contact_id, at, event_id),
            "type": "consent",
            "form_id": form.id,
            "form_version": form.version,
            "consent_version": form.consent.version,
            "text": form.consent.text,
            "text_hash": form.consent.text_hash,
            "ip": client.ip,
            "user_agent": client.user_agent[:512],
            "given_at": at,
            "double_opt_in": form.double_opt_in,
            # Per topic, how the consent took effect: at once (a single opt-in form), or when
            # the owner confirms from the mail (`confirmed_at`, `confirmed_by` then).
            "topics": form.topics or None,
            "active_at_once": outcome.join or None,
            "awaiting_confirmation": outcome.pending or None,
        }
        writes.append(store.Put(consent, condition="attribute_not_exists(pk)"))
    memberships: dict[int, str] = {}
    for topic in outcome.join:
        memberships[len(writes)] = topic
        writes.append(records.join_topic(contact_id, topic, at, unless_left=True))
    marker = _marker(form, sub, client, now)
    limits = (
        Limit("ip", client.ip, cfg.rate_limit_per_ip, cfg.rate_window_seconds),
        Limit.per_address("email", sub.email, cfg.rate_limit_per_email, cfg.rate_window_seconds),
    )
    writes += [marker.claim(receipt.to_dict(), now), limits[0].count(now), limits[1].count(now)]
    n = len(writes)
    return _Plan(writes, 1, 0, memberships, n - 3, (n - 2, n - 1), limits, marker, receipt)


def _validated(form: Form, raw: Mapping[str, Any]) -> tuple[Form, ValidSubmission]:
    """Read the submission; if it fails against a cached definition, against the current one."""
    try:
        return form, submission.read(form, raw)
    except InvalidInput:
        current = form_store.load(form.id, fresh=True)
        if current.version == form.version:
            raise
        return current, submission.read(current, raw)


def _rate_limit_hit(plan: _Plan, failed: list[bool], now: float) -> RateLimited | None:
    for index, limit in zip(plan.counters, plan.limits, strict=True):
        if failed[index]:
            return RateLimited("Too many submissions; please wait.", limit.retry_after(now))
    return None


def submit(
    form_id: str, raw: Mapping[str, Any], client: Client, *, now: float | None = None
) -> Receipt:
    now = clock.now() if now is None else now
    form = form_store.load(form_id)
    check_origin(form, client.origin)
    # Validate first: a person who autofills fast still learns about a typo in their address.
    form, sub = _validated(form, raw)
    if _looks_automated(raw, now):
        logger.info("submission dropped as automated", extra={"form_id": form.id})
        return _receipt(form)
    known = _Known(keys.contact_id_for(sub.email))
    # One attempt, new address or returning. Rarer, one more each: an alias to follow, a single
    # opt-in about a contact not receiving mail, a topic the person left, a change in between.
    for _ in range(5):
        plan = _plan(form, sub, client, now, known)
        try:
            store.transact(plan.writes)
        except store.TransactionCancelled as cancelled:
            failed = cancelled.failed
            if failed[plan.marker] and (answer := plan.idempotency.first_answer()) is not None:
                logger.info("retry answered from its marker", extra={"form_id": form.id})
                return Receipt(**answer)
            if limited := _rate_limit_hit(plan, failed, now):
                raise limited from None
            if failed[plan.form_check]:  # the definition changed since we cached it
                form, sub = _validated(form_store.load(form_id, fresh=True), raw)
            known.left |= {topic for index, topic in plan.memberships.items() if failed[index]}
            if failed[plan.contact]:
                found = cancelled.old_items[plan.contact]
                if found and found.get("alias_of"):  # the address moved here: follow it
                    known.contact_id, known.contact = str(found["alias_of"]), None
                else:  # found: plan against it; None: it went away, plan blind again
                    known.contact = found
            continue
        logger.info(
            "submission stored", extra={"form_id": form.id, "event_id": plan.receipt.submission_id}
        )
        return plan.receipt
    raise Busy()
