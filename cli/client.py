"""The HTTP client of the API: JSON in and out, bearer token, and every refusal turned into an
`ApiError` that carries the API's stable error body and the command line's exit code.

Exit codes (also in docs/cli.md):

    0  done
    1  the API refused the request (4xx: validation, not found, ...)
    2  usage: bad arguments, or a local file that cannot be read
    3  authentication: no or bad credentials (401, 403), sign-in failed
    4  conflict: the thing changed meanwhile or is in the wrong state (409, 412, 428)
    5  the API is unreachable or failing (5xx, 429 after retries, network)
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

OK, REFUSED, USAGE, AUTH, CONFLICT, UNAVAILABLE = 0, 1, 2, 3, 4, 5
_RETRIES = 3  # on 503 busy_retry / 429, which the API documents as safe to retry as is
_MAX_WAIT = 5.0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The API never redirects an admin call; following one would carry the bearer token to
    wherever it points. A 3xx is reported as the refusal it is."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@cache
def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirects)


class CliError(Exception):
    """Anything that ends a command with a message and an exit code."""

    def __init__(
        self,
        message: str,
        exit_code: int,
        *,
        code: str = "cli_error",
        status: int | None = None,
        fields: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.message = message
        self.exit_code = exit_code
        self.code = code
        self.status = status
        self.fields = dict(fields or {})

    def as_json(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "fields": self.fields,
                "status": self.status,
            },
            "exit_code": self.exit_code,
        }


class ApiError(CliError):
    """The API answered with an error status (its body: `{"error": {code, message, fields}}`)."""


def exit_code_for(status: int) -> int:
    if status in (401, 403):
        return AUTH
    if status in (409, 412, 428):
        return CONFLICT
    if status == 429 or status >= 500:
        return UNAVAILABLE
    return REFUSED


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ApiClient:
    def __init__(self, base_url: str, token: str | None, *, timeout: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        # Seconds to wait for an answer: ECRM_TIMEOUT, else 30 (API Gateway gives up at 29);
        # a local stack on a busy machine may need more.
        self.timeout = timeout or float(os.environ.get("ECRM_TIMEOUT") or 30.0)

    def get(self, path: str, **query: str | int | None) -> Any:
        return self.request("GET", path, query=query).body

    def post(self, path: str, body: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        return self.request("POST", path, body, headers=headers).body

    def put(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Any:
        return self.request("PUT", path, body, headers=headers).body

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path).body

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str | int | None] | None = None,
    ) -> Answer:
        url = self.base_url + path
        if query and (kept := {k: v for k, v in query.items() if v is not None}):
            url += "?" + urllib.parse.urlencode(kept)
        sent = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        for attempt in range(_RETRIES + 1):
            try:
                return self._once(method, url, data, sent)
            except ApiError as error:
                if error.status not in (429, 503) or attempt == _RETRIES:
                    raise
                time.sleep(_wait(error.retry_after, attempt))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _once(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> Answer:
        if not url.startswith(("http://", "https://")):
            raise CliError(f"the API URL must be http(s): {url}", USAGE, code="bad_api_url")
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - scheme checked above
        try:
            with _opener().open(request, timeout=self.timeout) as response:
                raw = response.read()
                return Answer(response.status, _decode(raw), dict(response.headers.items()))
        except urllib.error.HTTPError as error:
            raise _refusal(error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CliError(
                f"cannot reach the API at {self.base_url}: {reason} "
                "(is `ecrm serve` running, or is --api-url right?)",
                UNAVAILABLE,
                code="unreachable",
            ) from None


def _wait(retry_after: float | None, attempt: int) -> float:
    """Seconds before the next attempt: what Retry-After says (0 is "now"), else a doubling
    backoff from half a second; never more than `_MAX_WAIT`."""
    wanted = 0.5 * 2**attempt if retry_after is None else retry_after
    return min(_MAX_WAIT, wanted)


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _refusal(error: urllib.error.HTTPError) -> ApiError:
    status = error.code
    body = _decode(error.read())
    detail = body.get("error") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        code = str(detail.get("code", "error"))
        message = str(detail.get("message", ""))
        fields = {str(k): str(v) for k, v in (detail.get("fields") or {}).items()}
    else:  # API Gateway's own refusals: {"message": "Unauthorized"}
        code = {401: "unauthenticated", 403: "forbidden"}.get(status, f"http_{status}")
        message = str(body.get("message", "")) if isinstance(body, dict) else str(body or "")
        fields = {}
    retry_after = error.headers.get("Retry-After")
    message = message or f"HTTP {status}"
    if status == 401:
        message += " (sign in with `ecrm login`, or pass --token / ECRM_TOKEN)"
    return ApiError(
        message,
        exit_code_for(status),
        code=code,
        status=status,
        fields=fields,
        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
    )
