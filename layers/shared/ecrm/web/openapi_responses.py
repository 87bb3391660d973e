"""What a route answers, declared once for OpenAPI (`responses=` on every Powertools route).

Every refusal has the stable error body (`ecrm.web.http.error_body`), published as the shared
`ErrorBody` schema; a route lists the statuses it can actually return:

    @router.put("/admin/segments/<segment_id>", responses=admin(404, 409, 415, 422))
    @router.get("/confirm/<token>", responses=answers(400, 401, pages={200: "The page"}))

`admin` adds what every admin route can answer (`ADMIN`); `ok` (JSON) and `pages` (HTML) are
the successes, see `answers`. Declaring `responses=` replaces Powertools' default `200`, so
every route goes through `answers` or `admin`. A route that reads its body itself declares it
with `openapi_extensions=reads(...)`. Schemathesis checks every answer against these
declarations (tests/security/test_schemathesis.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Powertools' types only: this module is imported at every cold start
    from aws_lambda_powertools.event_handler.openapi.types import (
        OpenAPIResponse,
        OpenAPIResponseContentModel,
        OpenAPIResponseContentSchema,
        OpenAPIResponseHeader,
    )

# The refusals' schemas, by name: `ecrm.web.openapi` puts its models in their place when the
# OpenAPI document is built (pydantic is not imported on a Lambda start for a declaration).
ERROR_BODY, ADMIN_REFUSAL = "ErrorBody", "AdminRefusal"


# The statuses, what each means on every route (a route may say it more precisely).
MEANINGS: dict[int, str] = {
    400: "Malformed request (path, query, header or body); nothing changed",
    401: "No credentials, or invalid, expired or already used ones; nothing changed",
    403: "Not allowed (a viewer changing something, a user of no role, or an origin the form "
    "does not accept); nothing changed",
    404: "No such thing",
    409: "Conflicts with the current state; nothing changed",
    412: "If-Match names an older version: read again",
    413: "The body is too large; nothing changed",
    415: "Unsupported Content-Type; nothing changed",
    422: "Fields need attention (each named in `fields`); nothing changed",
    428: "If-Match is required",
    429: "Too many requests: retry after `Retry-After` seconds",
    503: "Busy: retry as is after `Retry-After` seconds (a retry is never stored twice)",
}
# What every admin route can answer: a bad request, no or wrong credentials, a busy table.
ADMIN = (400, 401, 403, 503)
# Routes that read a body with `ecrm.web.http.read_fields` (size, type, encoding checked there).
BODY = (400, 413, 415)

JSON = "application/json"
HTML = "text/html"
_RETRY_AFTER: dict[str, OpenAPIResponseHeader] = {
    "Retry-After": {"description": "Seconds", "schema": {"type": "integer"}}
}
_TEXT: OpenAPIResponseContentSchema = {"schema": {"type": "string"}}


def answers(
    *errors: int,
    ok: int | dict[int, str] | None = None,
    pages: dict[int, str] | None = None,
    media: str = HTML,
) -> dict[int, OpenAPIResponse]:
    """The `responses=` of a route: its `errors`, its JSON successes `ok` (statuses, or statuses
    with descriptions; the body schema comes from the route's return type) and its `pages`
    (successes in `media`, HTML by default). A route that answers pages answers its refusals
    as pages too (besides the JSON refusals Powertools gives before the route runs)."""
    return _declare(errors, ok, pages, media=media, authorizer=False)


def admin(*errors: int, ok: int | dict[int, str] | None = None) -> dict[int, OpenAPIResponse]:
    """An admin route's `responses=`: `ADMIN` and `errors`; its 401 may come from API Gateway."""
    return _declare((*ADMIN, *errors), ok, None, media=HTML, authorizer=True)


def _declare(
    errors: tuple[int, ...],
    ok: int | dict[int, str] | None,
    pages: dict[int, str] | None,
    *,
    media: str,
    authorizer: bool,
) -> dict[int, OpenAPIResponse]:
    if ok is None and not pages:
        ok = 200
    declared: dict[int, OpenAPIResponse] = {}
    for status, description in (ok if isinstance(ok, dict) else {ok: "OK"} if ok else {}).items():
        declared[status] = {"description": description}  # Powertools adds the return type
    for status, description in (pages or {}).items():
        content: dict[str, OpenAPIResponseContentSchema | OpenAPIResponseContentModel] = {
            media: _TEXT
        }
        if status in declared:  # both: JSON for scripts, a page for plain HTML forms
            content[JSON] = {"schema": {"type": "object"}}
        declared[status] = {"description": description, "content": content}
    for status in sorted(set(errors)):
        model = ADMIN_REFUSAL if authorizer and status == 401 else ERROR_BODY
        content = {JSON: {"model": model}}  # a name, see above
        if pages:
            content[HTML] = _TEXT
        response: OpenAPIResponse = {"description": MEANINGS[status], "content": content}
        if status in {429, 503}:
            response["headers"] = dict(_RETRY_AFTER)
        declared[status] = response
    return declared


def reads(properties: dict[str, Any], *required: str, form: bool = False) -> dict[str, Any]:
    """`openapi_extensions=` of a route that reads its body itself (`ecrm.web.http.read_fields`):
    its `requestBody` (a JSON object, or an urlencoded form too), so that clients and
    schemathesis know what to send. Unknown fields are allowed; the route says what it refuses."""
    schema = {"type": "object", "properties": properties, "required": list(required)}
    content = {JSON: {"schema": schema}}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {"requestBody": {"required": True, "content": content}}
