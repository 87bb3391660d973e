"""The API Gateway (REST) proxy event as the routes read it (`app.current_event`): the event
dict itself, and the few views of it that Powertools' `APIGatewayProxyEvent` gave the handlers
(headers whatever their case, the caller's address, the authorizer's claims), without
importing Powertools' data classes at a cold start (`ecrm.web.router`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ecrm.platform.errors import MalformedRequest

MAX_JSON_DEPTH = 32
# What the depth scan looks at: escapes, quotes and brackets (one pass, no backtracking).
_JSON_PUNCTUATION = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


class Headers(dict[str, Any]):
    """Request headers, looked up whatever their case (as HTTP has them)."""

    def __init__(self, headers: Mapping[str, Any] | None) -> None:
        super().__init__((k.lower(), v) for k, v in (headers or {}).items())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class _View:
    """Attribute access to a part of the event (`request_context.identity.source_ip`)."""

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        self._data = data or {}

    @property
    def identity(self) -> _View:
        return _View(self._data.get("identity"))

    @property
    def source_ip(self) -> str | None:
        return self._data.get("sourceIp")

    @property
    def authorizer(self) -> _View:
        return _View(self._data.get("authorizer"))

    @property
    def claims(self) -> dict[str, Any]:
        return dict(self._data.get("claims") or {})


class Event(dict[str, Any]):
    """The API Gateway (REST) proxy event as routes read it: the dict, and what Powertools'
    `APIGatewayProxyEvent` offered that the handlers use."""

    @property
    def headers(self) -> Headers:
        return Headers(self.get("headers"))

    @property
    def query_string_parameters(self) -> dict[str, str]:
        return self.get("queryStringParameters") or {}

    @property
    def path_parameters(self) -> dict[str, str]:
        return self.get("pathParameters") or {}

    @property
    def body(self) -> str | None:
        return self.get("body")

    @property
    def is_base64_encoded(self) -> bool:
        return bool(self.get("isBase64Encoded"))

    @property
    def http_method(self) -> str:
        return str(self.get("httpMethod") or "")

    @property
    def path(self) -> str:
        return str(self.get("path") or "")

    @property
    def request_context(self) -> _View:
        return _View(self.get("requestContext"))

    def _values(self, where: str) -> Mapping[str, Any]:
        """What a parameter is read from: lists where the event has several values."""
        if where == "header":
            return Headers(self.get("multiValueHeaders") or self.get("headers"))
        if where == "query":
            return {
                **self.query_string_parameters,
                **(self.get("multiValueQueryStringParameters") or {}),
            }
        return {}


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


def media_type(event: Event) -> str:
    return (event.headers.get("content-type") or "").split(";")[0].strip().lower()
