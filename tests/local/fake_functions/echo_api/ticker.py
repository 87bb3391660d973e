"""A stand-in schedule function: keeps every scheduled event; raises while `FAIL` is set."""

from __future__ import annotations

from typing import Any

TICKS: list[dict[str, Any]] = []
FAIL = {"on": False}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    TICKS.append(event)
    if FAIL["on"]:
        raise RuntimeError("tick failed")
    return {"ticks": len(TICKS)}
