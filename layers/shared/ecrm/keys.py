"""The only module that spells a key. Every item's pk/sk/gsi values are built here.

| item                | pk                          | sk                        | gsi1pk / gsi1sk                  |
|---------------------|-----------------------------|---------------------------|----------------------------------|
| contact             | CONTACT#<id>                | PROFILE                   |                                  |
| interaction         | CONTACT#<id>                | EVENT#<ts>#<event id>     |                                  |
| consent record      | CONTACT#<id>                | CONSENT#<ts>#<event id>   |                                  |
| topic membership    | CONTACT#<id>                | TOPIC#<topic>             | TOPIC#<topic>#<shard> / CONTACT# |
| transactional mail  | CONTACT#<id>                | MAIL#<kind>#<ref>         |                                  |
| form                | FORM#<id>                   | DEFINITION                |                                  |
| idempotency marker  | IDEMPOTENCY#<hash>          | IDEMPOTENCY               |                                  |
| rate-limit counter  | RATE#<scope>#<hash>#<window>| RATE                      |                                  |
| used token          | TOKEN#<token id>            | USED                      |                                  |
| suppression         | SUPPRESS#<email hash>       | SUPPRESS                  |                                  |
"""

from __future__ import annotations

import base64
import hashlib

TOPIC_SHARDS = 8

PROFILE = "PROFILE"
DEFINITION = "DEFINITION"


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def contact_id_for(normalized_email: str) -> str:
    """A contact's id is derived from its normalised email, so two racing submissions of one
    address address the same item: uniqueness without a lookup or a second item."""
    return base64.b32encode(_digest("contact", normalized_email)[:15]).decode().lower()


def email_hash(normalized_email: str) -> str:
    return _digest("email", normalized_email).hex()


def contact(contact_id: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": PROFILE}


def contact_id_of(pk: str) -> str:
    return pk.removeprefix("CONTACT#")


def interaction(contact_id: str, at: str, event_id: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": f"EVENT#{at}#{event_id}"}


def consent(contact_id: str, at: str, event_id: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": f"CONSENT#{at}#{event_id}"}


def topic_membership(contact_id: str, topic: str) -> dict[str, str]:
    shard = _digest("shard", contact_id)[0] % TOPIC_SHARDS
    return {
        "pk": f"CONTACT#{contact_id}",
        "sk": f"TOPIC#{topic}",
        "gsi1pk": f"TOPIC#{topic}#{shard}",
        "gsi1sk": f"CONTACT#{contact_id}",
    }


def transactional_mail(contact_id: str, kind: str, ref: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id}", "sk": f"MAIL#{kind}#{ref}"}


def form(form_id: str) -> dict[str, str]:
    return {"pk": f"FORM#{form_id}", "sk": DEFINITION}


def idempotency(scope: str, key: str) -> dict[str, str]:
    return {"pk": f"IDEMPOTENCY#{_digest(scope, key).hex()}", "sk": "IDEMPOTENCY"}


def rate_counter(scope: str, subject: str, window: int) -> dict[str, str]:
    return {"pk": f"RATE#{scope}#{_digest(scope, subject).hex()[:32]}#{window}", "sk": "RATE"}


def used_token(token_id: str) -> dict[str, str]:
    return {"pk": f"TOKEN#{token_id}", "sk": "USED"}


def suppression(normalized_email: str) -> dict[str, str]:
    return {"pk": f"SUPPRESS#{email_hash(normalized_email)}", "sk": "SUPPRESS"}
