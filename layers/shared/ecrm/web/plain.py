"""Bodies and answers as plain values, documented by their pydantic models (cold starts).

Importing pydantic costs a start ~0.35 of the cold-start baseline (docs/design/platform.md,
"Cold start"). A route whose event a start serves may therefore declare its JSON body or its
answer with a plain type, a dataclass naming the pydantic model that documents it:

    @dataclass(frozen=True)
    class ErasureRequest:
        documented_by: ClassVar[str] = "account.erasure_schema:ErasureIn"
        email: str

        @classmethod
        def plain(cls, value: Any) -> ErasureRequest | None: ...

- The OpenAPI document shows the model (`ecrm.web.openapi` puts it in place of the type, also
  inside `list[...]` or `dict[...]`), so the document is what it was with the model.
- An answer is serialised as a dataclass (`dataclasses.asdict`): its fields are the model's.
- A body (`PlainBody`) is read by `plain`, which answers the value only when the body is
  plainly valid, as the model would read it, and None otherwise: then the model reads it (the
  router imports it), and its refusals make the 400's `fields` exactly as before; what it
  accepts becomes the plain type (`cls(**model.model_dump())`).
  tests/unit/test_plain_bodies.py holds each `plain` to its model.

The plain types live where their values are used (a domain module or a handler); the domain
imports nothing from `ecrm.web`, so they are matched by shape (`documented_by`, `plain`).
`lazy` defers a module of models that only other routes (or the document) need.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, ClassVar, Protocol, Self


class Documented(Protocol):
    documented_by: ClassVar[str]  # "package.module:Model"


class PlainBody(Documented, Protocol):
    @classmethod
    def plain(cls, value: Any) -> Self | None:
        """`value` (parsed JSON) as this type when plainly valid; None: the model decides."""
        ...


def documented(kind: Any) -> bool:
    return isinstance(kind, type) and isinstance(getattr(kind, "documented_by", None), str)


def plain_body(kind: Any) -> bool:
    return documented(kind) and callable(getattr(kind, "plain", None))


def model_of(kind: type[Documented]) -> Any:
    """The pydantic model that documents `kind` (importing its module, and pydantic)."""
    module, _, name = kind.documented_by.partition(":")
    return getattr(importlib.import_module(module), name)


class _Lazy(ModuleType):
    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module(self.__name__), name)


def lazy(module: str) -> Any:
    """A stand-in for `module`, imported when one of its names is first read: for the models
    that only some routes need (`body: models.AutomationIn`, read when that route is first
    called, or when the document is built). Declare the real import for type checkers:

        if TYPE_CHECKING:
            from ecrm.automations import rules
        else:
            rules = lazy("ecrm.automations.rules")
    """
    return _Lazy(module)
