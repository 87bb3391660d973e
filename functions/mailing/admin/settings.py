"""`/admin/settings/sending`: the account's send policy (frequency cap, quiet hours) for
marketing mail. Viewers read it; marketers change it (`ecrm.mail.send_policy`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.plain import lazy
from ecrm.web.router import Router

# The policy's models (pydantic), imported by its routes only (docs/design/platform.md).
if TYPE_CHECKING:
    from ecrm.mail import send_policy
else:
    send_policy = lazy("ecrm.mail.send_policy")

router = Router()


@router.get(
    "/admin/settings/sending",
    summary="The send policy: frequency cap and quiet hours of marketing mail",
    responses=admin(),
)
def get_send_policy() -> send_policy.SendPolicy:
    return send_policy.load()


@router.put(
    "/admin/settings/sending",
    summary="Replace the send policy (each part off unless `enabled`)",
    description=(
        "Campaign and automation mail only; transactional mail (confirmations, sign-in links)"
        " and test sends are never capped or held. Give the `version` you edited: 409 if it"
        " moved on. A refused body changes nothing."
    ),
    responses=admin(409, 415, 422),
)
def put_send_policy(body: send_policy.SendPolicyIn) -> send_policy.SendPolicy:
    return send_policy.save(body, http.marketer(router.current_event))
