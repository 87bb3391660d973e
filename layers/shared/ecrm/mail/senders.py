"""Who a marketer's mail comes from, as a campaign or an automation declares it (`SenderIn`: an
address, a display name, a reply-to address).

Its own module so that an automation's rules need not import the campaign definitions (and the
segment definitions they import) to declare a sender: the automations stream function reads
rules, never campaigns, and each pydantic model defined costs its cold start (issue 15 point 7).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, StringConstraints

from ecrm.platform.models import Email, Model
from ecrm.platform.settings import settings


class SenderIn(Model):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\r\n<>]+$")]
    reply_to: Email | None = None


def off_domain(address: str) -> str | None:
    """Why marketers' mail may not come from `address` (None if it may): only from the
    stack's verified sending domain."""
    domain = settings().sending_domain.lower()
    if address.lower().rpartition("@")[2] != domain:
        return f"Campaigns are sent from the verified domain {domain}."
    return None
