"""Plainly valid values: what a pydantic field surely accepts, checked without pydantic.

For the plain readers of request bodies (`ecrm.web.plain`): a reader answers a value only
when every field passes these, and leaves anything else to the model (which may accept it
after coercion, or refuse it with its own words). So each check may refuse more than pydantic
does, never less: a `str` field accepts any Python string pydantic-core can read as Unicode
(no lone surrogate, which `json.loads` lets through), an `int` field an `int` (not a bool, a
float or a numeric string, which pydantic's lax mode would coerce).
"""

from __future__ import annotations

import re
from typing import Any


def text(value: Any, min_length: int = 0, max_length: int | None = None) -> bool:
    """A string of `min_length` to `max_length` characters (pydantic counts code points)."""
    if not isinstance(value, str) or len(value) < min_length:
        return False
    if max_length is not None and len(value) > max_length:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate: pydantic refuses it
        return False
    return True


def matches(value: Any, pattern: re.Pattern[str]) -> bool:
    """A string `pattern` matches whole (compile patterns with `\\Z`: `$` also allows "\\n")."""
    return text(value) and pattern.match(value) is not None


def integer(value: Any, ge: int, le: int) -> bool:
    return type(value) is int and ge <= value <= le
