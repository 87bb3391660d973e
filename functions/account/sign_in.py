"""Routes of signing in: ask for a magic link, exchange it for a session."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from account import views
from ecrm.account import sign_in
from ecrm.platform.errors import DomainError, InvalidInput
from ecrm.web import http
from ecrm.web.openapi_responses import BODY, answers, reads
from ecrm.web.router import Response, Router, content_types

router = Router()
metrics = Metrics(namespace="ecrm", service="account")


@router.post(
    "/account/link",
    summary="Mail a sign-in link to the address, if it is on file (same answer either way)",
    responses=answers(
        *BODY,
        422,
        429,
        503,
        ok={202: "Queued if the address is on file; nothing said either way"},
        pages={202: "Plain HTML form: the same, as a page"},
    ),
    openapi_extensions=reads({"email": {"type": "string", "format": "email"}}, "email", form=True),
)
def request_link() -> Response[Any]:
    event = router.current_event
    plain = http.media_type(event) == http.FORM  # the page's form, without JavaScript
    fields = http.read_fields(event)
    email = fields.get("email")
    ip = event.request_context.identity.source_ip or "unknown"
    try:
        sign_in.request_link(email if isinstance(email, str) else "", ip)
    except DomainError as error:
        if plain and error.status in {422, 429}:
            return views.page("problem.html", error.status, message=error.message)
        raise
    if plain:
        return views.page("link_sent.html", 202, message=sign_in.LINK_REQUESTED)
    return Response(202, content_types.APPLICATION_JSON, {"message": sign_in.LINK_REQUESTED})


@router.post(
    "/account/session",
    summary="Exchange a sign-in link's token (once, within 15 minutes) for a session token",
    responses=answers(
        *BODY, 401, 422, 503, ok={200: "`session`: send it as `Authorization: Bearer ...`"}
    ),
    openapi_extensions=reads({"token": {"type": "string"}}, "token", form=True),
)
def start_session() -> dict[str, Any]:
    token = http.read_fields(router.current_event).get("token")
    if not isinstance(token, str) or not token:
        raise InvalidInput(
            "Some fields need attention.", {"token": "The sign-in token is missing."}
        )
    session = sign_in.start_session(token)
    metrics.add_metric(name="SignIns", unit=MetricUnit.Count, value=1)
    return {"session": session.token, "expires_at": session.expires_at}
