"""Capture function: wires API Gateway routes to `ecrm.capture` (intake, confirmation)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.capture import intake
from ecrm.contacts import form_store, form_view
from ecrm.platform.errors import DomainError, NotFound
from ecrm.platform.settings import settings
from ecrm.web import http
from ecrm.web.openapi_responses import BODY, answers, reads
from ecrm.web.params import Header, Path
from ecrm.web.router import App, CORSConfig, Response

logger = Logger(service="capture")
metrics = Metrics(namespace="ecrm", service="capture")
# Origins are checked per form on submission; the CORS header only lets scripts read answers.
app = App(
    cors=CORSConfig(
        allow_origin="*",
        allow_headers=["Idempotency-Key"],
        expose_headers=["Retry-After"],
        max_age=600,
    ),
)
http.install_error_handlers(app)

FormId = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Form id", examples=["newsletter"])
]
Token = Annotated[str, Path(max_length=1024, description="Signed confirmation token")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", max_length=128, description="Retries with one key are stored once"
    ),
]


def _page(name: str, status: int = 200, **context: Any) -> Response[str]:
    # Jinja is imported on the first page, not at cold start: JSON submissions never need it.
    from ecrm.mail import templating  # noqa: PLC0415

    defaults: dict[str, Any] = {
        "brand": settings().transactional_sender_name,  # who the mails come from
        "form_title": None,
        "site_url": None,
        "site_name": None,
        "problems": [],
        "already": False,
    }
    page = templating.package_templates("capture", "pages").get_template(name)
    return http.html(page.render({**defaults, **context}), status)


def _form_page(form_id: str, name: str, status: int = 200, **context: Any) -> Response[str]:
    """A page answering a plain HTML form: named after the form, its problems under the form's
    own labels, with a link back to the site the stored definition names (never the request's
    Referer or a field: no open redirect)."""
    try:
        form: form_view.FormView | None = form_store.load(form_id)
    except NotFound:
        form = None
    fields = context.pop("fields", None) or {}
    site = form.site() if form else None
    return _page(
        name,
        status,
        form_title=form.title if form else None,
        site_url=site,
        site_name=urlsplit(site).netloc if site else None,
        problems=[(form.label_of(n) if form else n, problem) for n, problem in fields.items()],
        **context,
    )


def _is_plain_form() -> bool:
    return http.media_type(app.current_event) == http.FORM


@app.get(
    "/forms/<form_id>",
    summary="Public definition of a form, for rendering it",
    responses=answers(400, 404, 503),
)
def get_form(form_id: FormId) -> dict[str, Any]:
    return form_store.load(form_id).public()


@app.post(
    "/forms/<form_id>/submissions",
    summary="Submit a form (JSON from the script, or urlencoded from a plain HTML form)",
    responses=answers(
        *BODY,
        403,
        404,
        422,
        429,
        503,
        ok={
            202: "Stored (or answered from the first of identical retries)",
            303: "Plain HTML form: redirect to the form's thank-you URL",
        },
        pages={200: "Plain HTML form: the thank-you page"},
    ),
    # The fields are the form's own (`GET /forms/{form_id}`); these every form has.
    openapi_extensions=reads(
        {"email": {"type": "string", "format": "email"}, "consent": {"type": "boolean"}},
        "email",
        form=True,
    ),
)
def submit(form_id: FormId, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    event = app.current_event
    client = intake.Client(
        ip=event.request_context.identity.source_ip or "unknown",
        user_agent=event.headers.get("user-agent") or "",
        origin=http.cross_site_origin(event),
        idempotency_key=idempotency_key,
    )
    plain = _is_plain_form()
    try:
        receipt = intake.submit(form_id, http.read_fields(event), client)
    except DomainError as error:
        if plain and error.status in {404, 422, 429}:
            fields = error.fields
            return _form_page(
                form_id, "problem.html", error.status, message=error.message, fields=fields
            )
        raise
    metrics.add_metric(name="FormSubmissions", unit=MetricUnit.Count, value=1)
    if plain and receipt.redirect_url:
        return Response(303, headers={"Location": receipt.redirect_url})
    if plain:
        confirm = receipt.confirmation_required
        return _form_page(form_id, "thanks.html", message=receipt.message, confirm=confirm)
    return Response(202, "application/json", receipt.to_dict())


@app.get(
    "/confirm/<token>",
    summary="Page with a button that confirms a subscription",
    responses=answers(400, 401, pages={200: "The page with the button"}),
)
def confirm_page(token: Token) -> Response[str]:
    # A GET never confirms: mail scanners open links. The button POSTs to the same URL. A link
    # that is altered or expired says so at once (checking it changes nothing).
    from ecrm.capture import confirmation  # noqa: PLC0415 - token and mail code, needed here only

    try:
        if confirmation.already_subscribed(token):  # verifies it; opened again after the click
            return _page("confirmed.html", already=True)
    except DomainError as error:
        return _page("problem.html", error.status, message=error.message)
    return _page("confirm.html")


@app.post(
    "/confirm/<token>",
    summary="Confirm a subscription (double opt-in), once",
    responses=answers(400, 401, 404, 409, 503, pages={200: "Confirmed"}),
)
def confirm(token: Token) -> Response[Any]:
    from ecrm.capture import confirmation  # noqa: PLC0415 - mail and token code, needed here only

    try:
        done = confirmation.confirm(token)
    except DomainError as error:
        page = _page("problem.html", error.status, message=error.message)
        if retry_after := getattr(error, "retry_after", None):  # 503: the page says retry
            page.headers["Retry-After"] = str(retry_after)
        return page
    if done.already:  # a second click: said plainly, not as a mistake
        return _page("confirmed.html", already=True)
    metrics.add_metric(name="Confirmations", unit=MetricUnit.Count, value=1)
    return _page("confirmed.html")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
