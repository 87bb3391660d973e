"""Each function's own Powertools metric set, as in Lambda.

Powertools keeps the metrics, dimensions and metadata of every `Metrics` instance in class
attributes, one set for the whole process: in Lambda, one function. Locally every function runs
on threads of one process, so one function's flush published what another had added (under its
own service), or emptied the set between another's "anything to publish?" and its serialisation
(`SchemaValidationError: Must contain at least one metric`, a 502 from MailingAdminFunction while
the scheduler ticked). `separate()` makes those attributes hold one set per function;
`LambdaRuntime.invoke` says whose invocation runs (`running`). A function's invocations run one at
a time, so its own set needs no lock.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.metrics import Metrics

_running: ContextVar[str] = ContextVar("ecrm_local_function", default="")
# The class attributes `Metrics.__init__` hands to each instance and its provider.
_SHARED = ("_metrics", "_dimensions", "_metadata", "_default_dimensions")


class PerFunction(MutableMapping[str, Any]):
    """A mapping whose content is the running function's own (code outside any invocation, such
    as a test calling a handler itself, shares one set, as before)."""

    def __init__(self) -> None:
        self._sets: dict[str, dict[str, Any]] = {}

    @property
    def _own(self) -> dict[str, Any]:
        return self._sets.setdefault(_running.get(), {})

    def __getitem__(self, key: str) -> Any:
        return self._own[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._own[key] = value

    def __delitem__(self, key: str) -> None:
        del self._own[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._own)

    def __len__(self) -> int:
        return len(self._own)

    def clear(self) -> None:
        self._own.clear()


def separate() -> None:
    """From now on, each function's `Metrics` instances share a set with each other only. An
    instance made before keeps the process-wide set: call this before importing any handler."""
    for name in _SHARED:
        if not isinstance(getattr(Metrics, name), PerFunction):
            setattr(Metrics, name, PerFunction())


@contextmanager
def running(function: str) -> Iterator[None]:
    token = _running.set(function)
    try:
        yield
    finally:
        _running.reset(token)
