"""One OpenAPI document for the whole API: each Api-triggered function's Powertools resolver
(`module.app`) describes its own routes; their paths and components are merged, and each route
the template guards with an authorizer requires it (a bearer scheme Swagger's "Authorize" fills)."""

from __future__ import annotations

import importlib
import json
import logging
import tomllib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ecrm.web.openapi import resolver
from ecrm.web.router import App
from local.lambda_runtime import add_code_paths
from local.template import REPO_ROOT, Template

Json = Any
log = logging.getLogger(__name__)
TITLE = "ecrm"


def merged_openapi(template: Template | None = None) -> dict[str, Json]:
    template = template or Template.load()
    add_code_paths(template)
    merged: dict[str, Json] = {}
    modules = dict.fromkeys(f.handler_module for f in template.functions() if f.api_routes)
    for module_name in modules:
        document = function_openapi(module_name)
        if document is None:
            continue
        if not merged:
            merged = document
            continue
        paths = merged.setdefault("paths", {})
        for path, operations in document.get("paths", {}).items():
            paths.setdefault(path, {}).update(operations)  # two functions may share a path
        components = merged.setdefault("components", {})
        for kind, entries in document.get("components", {}).items():
            _merge_components(components.setdefault(kind, {}), entries, kind, module_name)
    if not merged:
        return {"openapi": "3.1.0", "info": {"title": TITLE, "version": package_version()}}
    _drop_powertools_validation_answers(merged)
    _require_authorizers(merged, template)
    _declare_event_key(merged)
    return merged


def _merge_components(
    merged: dict[str, Json], entries: dict[str, Json], kind: str, module_name: str
) -> None:
    """Functions share components by name (the error body, say); two different ones under one
    name would leave one function's answers documented with the other's schema."""
    for name, entry in entries.items():
        if name in merged and merged[name] != entry:
            raise ValueError(
                f"{module_name} defines components.{kind}.{name} unlike another function: "
                "rename its model"
            )
        merged[name] = entry


def function_openapi(module_name: str) -> dict[str, Json] | None:
    """The OpenAPI document of one handler module's routes (its `app`), as Powertools builds it."""
    app: Any = getattr(importlib.import_module(module_name), "app", None)
    if isinstance(app, App):  # our router: Powertools' resolver describes the same routes
        app = resolver(app)
    if not hasattr(app, "get_openapi_json_schema"):
        log.warning("%s has no Powertools resolver `app`: left out of OpenAPI", module_name)
        return None
    document: dict[str, Json] = json.loads(
        app.get_openapi_json_schema(title=TITLE, version=package_version())
    )
    return document


def _require_authorizers(document: dict[str, Json], template: Template) -> None:
    """API Gateway, not the handlers, checks the token, so Powertools cannot know which routes
    need one: the template's `Auth.Authorizer` of each route says."""
    paths = document.get("paths", {})
    for function in template.functions():
        for route in function.api_routes:
            operation = paths.get(route.path, {}).get(route.method.lower())
            if route.authorizer in (None, "NONE") or operation is None:
                continue
            operation["security"] = [{route.authorizer: []}]
            schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes[route.authorizer] = {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A Cognito ID token of the marketers' user pool (`ecrm login`); "
                "locally, a token of `<state>/admin-tokens.json`.",
            }


def _declare_event_key(document: dict[str, Json]) -> None:
    """`POST /events` checks its key itself (`ecrm.events.api_keys`): the route names the
    `EventKey` scheme (`security`), declared here once for the merged document."""
    named = json.dumps(document.get("paths", {}))
    if '"EventKey"' not in named:
        return
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["EventKey"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An event source key (`ecrm event-keys create`), as "
        "`Authorization: Bearer <key>` or in the `X-Api-Key` header.",
    }


def _drop_powertools_validation_answers(document: dict[str, Json]) -> None:
    """Powertools declares a 422 `HTTPValidationError` on every route; ours never answer it
    (`ecrm.web.http` maps a request Powertools cannot validate to a 400 with the stable error
    body): a route that can answer 422 declares it (`ecrm.web.openapi_responses`)."""
    default = {"$ref": "#/components/schemas/HTTPValidationError"}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            answer = responses.get("422", {}).get("content", {}).get("application/json", {})
            if answer.get("schema") == default:
                del responses["422"]
    if "HTTPValidationError" not in json.dumps(document.get("paths", {})):
        for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
            document.get("components", {}).get("schemas", {}).pop(name, None)


def package_version() -> str:
    try:
        return version("ecrm")
    except PackageNotFoundError:  # running from a checkout that was never pip-installed
        with (REPO_ROOT / "pyproject.toml").open("rb") as pyproject:
            return str(tomllib.load(pyproject)["project"]["version"])
