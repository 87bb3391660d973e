"""A template cannot render to gigabytes (issue 14, finding 6): what multiplies output is refused
when saved (`personalisation.check`), and rendering stops at a part's budget without building
the huge string first (`render_limits`: a stream, and a `replace` that measures before it
builds). Memory is measured with tracemalloc: an outcome, not a time."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from ecrm.mail import personalisation, render_limits
from ecrm.mail.templates import compile_parts

TENFOLD = "|replace('x', 'xxxxxxxxxx')"
FIELDS = ["interests", "first_name"]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{{ contact.email|replace('', 'x') }}", "between every character"),
        ("{{ contact.email|replace('', 'x')" + TENFOLD * 6 + " }}", "only one `replace`"),  # 42 MB
        ("{{ contact.email" + TENFOLD * 2 + " }}", "only one `replace` that lengthens"),
        ("{{ (contact.email" + TENFOLD + " ~ 'x')" + TENFOLD + " }}", "only one `replace`"),
        (
            "{% for a in contact.interests %}{% for b in contact.interests %}{{ b }}"
            "{% endfor %}{% endfor %}",
            "a loop inside a loop",
        ),
    ],
    ids=[
        "insert_everywhere",
        "the_42_mb_preview",
        "chained",
        "chained_through_concat",
        "nested_loops",
    ],
)
def test_what_multiplies_output_is_refused_when_saved(source: str, problem: str) -> None:
    with pytest.raises(personalisation.TemplateProblem, match=problem):
        personalisation.check("html", source, FIELDS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ contact.first_name|replace('a', 'b')|replace('c', 'd') }}",  # same length
        "{{ contact.first_name|replace('Mr ', '')|replace('x', 'xy') }}",  # one lengthens
        "{% for a in contact.interests %}{{ a }}{% endfor %}",
    ],
)
def test_ordinary_replaces_and_loops_are_fine(source: str) -> None:
    personalisation.check("html", source, FIELDS)


def _peak(action: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(render_limits.RenderTooLarge) as refused:
            action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert refused.value.fields  # names the part


def _render(part: str, source: str, context: dict[str, Any]) -> Callable[[], Any]:
    """Rendered as sending would (not checked: as if the template had been stored before)."""
    compiled = compile_parts(source, source, source, ())
    return lambda: render_limits.render(getattr(compiled, part), context, part)


def test_a_chain_of_replaces_stops_before_building_its_result() -> None:
    """Nine tenfold replaces of a 40-character address would be 40 GB."""
    source = "{{ contact.email" + TENFOLD * 9 + " }}"
    context = {"contact": {"email": "x" * 40}}
    assert _peak(_render("html", source, context)) < 20_000_000


def test_a_stream_of_loops_stops_at_the_budget() -> None:
    loop = "{% for a in contact.interests %}"
    source = loop * 4 + "<p>{{ a }}</p>" + "{% endfor %}" * 4  # 50**4 paragraphs
    context = {"contact": {"interests": [f"choice {n}" for n in range(50)]}}
    assert _peak(_render("html", source, context)) < 20_000_000


def test_each_part_has_its_budget() -> None:
    context = {"contact": {"email": "x" * 200}}
    subject = "{{ contact.email|replace('x', 'xxxxxx') }}"  # 1,200 characters
    with pytest.raises(render_limits.RenderTooLarge) as refused:
        render_limits.render(compile_parts(subject, "", "", ()).subject, context, "subject")
    assert set(refused.value.fields) == {"subject"}
    text = render_limits.render(compile_parts("", subject, "", ()).text, context, "text")
    assert len(text) == 1_200  # the same is fine in a body
