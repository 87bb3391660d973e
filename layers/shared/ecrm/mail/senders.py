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


class SenderIn(Model):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\r\n<>]+$")]
    reply_to: Email | None = None
