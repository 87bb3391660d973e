"""Forms admin API (marketers only): list, read and replace form definitions
(`ecrm.contacts.forms`), validated exactly as `ecrm forms put` and the capture function read them.
`ecrm forms push` drives it. A replaced definition is served within `DEFINITION_CACHE_SECONDS` (each
function keeps its copy that long); the PUT's answer says so in `LIVE_WITHIN`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from ecrm.contacts import forms
from ecrm.contacts.forms import Form, Slug
from ecrm.platform.errors import InvalidInput
from ecrm.platform.models import Model
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Path, Query
from ecrm.web.router import App, Response, content_types

logger = Logger(service="capture")
metrics = Metrics(namespace="ecrm", service="capture")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])

FormId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Form id")]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Cursor = Annotated[str | None, Query(max_length=2048, description="`next_cursor` of a page")]
# The answer's header: seconds until every function serves the stored definition (0: at once).
LIVE_WITHIN = "Ecrm-Live-Within-Seconds"


class FormPut(Form):
    """A definition as `GET` returns it; `id` and `version` are optional here."""

    id: Slug | None = Field(default=None, description="If given, the id in the path")  # type: ignore[assignment]
    version: int | None = Field(  # type: ignore[assignment]
        default=None, ge=1, description="The version you edited (409 if it changed since)"
    )


class FormSummary(Model):
    id: str
    title: str
    topics: list[str]
    double_opt_in: bool
    version: int


class FormPage(Model):
    items: list[FormSummary]
    next_cursor: str | None = None


@app.get("/admin/forms", summary="Form definitions, by id", responses=admin())
def list_forms(limit: Limit = 50, cursor: Cursor = None) -> FormPage:
    found, next_cursor = forms.page(limit, cursor)
    items = [FormSummary.model_validate(f.model_dump()) for f in found]
    return FormPage(items=items, next_cursor=next_cursor)


@app.get(
    "/admin/forms/<form_id>",
    summary="One form definition, with its allowed origins",
    responses=admin(404),
)
def get_form(form_id: FormId) -> Form:
    return forms.load(form_id, fresh=True)


@app.put(
    "/admin/forms/<form_id>",
    summary="Create or replace a form definition (the same definition again changes nothing)",
    description=(
        "Forms are served from a copy each function keeps for `DEFINITION_CACHE_SECONDS` "
        "(60 s unless set; 0 under `ecrm serve`): the stored definition is live within that "
        f"time, which the answer's `{LIVE_WITHIN}` header gives."
    ),
    responses=admin(409, 415, 422, ok={200: "Replaced or unchanged", 201: "Created"}),
)
def put_form(form_id: FormId, body: FormPut) -> Response[Form]:
    if body.id is not None and body.id != form_id:
        raise InvalidInput("The id in the body is not the form's id.", {"id": "Not " + form_id})
    form = Form.model_validate({**body.model_dump(exclude={"id", "version"}), "id": form_id})
    saved, written = forms.replace(form, body.version)
    created = written and saved.version == 1
    live = {LIVE_WITHIN: f"{forms.cache_seconds():g}"}
    return Response(201 if created else 200, content_types.APPLICATION_JSON, saved, headers=live)


@http.marketers_first  # before body validation: anonymous callers get 401 (test_admin_sweep)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
