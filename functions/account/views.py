"""The account function's HTML pages and the preference center's script and styles, all served
by the API itself (it is the only web host once deployed)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from ecrm.platform.settings import settings
from ecrm.web import http
from ecrm.web.router import Response

_ASSET_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def page(name: str, status: int = 200, **context: Any) -> Response[str]:
    # Jinja is imported on the first page only: the JSON routes never need it.
    from ecrm.mail import templating  # noqa: PLC0415

    template = templating.package_templates("account", "pages").get_template(name)
    brand = settings().transactional_sender_name  # who the mails come from
    return http.html(template.render({"brand": brand, **context}), status)


@cache
def _asset_text(name: str) -> str:
    return resources.files("account").joinpath("pages", name).read_text(encoding="utf-8")


def asset(name: str) -> Response[str]:
    content_type = _ASSET_TYPES[name[name.rindex(".") :]]
    headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
    return Response(200, content_type, _asset_text(name), headers=headers)
