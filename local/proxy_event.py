"""API Gateway (REST, proxy integration) as the template declares it: route matching on the
`Api` events' path templates, the v1 proxy event a route delivers, and the CORS preflight
answer of SAM's mock OPTIONS integration."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.template import ApiRoute, Function

Json = Any


@dataclass(frozen=True)
class BoundRoute:
    route: ApiRoute
    function: Function
    pattern: re.Pattern[str]
    parameter_names: tuple[str, ...]

    @property
    def specificity(self) -> tuple[int, int, int]:
        """API Gateway prefers literal segments over `{param}`, and `{param}` over `{proxy+}`."""
        segments = self.route.path.strip("/").split("/")
        literals = sum(1 for s in segments if not s.startswith("{"))
        greedy = int(self.route.path.endswith("+}"))
        return (greedy, -literals, -len(segments))


@dataclass(frozen=True)
class RouteMatch:
    bound: BoundRoute
    path_parameters: dict[str, str]


class RouteTable:
    def __init__(self, functions: Iterable[Function]) -> None:
        bound = [_bind(route, function) for function in functions for route in function.api_routes]
        self.routes = sorted(bound, key=lambda b: b.specificity)

    def match(self, method: str, path: str) -> RouteMatch | None:
        for bound in self.routes:
            if bound.route.method not in (method, "ANY"):
                continue
            found = bound.pattern.fullmatch(path)
            if found:
                values = (unquote(v) for v in found.groups())
                return RouteMatch(bound, dict(zip(bound.parameter_names, values, strict=True)))
        return None

    def methods_for(self, path: str) -> list[BoundRoute]:
        """Routes whose path template matches, whatever their method (405 and preflight)."""
        return [b for b in self.routes if b.pattern.fullmatch(path)]


def _bind(route: ApiRoute, function: Function) -> BoundRoute:
    names: list[str] = []
    parts: list[str] = []
    for segment in route.path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            names.append(segment[1:-2])
            parts.append("(.+)")
        elif segment.startswith("{") and segment.endswith("}"):
            names.append(segment[1:-1])
            parts.append("([^/]+)")
        else:
            parts.append(re.escape(segment))
    return BoundRoute(route, function, re.compile("/" + "/".join(parts)), tuple(names))


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # as received, still percent-encoded (API Gateway REST keeps it so)
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    host: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in reversed(self.headers) if k.lower() == name.lower()), None)


def proxy_event(
    request: HttpRequest,
    match: RouteMatch,
    stage: str,
    account_id: str,
    claims: Mapping[str, str] | None = None,
) -> Json:
    """The v1 event API Gateway's Lambda proxy integration delivers for this request
    (`claims`: what a Cognito user-pool authorizer put in `requestContext.authorizer`)."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        key = next((k for k in multi_headers if k.lower() == name.lower()), name)
        multi_headers.setdefault(key, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
    user_agent = next((v[-1] for k, v in multi_headers.items() if k.lower() == "user-agent"), None)
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    body, is_base64 = _body(request.body)
    return {
        "resource": match.bound.route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": account_id,
            "apiId": "local",
            **({"authorizer": {"claims": dict(claims)}} if claims is not None else {}),
            "domainName": request.host,
            "domainPrefix": request.host.split(".", 1)[0],
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": request.source_ip,
                "user": None,
                "userAgent": user_agent,
                "userArn": None,
            },
            "path": f"/{stage}{request.path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(time.time() * 1000),
            "resourceId": "local",
            "resourcePath": match.bound.route.path,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def http_response(result: Json) -> HttpResponse:
    """Turn a proxy integration result into HTTP; a malformed one is API Gateway's 502."""
    if not isinstance(result, Mapping) or not isinstance(result.get("statusCode"), int | str):
        return json_response(502, {"message": "Internal server error"})
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(v)) for v in values]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return HttpResponse(int(result["statusCode"]), headers, data)


def json_response(status: int, document: Json) -> HttpResponse:
    body = json.dumps(document).encode("utf-8")
    return HttpResponse(status, [("Content-Type", "application/json")], body)


def preflight_response(cors: Mapping[str, Json] | None) -> HttpResponse:
    """SAM answers OPTIONS with a mock integration carrying the Api's Cors settings; values are
    written in the template as quoted header literals ("'GET,POST'")."""
    if not cors:
        return json_response(403, {"message": "Missing Authentication Token"})
    header_names = {
        "AllowOrigin": "Access-Control-Allow-Origin",
        "AllowHeaders": "Access-Control-Allow-Headers",
        "AllowMethods": "Access-Control-Allow-Methods",
        "MaxAge": "Access-Control-Max-Age",
        "AllowCredentials": "Access-Control-Allow-Credentials",
    }
    headers = [
        (header, _unquote_literal(cors[key])) for key, header in header_names.items() if key in cors
    ]
    return HttpResponse(200, [*headers, ("Content-Type", "application/json")], b"")


def _unquote_literal(value: Json) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text
