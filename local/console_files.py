"""The marketer console (web/console/) as `ecrm serve` serves it at `/console/`, under the
headers CloudFront's response-headers policy gives it in AWS (infra/template.yaml,
`ConsoleHeaders`), and its `config.json`: where to sign in (the stack's user pool in moto) and
the API (this origin).

The policy allows scripts and styles from the console's origin only (no inline script or
style, no eval), calls to the API and to Cognito only, and no framing.

In AWS the browser calls Cognito's endpoint, which answers CORS preflights; moto's server
cannot (an OPTIONS request names no service), so locally the console's Cognito calls go to
`/_local/cognito` on this origin, which passes the few unsigned actions the console uses (and
nothing else: not an open door to moto's other services) to moto. An import's file goes from
the browser to moto's S3 as it goes to S3 in AWS: a PUT to the presigned URL, allowed by the
bucket's CORS rules (the template's, for this origin: `local.resources`) and by `connect-src`.
"""

from __future__ import annotations

import json
import mimetypes
import urllib.error
import urllib.request
from pathlib import Path

from local.cognito import ConsolePool
from local.proxy_event import HttpRequest, HttpResponse, json_response

PREFIX = "/console/"
COGNITO_PATH = "/_local/cognito"
_TARGET = "AWSCognitoIdentityProviderService."
# What the console calls, all of them unsigned in AWS too (the user's own tokens or password).
_CONSOLE_ACTIONS = {"InitiateAuth", "RespondToAuthChallenge", "GlobalSignOut", "RevokeToken"}
_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html"}


def policy(cognito_endpoint: str, api: str = "", uploads: str = "") -> str:
    """The console's Content-Security-Policy; `api` is the API's origin when it is not the
    console's own, `uploads` where an import's file goes (S3's presigned URL: moto locally)."""
    connect = " ".join(part for part in ("'self'", cognito_endpoint, api, uploads) if part)
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def headers(uploads: str = "") -> list[tuple[str, str]]:
    return [
        ("Content-Security-Policy", policy("", uploads=uploads)),  # Cognito: this origin too
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]


def console_response(path: str, folder: Path, pool: ConsolePool | None) -> HttpResponse | None:
    """The answer to a GET under /console, or None when the path is not the console's."""
    if path == PREFIX.rstrip("/"):  # a fixed target: nothing from the request goes in it
        return HttpResponse(308, [("Location", PREFIX)], b"")
    if not path.startswith(PREFIX):
        return None
    if pool is None:
        return json_response(404, {"message": "This stack has no user pool to sign in to."})
    relative = path.removeprefix(PREFIX) or "index.html"
    if relative == "config.json":
        # The embed snippet's script and API (the Forms screen): this origin's.
        embed = {"form_script": "/web/ecrm-form.js", "form_api": ""}
        body = json.dumps({**pool.config(COGNITO_PATH), "api": "", **embed}).encode()
        json_type = ("Content-Type", "application/json")
        return HttpResponse(200, [json_type, *headers(pool.endpoint)], body)
    root = folder.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():  # no path traversal
        return json_response(404, {"message": "Not Found"})
    kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
    kind = f"{kind}; charset=utf-8" if kind and kind.startswith("text/") else kind
    return HttpResponse(
        200,
        [("Content-Type", kind or "application/octet-stream"), *headers(pool.endpoint)],
        target.read_bytes(),
    )


def cognito_proxy(request: HttpRequest, pool: ConsolePool | None) -> HttpResponse:
    """`POST /_local/cognito`: one of the console's Cognito actions, passed to moto as is."""
    target = request.header("x-amz-target") or ""
    action = target.removeprefix(_TARGET)
    if pool is None or not target.startswith(_TARGET) or action not in _CONSOLE_ACTIONS:
        return json_response(400, {"__type": "UnknownOperationException"})
    forwarded = urllib.request.Request(  # noqa: S310 - moto on loopback
        pool.endpoint + "/",
        data=request.body,
        method="POST",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
    )
    try:
        with urllib.request.urlopen(forwarded, timeout=60) as answer:  # noqa: S310
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        status, body = refused.code, refused.read()
    return HttpResponse(status, [("Content-Type", "application/x-amz-json-1.1")], body)
