"""The HTTP edge shared by the API functions: reading request bodies safely, and mapping every
error to one response shape, in one place:

    {"error": {"code": "validation_failed", "message": "...", "fields": {"email": "..."}}}

Domain modules never import this; handlers do.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aws_lambda_powertools import Logger

from ecrm.platform.errors import (
    DomainError,
    Forbidden,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
)
from ecrm.platform.settings import settings
from ecrm.web.event import Event
from ecrm.web.event import loads as loads  # noqa: PLC0414 - exported: read here by handlers
from ecrm.web.event import media_type as media_type  # noqa: PLC0414
from ecrm.web.router import App, Response, content_types

logger = Logger(child=True)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
#: Nesting allowed in a flat form body (`read_fields`) and in any typed JSON body.
_MAX_FIELDS_DEPTH = 4


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(error: DomainError) -> Response[Any]:
    headers = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_body(error.code, error.message, error.fields)),
        headers=headers,
    )


def install_error_handlers(app: App) -> None:
    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response[Any]:
        return error_response(error)

    @app.exception_handler(UnicodeDecodeError)
    def _not_utf8(_: UnicodeDecodeError) -> Response[Any]:
        return error_response(MalformedRequest("The body is not valid UTF-8."))

    @app.not_found
    def _not_found(_: Any) -> Response[Any]:
        return error_response(NotFound("No such route."))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        return _internal_error(error)


def _internal_error(_: Exception) -> Response[Any]:
    logger.exception("unhandled error")
    return Response(
        status_code=500,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_body("internal_error", "Something went wrong; please retry.")),
    )


# Roles are Cognito groups: `viewers` read every admin route, `marketers` also change things,
# `admins` also manage the team. A user in several groups has the strongest of their roles.
VIEWERS, MARKETERS, ADMINS = "viewers", "marketers", "admins"
_WRITERS = frozenset({MARKETERS, ADMINS})
_READS = frozenset({"GET", "HEAD"})  # what a viewer may call; everything else changes things


def _groups(claim: str | None) -> set[str]:
    # API Gateway flattens the Cognito claim to "a" or "a,b" (sometimes "[a, b]").
    return {g.strip() for g in (claim or "").strip("[]").replace(" ", ",").split(",") if g.strip()}


def _require_role(claims: Mapping[str, Any] | None, method: str) -> None:
    if not claims or not claims.get("sub"):
        raise Unauthenticated("Sign in as a marketer to use this route.")
    groups = _groups(claims.get("cognito:groups"))
    if groups & _WRITERS:
        return
    if VIEWERS in groups:
        if method.upper() in _READS:
            return
        raise Forbidden("Viewers may only read: this change needs the marketers group.")
    raise Forbidden("This route is for the viewers, marketers and admins groups.")


def marketers_only(app: App, next_middleware: Callable[[App], Response[Any]]) -> Response[Any]:
    """Every admin route's guard, in the handler too (not only in API Gateway): no verified
    claims is 401; a viewer may read (GET), a marketer or an admin may do anything, anyone
    else is 403."""
    event = app.current_event
    _require_role(event.request_context.authorizer.claims, event.http_method)
    return next_middleware(app)


def marketer(event: Event) -> str:
    """The signed-in marketer's stable id (Cognito `sub`) on an admin route, for per-marketer
    limits; `marketers_only` has already refused a request without one."""
    subject = event.request_context.authorizer.claims.get("sub")
    if not subject:
        raise Unauthenticated("Sign in as a marketer to use this route.")
    return str(subject)


def _require_admin(claims: Mapping[str, Any] | None, _: str = "") -> None:
    if not claims or not claims.get("sub"):
        raise Unauthenticated("Sign in as an admin to use this route.")
    if ADMINS not in _groups(claims.get("cognito:groups")):
        raise Forbidden("Managing the team needs the admins group.")


def admins_only(app: App, next_middleware: Callable[[App], Response[Any]]) -> Response[Any]:
    """The team routes' guard: no verified claims is 401; anyone but an admin (a marketer or a
    viewer too, whatever the method) is 403."""
    _require_admin(app.current_event.request_context.authorizer.claims)
    return next_middleware(app)


def marketers_first(handler: Callable[[dict[str, Any], Any], Any]) -> Callable[..., Any]:
    """For an admin function's `lambda_handler`: the same guard, before the resolver runs.
    The router reads a request (body models, path patterns) before `app.use` middlewares,
    so without this an anonymous caller (or a viewer writing) would learn a 400 about the body
    instead of a 401 (403)."""
    return _guard_first(handler, _require_role)


def admins_first(handler: Callable[[dict[str, Any], Any], Any]) -> Callable[..., Any]:
    """`marketers_first` for the team routes: admins only."""
    return _guard_first(handler, _require_admin)


def _guard_first(
    handler: Callable[[dict[str, Any], Any], Any],
    check: Callable[[Mapping[str, Any] | None, str], None],
) -> Callable[..., Any]:
    @functools.wraps(handler)
    def guarded(event: dict[str, Any], context: Any) -> Any:
        authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
        try:
            check(authorizer.get("claims"), str(event.get("httpMethod") or ""))
        except DomainError as error:
            return {
                "statusCode": error.status,
                "headers": {"Content-Type": "application/json"},
                "multiValueHeaders": {},
                "body": json.dumps(error_body(error.code, error.message, error.fields)),
                "isBase64Encoded": False,
            }
        return handler(event, context)

    return guarded


def _body_text(event: Event) -> str:
    raw = event.body or ""
    try:
        data = base64.b64decode(raw, validate=True) if event.is_base64_encoded else raw.encode()
    except (binascii.Error, UnicodeEncodeError) as error:
        raise MalformedRequest("The body could not be decoded.") from error
    if len(data) > settings().max_body_bytes:
        raise PayloadTooLarge(f"The body is larger than {settings().max_body_bytes} bytes.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequest("The body is not valid UTF-8.") from error


def read_fields(event: Event) -> dict[str, Any]:
    """A JSON object or an urlencoded form, as a flat mapping of names to values."""
    kind = media_type(event)
    if kind not in {JSON, FORM}:
        raise UnsupportedMediaType(f"Send {JSON} or {FORM}.")
    text = _body_text(event)
    if kind == FORM:
        pairs = parse_qs(text, keep_blank_values=True, max_num_fields=100)
        return {k: v[0] if len(v) == 1 else v for k, v in pairs.items()}
    value = loads(text, _MAX_FIELDS_DEPTH)
    if not isinstance(value, dict):
        raise MalformedRequest("The body must be a JSON object.")
    return value


def cross_site_origin(event: Event) -> str | None:
    """The Origin header when it names another site than the API's own host (same-origin
    requests are never restricted by a form's allowed origins)."""
    origin: str | None = event.headers.get("origin")
    if not origin or origin == "null":
        return origin
    host = event.headers.get("host")
    return None if host and urlsplit(origin).netloc == host else origin


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    security = {
        "Content-Security-Policy": (
            "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return Response(status, content_types.TEXT_HTML, body, headers={**security, **(headers or {})})
