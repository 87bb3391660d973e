"""A stored form definition read for a submission or a page (`load`, cached per process), the
guard a submission's transaction carries (`version_check`), the admin list's page (`page`).

Definitions change rarely: a short cache (`DEFINITION_CACHE_SECONDS`, 60 s unless set) keeps
submissions to one round trip; the submission's transaction re-checks the version it used
(`version_check`), so a stale cache is never acted on, and an edit is served within that time.
What is read is `form_view.FormView`, plain values (no pydantic: Capture's cold start).
"""

from __future__ import annotations

import threading
import time

from ecrm.contacts.form_view import KIND, FormView
from ecrm.platform import keys, listing, store
from ecrm.platform.errors import NotFound
from ecrm.platform.settings import settings

_cache: dict[str, tuple[float, FormView]] = {}
_cache_lock = threading.Lock()


def load(form_id: str, *, fresh: bool = False) -> FormView:
    with _cache_lock:
        cached = _cache.get(form_id)
    if cached and not fresh and time.monotonic() - cached[0] < cache_seconds():
        return cached[1]
    item = store.get(keys.form(form_id), consistent=fresh)
    if item is None:
        raise NotFound("No such form.")
    form = FormView.from_item(item)
    with _cache_lock:
        _cache[form_id] = (time.monotonic(), form)
    return form


def version_check(form: FormView) -> store.Check:
    """A transaction guard: the definition a submission was validated against is current."""
    return store.Check(keys.form(form.id), "version = :v", values={":v": form.version})


def cache_seconds() -> float:
    """How long a function serves its copy of a definition: an edit is live within this."""
    return settings().definition_cache_seconds


def forget_cached(form_id: str | None = None) -> None:
    with _cache_lock:
        if form_id is None:
            _cache.clear()
        else:
            _cache.pop(form_id, None)


def page(limit: int, cursor: str | None) -> tuple[list[store.Item], str | None]:
    """A page of definitions as saved, by id, read without pydantic (the admin list answers
    their summaries). A form stored before forms were listed appears once it is saved again."""
    return listing.page(KIND, limit=limit, cursor=cursor)
