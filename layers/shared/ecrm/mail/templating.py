"""Jinja2 environments: sandboxed, autoescaped, strict about undefined names. Anything a marketer
writes is rendered here, and so are our own pages and mails, so one set of rules applies."""

from __future__ import annotations

from functools import cache

from jinja2 import PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment


@cache
def package_templates(package: str, folder: str = "templates") -> SandboxedEnvironment:
    """Templates shipped beside a function (e.g. `mailing/templates`), loaded once."""
    return SandboxedEnvironment(
        loader=PackageLoader(package, folder),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
