"""docs/journeys.md stays true: every JSON example in it is what the API's model accepts (a
whole journey, with a graph that walks; a step; an entry or goal; a re-entry rule), so a
change of the model that the guide does not follow fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from ecrm.journeys.model import (
    DateEntry,
    JourneyIn,
    JourneyWhen,
    Reentry,
    SegmentEntry,
    Step,
    check_graph,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "journeys.md"
BLOCK = re.compile(r"```json\n(.*?)```", re.DOTALL)
INLINE = re.compile(r"`(\{.*?\})`")
EXAMPLES = [json.loads(b) for b in BLOCK.findall(DOC.read_text(encoding="utf-8"))]
INLINE_EXAMPLES = [json.loads(s) for s in INLINE.findall(DOC.read_text(encoding="utf-8"))]


def _validate(example: dict[str, Any]) -> None:
    if "steps" in example:
        journey = JourneyIn.model_validate(example)
        assert check_graph(journey) == {}
    elif "type" in example:
        TypeAdapter(Step).validate_python(example)
    elif "mode" in example:
        Reentry.model_validate(example)
    elif "segment" in example:
        SegmentEntry.model_validate(example)
    elif "date_field" in example:
        DateEntry.model_validate(example)
    elif "event" in example:
        JourneyWhen.model_validate(example)  # a journey's entry or goal
    else:  # an inline fragment of a step (a branch's `if`): not a whole shape on its own
        assert set(example) <= {"opened", "clicked", "conditions"}, example


def test_the_guide_has_a_whole_journey_and_every_step_type() -> None:
    journeys = [e for e in EXAMPLES if "steps" in e]
    assert any(
        j.get("goal")
        and len([s for s in j["steps"] if s["type"] == "send"]) >= 3
        and any("opened" in s.get("if", {}) for s in j["steps"])
        for j in journeys
    ), "the welcome series: three mails, a branch on opening the first, a goal"
    assert any("date_field" in e["entry"] for e in journeys), "a journey entered on a date"
    types = {e["type"] for e in EXAMPLES if "type" in e}
    assert types == {s.__args__[0] for s in _step_classes()}


def _step_classes() -> list[Any]:
    union = Step.__origin__.__args__  # type: ignore[attr-defined]
    return [cls.model_fields["type"].annotation for cls in union]


@pytest.mark.parametrize("example", EXAMPLES + INLINE_EXAMPLES, ids=lambda e: json.dumps(e)[:60])
def test_every_json_example_of_the_guide_is_what_the_model_accepts(example: Any) -> None:
    _validate(example)
