"""How large a mail template may render, enforced while it renders, never after.

Chained `replace` filters multiply output (`{{ contact.email|replace('', 'x')|replace('x',
'xxxxxxxxxx')|... }}` previewed at 42 MB with six links; nine would exhaust a sender's memory).
So a part is rendered as a stream (`Template.generate`) and stops at the first chunk past its
budget, and the sandbox's `replace` computes the length of its result before building it. Save
time refuses what can get there (`ecrm.mail.personalisation` and `ecrm.mail.templates`).

Budgets, in characters of the rendered part:
- subject 1,000: RFC 5322 caps a header line at 998 characters; inboxes show about 80;
- html 400,000: four times the largest source (100 KB) for loops and personal values; Gmail
  clips a message's HTML past about 100 KB, and SES takes 10 MB for the whole message;
- text 200,000: the same for the plain part (source at most 50 KB).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ecrm.platform.errors import InvalidInput

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.nodes import EvalContext

MAX_RENDERED = {"subject": 1_000, "html": 400_000, "text": 200_000}
#: No single filter result may be longer than the largest part.
MAX_FILTER_OUTPUT = max(MAX_RENDERED.values())


class RenderTooLarge(InvalidInput):
    def __init__(self, part: str) -> None:
        limit = MAX_RENDERED.get(part, MAX_FILTER_OUTPUT)
        problem = f"Rendered, it would be longer than {limit:,} characters."
        super().__init__("The template renders too large.", {part: problem})
        self.part = part


def render(template: Template, context: Mapping[str, Any], part: str) -> str:
    """`template.render(context)`, stopped as soon as the output passes the part's budget."""
    budget = MAX_RENDERED[part]
    chunks: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > budget:
                raise RenderTooLarge(part)
            chunks.append(chunk)
    except _FilterTooLarge:
        raise RenderTooLarge(part) from None
    return "".join(chunks)


class _FilterTooLarge(Exception):
    """Raised inside Jinja by `bounded_replace`; `render` names the part."""


def bounded_replace(
    eval_ctx: EvalContext, s: Any, old: Any, new: Any, count: int | None = None
) -> Any:
    """Jinja's `replace`, refusing before it builds a result longer than MAX_FILTER_OUTPUT
    (registered with `pass_eval_context` by `ecrm.mail.personalisation`). Jinja is imported
    where a template renders: the modules that only catch RenderTooLarge never load it."""
    from jinja2.filters import do_replace  # noqa: PLC0415
    from markupsafe import escape  # noqa: PLC0415

    text, old_text, new_text = str(s), str(old), str(new)
    if eval_ctx.autoescape:  # as do_replace will: escaped, so possibly longer
        text, old_text, new_text = str(escape(s)), str(escape(old)), str(escape(new))
    hits = text.count(old_text) if old_text else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new_text) - len(old_text)) > MAX_FILTER_OUTPUT:
        raise _FilterTooLarge
    return do_replace(eval_ctx, s, old, new, count)
