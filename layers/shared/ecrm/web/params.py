"""A route's path, query and header parameters, declared as Powertools declares them:

    FormId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Form id")]

and checked by `Param.read` with the constraints our routes use (pattern, length, bounds, int,
a `Literal`), each refusal worded as pydantic words it, for the 400's `fields`. Powertools'
`openapi.params` imports pydantic and the event handler package (~0.5 of a cold start's
baseline, docs/design/platform.md); the OpenAPI document translates these markers to
Powertools' when it is built (`ecrm.web.openapi`), never on a Lambda start.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal, get_args, get_origin

_INT = re.compile(r"[+-]?[0-9]{1,30}")
MISSING = object()


class Param:
    """A marker in `Annotated[type, Path(...)]`; its keywords are Powertools' (`kwargs`)."""

    where = ""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.alias: str | None = kwargs.get("alias")
        pattern = kwargs.get("pattern")
        # `$` ends the string in pydantic's (Rust) regex; Python's would also allow a last "\n".
        end = pattern[:-1] + r"\Z" if pattern and pattern.endswith("$") else pattern
        self.pattern = re.compile(end) if end else None

    def name_in_request(self, name: str) -> str:
        return self.alias or name

    def read(self, value: Any, kind: Any) -> Any:
        """`value` (a string, a list of them or `MISSING`) as `kind`; ValueError says why not."""
        kind, _ = _optional(kind)
        if value is MISSING:
            raise ValueError("Field required")
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else value
        if not isinstance(value, str):
            raise ValueError(f"Input should be a valid {'integer' if kind is int else 'string'}")
        if get_origin(kind) is Literal:
            allowed = get_args(kind)
            if value not in allowed:
                *first, last = [f"'{a}'" for a in allowed]
                raise ValueError(
                    f"Input should be {' or '.join(filter(None, [', '.join(first), last]))}"
                )
            return value
        if kind is int:
            return self._number(value)
        return self._text(value)

    def _number(self, value: str) -> int:
        if not _INT.fullmatch(value.strip()):
            raise ValueError(
                "Input should be a valid integer, unable to parse string as an integer"
            )
        number = int(value.strip())
        bounds = [("ge", ">=", "greater than or equal to"), ("le", "<=", "less than or equal to")]
        bounds += [("gt", ">", "greater than"), ("lt", "<", "less than")]
        for key, op, words in bounds:
            limit = self.kwargs.get(key)
            if limit is not None and not _holds(number, op, limit):
                raise ValueError(f"Input should be {words} {limit}")
        return number

    def _text(self, value: str) -> str:
        shortest, longest = self.kwargs.get("min_length"), self.kwargs.get("max_length")
        if shortest is not None and len(value) < shortest:
            raise ValueError(f"String should have at least {_chars(shortest)}")
        if longest is not None and len(value) > longest:
            raise ValueError(f"String should have at most {_chars(longest)}")
        if self.pattern and not self.pattern.search(value):
            raise ValueError(f"String should match pattern '{self.kwargs['pattern']}'")
        return value


class Path(Param):
    where = "path"


class Query(Param):
    where = "query"


class Header(Param):
    where = "header"

    def name_in_request(self, name: str) -> str:
        return (self.alias or name.replace("_", "-")).lower()


def _holds(number: int, op: str, limit: int) -> bool:
    return {">=": number >= limit, "<=": number <= limit, ">": number > limit, "<": number < limit}[
        op
    ]


def _chars(n: int) -> str:
    return f"{n} character{'' if n == 1 else 's'}"


def _optional(kind: Any) -> tuple[Any, bool]:
    """`str | None` -> (str, True)."""
    if get_origin(kind) in (typing.Union, types.UnionType):
        rest = [a for a in get_args(kind) if a is not type(None)]
        return (rest[0] if len(rest) == 1 else kind), len(rest) < len(get_args(kind))
    return kind, False


def marker(annotation: Any) -> tuple[Any, Param | None]:
    """(type, its Param) of `Annotated[type, Param(...)]`; (annotation, None) otherwise."""
    if get_origin(annotation) is typing.Annotated:
        kind, *extras = get_args(annotation)
        for extra in extras:
            if isinstance(extra, Param):
                return kind, extra
    return annotation, None
