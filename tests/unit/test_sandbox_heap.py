"""The sender's sandbox freezes its start-up heap once, after its first invocation."""

from __future__ import annotations

import gc

import pytest

from ecrm.mail import sandbox_heap


def test_the_first_invocation_collects_then_freezes_and_later_ones_do_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(sandbox_heap, "_frozen", False)
    monkeypatch.setattr(gc, "collect", lambda *_: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))

    sandbox_heap.freeze_after_first_invocation()
    sandbox_heap.freeze_after_first_invocation()

    assert calls == ["collect", "freeze"]
