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
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

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

logger = Logger(child=True)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
#: Nesting allowed in a flat form body (`read_fields`) and in any typed JSON body.
_MAX_FIELDS_DEPTH = 4
MAX_JSON_DEPTH = 32
# What the depth scan looks at: escapes, quotes and brackets (one pass, no backtracking).
_JSON_PUNCTUATION = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


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


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def _domain(error: DomainError) -> Response[Any]:
        return error_response(error)

    # Powertools reads typed bodies before any route code runs: its refusals map here too.
    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _media_type(_: RequestUnsupportedContentType) -> Response[Any]:
        return error_response(UnsupportedMediaType(f"Send {JSON}."))

    @app.exception_handler(UnicodeDecodeError)  # type: ignore[untyped-decorator]
    def _not_utf8(_: UnicodeDecodeError) -> Response[Any]:
        return error_response(MalformedRequest("The body is not valid UTF-8."))

    @app.exception_handler(ValueError)  # type: ignore[untyped-decorator]
    def _unreadable(error: ValueError) -> Response[Any]:
        # Powertools' multipart parser raises a bare ValueError for a body it cannot split
        # (no boundary): the request's fault, not ours. Any other ValueError is a bug.
        if media_type(app.current_event) == MULTIPART:
            return error_response(UnsupportedMediaType(f"Send {JSON}."))
        return _internal_error(error)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(error: RequestValidationError) -> Response[Any]:
        fields = {
            ".".join(str(p) for p in e["loc"][1:]) or "request": e["msg"] for e in error.errors()
        }
        return error_response(MalformedRequest("The request is not valid.", fields))

    @app.not_found
    def _not_found(_: NotFoundError) -> Response[Any]:
        return error_response(NotFound("No such route."))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
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


def marketers_only(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Every admin route's guard, in the handler too (not only in API Gateway): no verified
    claims is 401; a viewer may read (GET), a marketer or an admin may do anything, anyone
    else is 403."""
    event = app.current_event
    authorizer = event.request_context.authorizer
    _require_role(authorizer.claims if authorizer else None, event.http_method)
    return next_middleware(app)


def marketer(event: APIGatewayProxyEvent) -> str:
    """The signed-in marketer's stable id (Cognito `sub`) on an admin route, for per-marketer
    limits; `marketers_only` has already refused a request without one."""
    authorizer = event.request_context.authorizer
    subject = (authorizer.claims or {}).get("sub") if authorizer else None
    if not subject:
        raise Unauthenticated("Sign in as a marketer to use this route.")
    return str(subject)


def _require_admin(claims: Mapping[str, Any] | None, _: str = "") -> None:
    if not claims or not claims.get("sub"):
        raise Unauthenticated("Sign in as an admin to use this route.")
    if ADMINS not in _groups(claims.get("cognito:groups")):
        raise Forbidden("Managing the team needs the admins group.")


def admins_only(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """The team routes' guard: no verified claims is 401; anyone but an admin (a marketer or a
    viewer too, whatever the method) is 403."""
    authorizer = app.current_event.request_context.authorizer
    _require_admin(authorizer.claims if authorizer else None)
    return next_middleware(app)


def marketers_first(handler: Callable[[dict[str, Any], Any], Any]) -> Callable[..., Any]:
    """For an admin function's `lambda_handler`: the same guard, before the resolver runs.
    Powertools validates a request (body models, path patterns) before `app.use` middlewares,
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


def _nesting(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text, read without parsing it:
    `json.loads` recurses once per level and raises RecursionError (not ValueError) at about a
    thousand, which a 10 KB body reaches. Brackets inside strings do not count."""
    depth = deepest = 0
    in_string = False
    for match in _JSON_PUNCTUATION.finditer(text):
        mark = match.group()
        if mark == '"':
            in_string = not in_string
        elif in_string or len(mark) > 1:
            continue
        elif mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python reads NaN and Infinity; JSON has neither


def loads(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads` for request bodies: nesting is checked on the text first, so no body can
    make the parser recurse (every resolver's `json_body_deserializer`, and `read_fields`)."""
    if _nesting(text) > max_depth:
        raise MalformedRequest("The body is nested too deeply.")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as error:
        raise MalformedRequest("The body is not valid JSON.") from error


def media_type(event: APIGatewayProxyEvent) -> str:
    return (event.headers.get("content-type") or "").split(";")[0].strip().lower()


def _body_text(event: APIGatewayProxyEvent) -> str:
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


def read_fields(event: APIGatewayProxyEvent) -> dict[str, Any]:
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


def cross_site_origin(event: APIGatewayProxyEvent) -> str | None:
    """The Origin header when it names another site than the API's own host (same-origin
    requests are never restricted by a form's allowed origins)."""
    origin = event.headers.get("origin")
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
