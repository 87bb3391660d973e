"""The API functions' router: routes declared as with Powertools' resolver (`@app.get(rule,
summary=..., responses=...)`, parameters as `Annotated[str, Path(...)]`, `ecrm.web.params`),
served by a few lines of our own.

Why not Powertools' `APIGatewayRestResolver`: cold starts (issue 15 point 7). Importing its
package costs ~0.18 of the baseline (boto3 and a client, 1.05 G instructions), its parameter
markers and request validation pydantic (~0.35 more), on every start of every API function;
this module imports neither (docs/design/platform.md, "Cold start"). What it keeps of
Powertools' behaviour, exactly: the route matching (`<name>` segments, static routes first,
trailing slashes), the CORS headers and preflight answer, exception handlers, middlewares
(`app.use`) after parameters are read, the JSON serialisation of what a route returns. A
parameter or body it cannot read is a 400 with the stable error body (`ecrm.web.http`), each
problem in `fields`. Powertools' resolver still builds the OpenAPI document from these very
declarations (`ecrm.web.openapi`), outside Lambda.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Generic, TypeVar

from ecrm.platform.errors import MalformedRequest, NotFound, UnsupportedMediaType
from ecrm.web.event import Event, loads, media_type
from ecrm.web.params import MISSING, marker
from ecrm.web.plain import model_of, plain_body

T = TypeVar("T")
JSON = "application/json"
_SEGMENT = r"(?P\1[-._~()'!*:@,;=+&$%<> \[\]{}|^\\w]+)"  # as Powertools matches `<name>`


class content_types:  # noqa: N801 - named as Powertools' module, which handlers used
    APPLICATION_JSON = JSON
    TEXT_HTML = "text/html"


class Response(Generic[T]):
    """What a route answers when a status, a media type or headers matter (as Powertools')."""

    def __init__(
        self,
        status_code: int,
        content_type: str | None = None,
        body: T | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code, self.body = status_code, body
        self.headers: dict[str, str] = dict(headers or {})
        if content_type:
            self.headers.setdefault("Content-Type", content_type)


class CORSConfig:
    """Powertools' CORS answer: the headers for an allowed Origin, and a 204 to a preflight."""

    _REQUIRED = ("Authorization", "Content-Type", "X-Amz-Date", "X-Api-Key", "X-Amz-Security-Token")

    def __init__(
        self,
        allow_origin: str = "*",
        allow_headers: list[str] | None = None,
        expose_headers: list[str] | None = None,
        max_age: int | None = None,
    ) -> None:
        self.allow_origin, self.max_age = allow_origin, max_age
        self.allow_headers = ",".join(sorted({*self._REQUIRED, *(allow_headers or [])}))
        self.expose_headers = expose_headers or []

    def headers(self, origin: str | None) -> dict[str, str]:
        if origin is None or self.allow_origin not in (origin, "*"):
            return {}
        allowed = origin if origin == self.allow_origin else "*"
        headers = {"Access-Control-Allow-Origin": allowed}
        headers["Access-Control-Allow-Headers"] = self.allow_headers
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        return headers


class Route:
    def __init__(self, method: str, rule: str, func: Callable[..., Any], **openapi: Any) -> None:
        self.method, self.rule, self.func, self.openapi = method, rule, func, openapi
        self.pattern = re.compile("^{}/*$".format(re.sub(r"(<\w+>)", _SEGMENT, rule)))
        self._params: list[tuple[str, Any, Any, Any]] | None = None

    def params(self) -> list[tuple[str, Any, Any, Any]]:
        """(name, type, marker or None for the body, default) of each argument, read once."""
        if self._params is None:
            import inspect  # noqa: PLC0415 - only routes with arguments need it

            found = []
            for name, param in inspect.signature(self.func).parameters.items():
                annotation = param.annotation
                if isinstance(annotation, str):  # `from __future__ import annotations`
                    annotation = eval(annotation, self.func.__globals__)  # noqa: S307 - our code
                kind, mark = marker(annotation)
                default = MISSING if param.default is param.empty else param.default
                found.append((name, kind, mark, default))
            self._params = found
        return self._params

    def arguments(self, event: Event, path_args: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name, kind, mark, default in self.params():
            if mark is None:
                values[name] = _body(event, kind, problems)
                continue
            source = path_args if mark.where == "path" else event._values(mark.where)
            raw = source.get(mark.name_in_request(name), MISSING)
            if raw is MISSING and default is not MISSING:
                values[name] = default
                continue
            try:
                values[name] = mark.read(raw, kind)
            except ValueError as problem:
                problems[name if mark.where != "header" else mark.name_in_request(name)] = str(
                    problem
                )
        if problems:
            raise MalformedRequest("The request is not valid.", problems)
        return values


class Router:
    """Routes declared in a module of their own (`app.include_router(router)`)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._app: App | None = None

    @property
    def current_event(self) -> Event:
        assert self._app is not None, "include_router first"
        return self._app.event

    def route(self, rule: str, method: str, **openapi: Any) -> Callable[[Any], Any]:
        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self.routes.append(Route(method, rule, func, **openapi))
            return func

        return register

    def get(self, rule: str, **openapi: Any) -> Callable[[Any], Any]:
        return self.route(rule, "GET", **openapi)

    def post(self, rule: str, **openapi: Any) -> Callable[[Any], Any]:
        return self.route(rule, "POST", **openapi)

    def put(self, rule: str, **openapi: Any) -> Callable[[Any], Any]:
        return self.route(rule, "PUT", **openapi)

    def patch(self, rule: str, **openapi: Any) -> Callable[[Any], Any]:
        return self.route(rule, "PATCH", **openapi)

    def delete(self, rule: str, **openapi: Any) -> Callable[[Any], Any]:
        return self.route(rule, "DELETE", **openapi)


Middleware = Callable[["App", Callable[["App"], Response[Any]]], Response[Any]]


class App(Router):
    """A function's routes (its own, and its routers'), served by `resolve`."""

    def __init__(self, cors: CORSConfig | None = None) -> None:
        super().__init__()
        self._app, self.cors = self, cors
        self.event = Event()  # the one being served (`current_event`)
        self.lambda_context: Any = None
        self.middlewares: list[Middleware] = []
        self.handlers: dict[type[BaseException], Callable[[Any], Response[Any]]] = {}
        self.not_found_handler: Callable[[Any], Response[Any]] | None = None

    def include_router(self, router: Router) -> None:
        router._app = self
        self.routes.extend(router.routes)

    def use(self, middlewares: list[Middleware]) -> None:
        self.middlewares.extend(middlewares)

    def exception_handler(self, kind: type[BaseException]) -> Callable[[Any], Any]:
        def register(handler: Callable[[Any], Response[Any]]) -> Callable[[Any], Response[Any]]:
            self.handlers[kind] = handler
            return handler

        return register

    def not_found(self, handler: Callable[[Any], Response[Any]]) -> Callable[[Any], Response[Any]]:
        self.not_found_handler = handler
        return handler

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        routes = [r for r in self.routes if r.method == method]
        for route in sorted(routes, key=lambda r: r.pattern.groups > 0):  # static ones first
            if found := route.pattern.match(path):
                return route, found.groupdict()
        return None, {}

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self.event, self.lambda_context = Event(event), context
        method = self.current_event.http_method.upper()
        route, path_args = self._match(method, self.current_event.path)
        try:
            if route is None:
                response = self._chain(lambda _: self._unmatched(method))
            else:
                args = route.arguments(self.current_event, path_args)
                response = self._chain(lambda _: _as_response(route.func(**args)))
        except Exception as error:  # mapped to an answer, as Powertools' exception handlers
            response = self._handled(error)
        return self._build(response)

    def _chain(self, last: Callable[[App], Response[Any]]) -> Response[Any]:
        for middleware in reversed(self.middlewares):
            last = functools.partial(_step, middleware, last)
        return last(self)

    def _unmatched(self, method: str) -> Response[Any]:
        if self.cors and method == "OPTIONS":  # a preflight: the methods, nothing else
            methods = ",".join(sorted({"OPTIONS", *(r.method for r in self.routes)}))
            return Response(204, None, "", {"Access-Control-Allow-Methods": methods})
        if self.not_found_handler is None:
            raise NotFound("No such route.")
        return self.not_found_handler(None)

    def _handled(self, error: Exception) -> Response[Any]:
        for kind in type(error).__mro__:
            if kind in self.handlers:
                return self.handlers[kind](error)
        raise error

    def _build(self, response: Response[Any]) -> dict[str, Any]:
        body = response.body
        if response.headers.get("Content-Type", "").startswith(JSON) and not isinstance(body, str):
            body = json.dumps(body, separators=(",", ":"), default=_plain)
        if self.cors:
            origin = self.current_event._values("header").get("origin")
            response.headers.update(
                self.cors.headers(origin[0] if isinstance(origin, list) else origin)
            )
        encoded = isinstance(body, bytes)
        return {
            "statusCode": response.status_code,
            "body": base64.b64encode(body).decode() if isinstance(body, bytes) else body,
            "isBase64Encoded": encoded,
            "multiValueHeaders": {k: [v] for k, v in response.headers.items() if v is not None},
        }


def _step(middleware: Middleware, next_middleware: Callable[[App], Response[Any]], app: App) -> Any:
    return middleware(app, next_middleware)


def _as_response(result: Any) -> Response[Any]:
    return result if isinstance(result, Response) else Response(200, JSON, result)


def _plain(value: Any) -> Any:
    """JSON for what routes return besides plain data: models as pydantic dumps them."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _body(event: Event, kind: Any, problems: dict[str, str]) -> Any:
    """A route's JSON body as its model (`body: SomeModel`): refusals as Powertools' were. A
    plain type (`ecrm.web.plain`) reads a plainly valid body itself, without pydantic."""
    media = media_type(event)
    if media and media != JSON:
        raise UnsupportedMediaType(f"Send {JSON}.")
    raw = event.body
    try:
        if raw and event.is_base64_encoded:
            raw = base64.b64decode(raw.encode(), validate=True).decode()
    except (ValueError, UnicodeError) as error:  # binascii.Error is a ValueError
        raise MalformedRequest("The body could not be decoded.") from error
    if not raw:
        problems["request"] = "Field required"
        return None
    value = loads(raw)
    if plain_body(kind):
        if (read := kind.plain(value)) is not None:
            return read
        validated = _validated(model_of(kind), value, problems)
        return None if validated is None else kind(**validated.model_dump())
    return _validated(kind, value, problems)


def _validated(model: Any, value: Any, problems: dict[str, str]) -> Any:
    from pydantic import ValidationError  # noqa: PLC0415 - a model's route imports pydantic

    from ecrm.platform.models import said  # noqa: PLC0415 - so does this (pydantic)

    try:
        return model.model_validate(value)
    except ValidationError as error:
        for e in error.errors():
            problems[".".join(str(p) for p in e["loc"]) or "request"] = said(e)
        return None
