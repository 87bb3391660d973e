"""Routes of the signed-in account: read, change, export, erase; confirm a new address."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ecrm.account import email_change, personal_data, preferences, sign_in, view
from ecrm.platform import clock
from ecrm.platform.errors import InvalidInput, UnsupportedMediaType
from ecrm.web import http
from ecrm.web.openapi_responses import BODY, answers, reads
from ecrm.web.params import Header
from ecrm.web.router import Response, Router, content_types

router = Router()
metrics = Metrics(namespace="ecrm", service="account")

ERASE_CONFIRMATION = "erase"
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=200, description="The ETag of the account as read"),
]


def _contact_id() -> str:
    return sign_in.session_subject(router.current_event.headers.get("authorization"))


def _json_body() -> dict[str, Any]:
    if http.media_type(router.current_event) != http.JSON:
        raise UnsupportedMediaType(f"Send {http.JSON}.")
    return http.read_fields(router.current_event)


def _json(status: int, body: Any, **headers: str) -> Response[Any]:
    return Response(
        status,
        content_types.APPLICATION_JSON,
        body,
        headers={"Cache-Control": "no-store", **headers},
    )


@router.get(
    "/account",
    summary="Profile, interests, topics, consent history and status; ETag = version",
    responses=answers(401, 503),
)
def get_account() -> Response[Any]:
    document, version = view.view(_contact_id())
    return _json(200, document, ETag=view.etag(version))


@router.patch(
    "/account",
    summary="Change profile, interests, topics or address (If-Match required)",
    responses=answers(
        *BODY, 401, 409, 412, 422, 428, 429, 503, ok={200: "Saved; the new ETag is in the header"}
    ),
    openapi_extensions=reads({}),
)
def update_account(if_match: IfMatch = None) -> Response[Any]:
    contact_id = _contact_id()
    event = router.current_event
    who = preferences.Requester(
        ip=event.request_context.identity.source_ip or "unknown",
        user_agent=event.headers.get("user-agent") or "",
    )
    updated = preferences.update(contact_id, if_match, _json_body(), who)
    body = {**asdict(updated), "message": _saved(updated)}
    return _json(200, body, ETag=view.etag(updated.version))


def _saved(updated: preferences.Updated) -> str:
    """What the page says after a change: what happened, not only that it was stored."""
    if updated.unsubscribed_all:
        return (
            "Done: you are unsubscribed from all our mail. We will send you nothing more, except"
            " mail you ask for, such as a sign-in link."
        )
    if "email" in updated.changed and updated.email_change_pending:
        return "Saved. Please confirm your new address from the mail we just sent to it."
    return "Saved."


@router.get(
    "/account/export",
    summary="Everything held about you, as a JSON download",
    responses=answers(401, 503),
)
def export_account() -> Response[Any]:
    document = personal_data.export(_contact_id())
    day = clock.iso(clock.now())[:10]
    return _json(
        200,
        json.dumps(document, indent=2, ensure_ascii=False, default=str),
        **{"Content-Disposition": f'attachment; filename="my-data-{day}.json"'},
    )


@router.delete(
    "/account",
    summary='Erase everything held about you (body {"confirm": "erase"})',
    responses=answers(*BODY, 401, 422, 503),
    openapi_extensions=reads({"confirm": {"const": ERASE_CONFIRMATION}}, "confirm"),
)
def erase_account() -> Response[Any]:
    contact_id = _contact_id()
    if _json_body().get("confirm") != ERASE_CONFIRMATION:
        raise InvalidInput(
            "Please confirm the erasure.", {"confirm": f'Send "{ERASE_CONFIRMATION}" to confirm.'}
        )
    personal_data.erase(contact_id)
    metrics.add_metric(name="Erasures", unit=MetricUnit.Count, value=1)
    message = (
        "Everything we held about you is erased. We will not mail this address again unless you"
        " sign up again: then we first mail you a link to confirm."
    )
    return _json(200, {"erased": True, "message": message})


@router.post(
    "/account/email/confirm",
    summary="Confirm a new address with the token mailed to it (once)",
    responses=answers(*BODY, 401, 409, 422, 503),
    openapi_extensions=reads({"token": {"type": "string"}}, "token", form=True),
)
def confirm_email_change() -> dict[str, str]:
    token = http.read_fields(router.current_event).get("token")
    if not isinstance(token, str) or not token:
        raise InvalidInput("Some fields need attention.", {"token": "The token is missing."})
    email_change.confirm(token)
    return {"message": "Your new address is confirmed: our mail goes there from now on."}
