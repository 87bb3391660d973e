"""The OpenAPI document of a function's routes, built by Powertools' resolver from the very
declarations our router serves (`ecrm.web.router`): each route registered again on an
`APIGatewayRestResolver`, its `ecrm.web.params` markers translated to Powertools' (same
keywords), its plain bodies and answers to the models that document them (`ecrm.web.plain`)
and the refusals' schema names (`ecrm.web.openapi_responses`) to the models below.

Imported by `local.openapi` (`ecrm serve`, Schemathesis, the gateway tests) and tests, never by
a handler: it imports the event handler package and pydantic, which a cold start does without.
"""

from __future__ import annotations

import copy
import functools
import inspect
import types
import typing
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler import Response as PowertoolsResponse
from aws_lambda_powertools.event_handler.openapi import params as powertools
from pydantic import ConfigDict, Field, RootModel

from ecrm.platform.models import Model
from ecrm.web.openapi_responses import ADMIN_REFUSAL, ERROR_BODY
from ecrm.web.params import marker
from ecrm.web.plain import documented, model_of
from ecrm.web.router import App, Response, Route


class ErrorDetail(Model):
    code: str = Field(description="Stable, machine-readable: `validation_failed`, `busy_retry`...")
    message: str = Field(description="For people")
    fields: dict[str, str] = Field(description="What is wrong with each named input")


class ErrorBody(Model):
    """Every refusal of every route (a `DomainError` mapped by `ecrm.web.http`)."""

    error: ErrorDetail


class GatewayRefusal(Model):
    """API Gateway's own answer when its authorizer refuses, before any function runs."""

    message: str


class AdminRefusal(RootModel):  # type: ignore[type-arg]  # its root is declared below
    """An admin route's 401: from API Gateway's authorizer, or from the function's own guard."""

    model_config = ConfigDict(defer_build=True)  # as every `Model` (ecrm.platform.models)
    root: ErrorBody | GatewayRefusal


_MODELS = {ERROR_BODY: ErrorBody, ADMIN_REFUSAL: AdminRefusal}
_MARKERS = {"path": powertools.Path, "query": powertools.Query, "header": powertools.Header}


def resolver(app: App) -> APIGatewayRestResolver:
    """Powertools' resolver with `app`'s routes, for `get_openapi_schema` and its JSON."""
    translated = APIGatewayRestResolver(enable_validation=True)
    for route in app.routes:
        openapi = dict(route.openapi)
        if "responses" in openapi:
            openapi["responses"] = _responses(openapi["responses"])
        translated.route(route.rule, route.method, **openapi)(_signed(route))
    return translated


def _responses(responses: dict[int, Any]) -> dict[int, Any]:
    declared = copy.deepcopy(responses)
    for response in declared.values():
        for content in response.get("content", {}).values():
            if isinstance(content.get("model"), str):
                content["model"] = _MODELS[content["model"]]
    return declared


def _signed(route: Route) -> Any:
    """The route's function as Powertools reads it: its signature, each marker translated."""
    func = route.func
    hints = {
        name: _documented(hint)
        for name, hint in typing.get_type_hints(func, include_extras=True).items()
    }
    signature = inspect.signature(func)
    parameters = []
    for name, parameter in signature.parameters.items():
        kind, mark = marker(hints[name])
        annotation = (
            hints[name] if mark is None else Annotated[kind, _MARKERS[mark.where](**mark.kwargs)]
        )
        parameters.append(parameter.replace(annotation=annotation))
    returns = hints.get("return", inspect.Signature.empty)
    if returns is Response or typing.get_origin(returns) is Response:  # ours: Powertools' then
        returns = PowertoolsResponse[typing.get_args(returns) or Any]  # type: ignore[misc]

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=returns
    )
    return call


def _documented(hint: Any) -> Any:
    """`hint` with each plain type (`ecrm.web.plain`) replaced by its model, also as an
    argument (`list[X]`, `dict[str, list[X]]`, `Response[X]`)."""
    if documented(hint):
        return model_of(hint)
    args = typing.get_args(hint)
    if not args or typing.get_origin(hint) is typing.Annotated:
        return hint
    mapped = tuple(_documented(arg) for arg in args)
    if mapped == args:
        return hint
    if isinstance(hint, types.GenericAlias):  # list[X], dict[K, V]
        return types.GenericAlias(typing.get_origin(hint), mapped)
    if isinstance(hint, types.UnionType):  # X | None
        return typing.Union[mapped]  # noqa: UP007 - built from a tuple
    return hint.copy_with(mapped)  # typing's aliases: Response[X], Optional[X]
