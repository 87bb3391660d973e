"""Routes of unsubscribing from a mail's link: a GET only shows the choice (mail scanners open
links), a POST acts. `List-Unsubscribe=One-Click` (RFC 8058) POSTs the same URL from the mail
client; the page's button does too, optionally widening a topic's link to everything."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from account import views
from ecrm.account import unsubscribe as unsubscribing
from ecrm.contacts import profile_view
from ecrm.platform.errors import DomainError
from ecrm.web import http
from ecrm.web.openapi_responses import answers
from ecrm.web.params import Path
from ecrm.web.router import Response, Router

router = Router()
metrics = Metrics(namespace="ecrm", service="account")

Token = Annotated[str, Path(max_length=1024, description="Signed unsubscribe token")]
EVERYTHING = "all"


def _topic_label(topic: str | None) -> str | None:
    if topic is None:
        return None
    return profile_view.topic_label(topic)


def _wants_everything() -> bool:
    """The page's second button sends `scope=all`; a mail client's one-click body (urlencoded
    or multipart) is not needed to act: the POST itself is the request."""
    event = router.current_event
    if http.media_type(event) != http.FORM:
        return False
    try:
        return http.read_fields(event).get("scope") == EVERYTHING
    except DomainError:
        return False


@router.get(
    "/unsubscribe/<token>",
    summary="Page with the choice and a button (changes nothing)",
    responses=answers(400, 401, 503, pages={200: "The page with the choice"}),
)
def unsubscribe_page(token: Token) -> Response[str]:
    try:
        _, ref = unsubscribing.read_link(token)
    except DomainError as error:
        return views.page("problem.html", error.status, message=error.message)
    topic = ref.topic
    return views.page("unsubscribe.html", topic=topic, topic_label=_topic_label(topic))


@router.post(
    "/unsubscribe/<token>",
    summary="Unsubscribe from the link's topic, or everything (RFC 8058 one-click), idempotently",
    responses=answers(
        400, 401, 404, 503, pages={200: "Unsubscribed (also when there was nothing left to do)"}
    ),
)
def unsubscribe(token: Token) -> Response[Any]:
    try:
        done = unsubscribing.unsubscribe(token, source="link", everything=_wants_everything())
    except DomainError as error:
        if error.status >= 500:
            raise
        return views.page("problem.html", error.status, message=error.message)
    if done.changed:
        metrics.add_metric(name="Unsubscribes", unit=MetricUnit.Count, value=1)
    return views.page("unsubscribed.html", topic=done.topic, topic_label=_topic_label(done.topic))
