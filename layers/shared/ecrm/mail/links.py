"""The links a bulk mail carries, built in one place: the one-click unsubscribe URL
(`{PUBLIC_BASE_URL}/unsubscribe/{token}`, served by `account/unsubscribe.py`) and the `mailto:`
of `List-Unsubscribe` (`unsubscribe@{SENDING_DOMAIN}`, read by the inbound receipt rule). The
token comes from `ecrm.account.unsubscribe.link_token`; this module only spells the addresses."""

from __future__ import annotations

from ecrm.platform.settings import settings


def unsubscribe_url(token: str) -> str:
    return f"{settings().public_base_url.rstrip('/')}/unsubscribe/{token}"


def unsubscribe_mailto(token: str) -> str:
    return f"mailto:unsubscribe@{settings().sending_domain}?subject={token}"


def unsubscribe_links(token: str) -> tuple[str, str]:
    """The pair a `List-Unsubscribe` header names: the one-click URL and the `mailto:`."""
    return unsubscribe_url(token), unsubscribe_mailto(token)
