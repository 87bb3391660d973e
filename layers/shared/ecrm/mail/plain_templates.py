"""Our own transactional mails (functions/mailing/templates: the confirmation, sign-in and
address-verification mails) rendered without Jinja. Each is plain text with `{{ name }}`
substitutions only, and importing Jinja costs ~0.1 of the cold-start baseline (issue 15 point
7) to a function that renders nothing else.

Rendered exactly as `templating.package_templates` renders them, which
tests/unit/test_plain_templates.py checks for every template: every value escaped by
markupsafe, as Jinja's autoescape does (`select_autoescape(default=True)` escapes .txt as well
as .html), a name the context lacks an error (`StrictUndefined`), line breaks as `\\n` and the
last one dropped. A template holding any other Jinja syntax is refused when first read
(`NotPlain`): render that one with Jinja.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from markupsafe import escape

_SUBSTITUTION = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_JINJA_SYNTAX = re.compile(r"\{[{%#]")  # what else starts a tag, a block or a comment
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class NotPlain(ValueError):
    """The template holds more than `{{ name }}` substitutions."""


def parse(source: str) -> tuple[str, ...]:
    """Text, name, text, name, ..., text: the template split at its substitutions."""
    lines = _LINE_BREAK.split(source)
    if lines[-1] == "":  # Jinja's `keep_trailing_newline=False`
        del lines[-1]
    parts = _SUBSTITUTION.split("\n".join(lines))
    if any(_JINJA_SYNTAX.search(text) for text in parts[::2]):
        raise NotPlain("only {{ name }} substitutions are rendered without Jinja")
    return tuple(parts)


@cache
def _template(package: str, name: str) -> tuple[str, ...]:
    source = resources.files(package).joinpath("templates", name).read_text(encoding="utf-8")
    try:
        return parse(source)
    except NotPlain as error:
        raise NotPlain(f"{package}/templates/{name}: {error}") from None


def render(package: str, name: str, context: Mapping[str, Any]) -> str:
    """`package`'s `templates/<name>` with `context`; KeyError names a missing value."""
    parts = _template(package, name)
    rendered = [parts[0]]
    for index in range(1, len(parts), 2):
        rendered += [escape(context[parts[index]]), parts[index + 1]]
    return "".join(rendered)
