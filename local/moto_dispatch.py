"""moto server's per-request lookups, made once.

For every request, moto's server lists its own package directory (`list_of_moto_modules`: a
`listdir` and an `isdir` per service, about 150) to tell whether the host names a service, and
lists the response class's methods with `inspect.getmembers` to find the action. Neither
answer changes while the process runs; together they were about a fifth of the server's CPU
per request (`ecrm serve`, the benches' moto server).
"""

from __future__ import annotations

import functools

import moto.backends
import moto.core.responses
import moto.core.utils

_applied = False


def cached_dispatch_lookups() -> None:
    """Patch this process's moto server, once."""
    global _applied  # noqa: PLW0603 - patches are process-wide
    if _applied:
        return
    _applied = True
    listed = moto.backends.list_of_moto_modules
    modules = tuple(listed())
    moto.backends.list_of_moto_modules = functools.wraps(listed)(lambda: modules)
    method_names = functools.cache(moto.core.utils.method_names_from_class)
    moto.core.responses.method_names_from_class = method_names  # type: ignore[attr-defined]
