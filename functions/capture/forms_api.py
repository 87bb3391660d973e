"""Forms admin API (marketers only): list, read and replace form definitions
(`ecrm.contacts.forms`), validated exactly as `ecrm forms put` and the capture function read them.
`ecrm forms push` drives it. A replaced definition is served within `DEFINITION_CACHE_SECONDS` (each
function keeps its copy that long); the PUT's answer says so in `LIVE_WITHIN`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.contacts import form_plain, form_store
from ecrm.platform.errors import InvalidInput
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Path, Query
from ecrm.web.plain import lazy
from ecrm.web.router import App, Response, content_types

# The definitions' model (pydantic): imported to read one form back (`GET`), or a definition
# that is not plainly valid (`FormPut`); listing and a plain `PUT` import no pydantic. This API's
# own models (`forms_models`) document its plain bodies and answers.
if TYPE_CHECKING:
    from ecrm.contacts import forms
else:
    forms = lazy("ecrm.contacts.forms")

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


@dataclass(frozen=True, slots=True)
class FormSummary:
    """`forms_models.FormSummary`'s fields, in its order (its JSON, `ecrm.web.plain`)."""

    documented_by: ClassVar[str] = "capture.forms_models:FormSummary"
    id: str
    title: str
    topics: list[str]
    double_opt_in: bool
    version: int

    @classmethod
    def of(cls, item: dict[str, Any]) -> FormSummary:
        """A definition as saved (checked then), with the model's defaults."""
        return cls(
            id=str(item["id"]),
            title=str(item["title"]),
            topics=[str(t) for t in item.get("topics") or ()],
            double_opt_in=bool(item.get("double_opt_in", True)),
            version=int(item.get("version", 1)),
        )


@dataclass(frozen=True, slots=True)
class FormPut:
    """`forms_models.FormPut`'s fields (`ecrm.web.plain`): a plainly valid definition is read by
    `form_plain` without pydantic, any other by the model."""

    documented_by: ClassVar[str] = "capture.forms_models:FormPut"
    id: str | None
    title: str
    fields: list[dict[str, Any]]
    consent: dict[str, Any] | None
    topics: list[str]
    double_opt_in: bool
    redirect_url: Any
    site_url: Any
    allowed_origins: list[str]
    submit_label: str
    thank_you: str
    version: int | None

    @classmethod
    def plain(cls, value: Any) -> FormPut | None:
        found = form_plain.definition(value)
        return None if found is None else cls(**found)

    def form(self, form_id: str) -> dict[str, Any]:
        """The definition under `form_id`, as `Form.model_dump(mode="json")` gives it (a URL
        or a field type the model read are its values: their text)."""
        fields = [f | {"type": str(f["type"])} for f in self.fields]
        urls = {u: None if (v := getattr(self, u)) is None else str(v) for u in _URLS}
        return {
            **{name: getattr(self, name) for name in _PARTS},
            "id": form_id,
            "fields": fields,
            **urls,
            "version": 1,
        }


_URLS = ("redirect_url", "site_url")
_PARTS = tuple(name for name in FormPut.__dataclass_fields__ if name != "documented_by")


@dataclass(frozen=True, slots=True)
class FormPage:
    documented_by: ClassVar[str] = "capture.forms_models:FormPage"
    items: list[FormSummary]
    next_cursor: str | None = None


@app.get("/admin/forms", summary="Form definitions, by id", responses=admin())
def list_forms(limit: Limit = 50, cursor: Cursor = None) -> FormPage:
    found, next_cursor = form_store.page(limit, cursor)
    return FormPage([FormSummary.of(i) for i in found], next_cursor)


@app.get(
    "/admin/forms/<form_id>",
    summary="One form definition, with its allowed origins",
    responses=admin(404),
)
def get_form(form_id: FormId) -> forms.Form:
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
def put_form(form_id: FormId, body: FormPut) -> Response[forms.Form]:
    if body.id is not None and body.id != form_id:
        raise InvalidInput("The id in the body is not the form's id.", {"id": "Not " + form_id})
    saved, written = form_plain.replace(body.form(form_id), body.version)
    created = written and saved["version"] == 1
    live = {LIVE_WITHIN: f"{form_store.cache_seconds():g}"}
    answer = cast("forms.Form", saved)  # the model's JSON (`form_plain`), documented by it
    return Response(201 if created else 200, content_types.APPLICATION_JSON, answer, headers=live)


@http.marketers_first  # before body validation: anonymous callers get 401 (test_admin_sweep)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
