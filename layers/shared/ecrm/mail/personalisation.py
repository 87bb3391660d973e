"""What a marketer may write in a mail template, checked when the template is saved.

Templates are Jinja2, rendered in an `ImmutableSandboxedEnvironment` with autoescape (HTML) and
`StrictUndefined`. The sandbox is the second line of defence; the first is this module's check
of the parsed template against a small grammar, so a template that could reach Python internals
(SSTI) or name a variable that does not exist is refused at save time, never at send time:

- variables: `contact.email`, `contact.<field>` for each profile and interest field of the
  profile schema (`ecrm.contacts.profile_schema`), `unsubscribe_url`, `campaign.name`,
  `campaign.topic`, and `loop.*` / the target inside `{% for %}`;
- statements: `{% if %}`, `{% for %}` (over a contact field), `{% raw %}`; expressions: constants,
  comparisons, `and`/`or`/`not`, `~`, conditional expressions, whitelisted filters and tests;
- never: calls, subscripts, arithmetic, `{% set %}`, macros, imports, includes, `extends`,
  `{% autoescape %}`, the `safe` filter, or any attribute starting with `_`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from typing import Any, NoReturn

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_eval_context

from ecrm.mail import render_limits

CONTACT, CAMPAIGN, UNSUBSCRIBE_URL, LOOP = "contact", "campaign", "unsubscribe_url", "loop"
CAMPAIGN_FIELDS = frozenset({"name", "topic"})
LOOP_FIELDS = frozenset({"index", "index0", "first", "last", "length", "revindex"})
FILTERS = frozenset(
    {
        "default", "d", "upper", "lower", "title", "capitalize", "trim", "truncate",
        "escape", "e", "join", "first", "last", "length", "count", "replace",
        "wordcount", "striptags", "urlencode", "string",
    }
)  # fmt: skip
TESTS = frozenset({"defined", "undefined", "none", "number", "string", "sequence", "iterable"})
_ALLOWED = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name, nodes.Getattr,
    nodes.Filter, nodes.Test, nodes.If, nodes.For, nodes.CondExpr, nodes.And, nodes.Or,
    nodes.Not, nodes.Compare, nodes.Operand, nodes.Concat, nodes.List, nodes.Tuple,
)  # fmt: skip
# Names a dict's methods would shadow in `contact.<name>`: never profile fields in templates.
_SHADOWED = frozenset(dir(dict))


class TemplateProblem(ValueError):
    """A template that may not be saved; `part` is `subject`, `html` or `text`."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part
        self.message = message


@dataclass(frozen=True)
class Variables:
    """What one template uses: contact fields, and whether it links `unsubscribe_url`."""

    contact_fields: frozenset[str]
    unsubscribe_url: bool


@cache
def environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=autoescape, undefined=StrictUndefined)
    # never builds a giant string
    env.filters["replace"] = pass_eval_context(render_limits.bounded_replace)
    return env


def check(part: str, source: str, contact_fields: Iterable[str]) -> Variables:
    """Parse `source` and check it against the grammar above; TemplateProblem otherwise."""
    env = environment(part == "html")
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(part, f"line {error.lineno}: {error.message}") from None
    checker = _Checker(part, frozenset(contact_fields) - _SHADOWED)
    checker.visit(tree, frozenset())
    return Variables(frozenset(checker.used), checker.unsubscribe)


class _Checker:
    def __init__(self, part: str, contact_fields: frozenset[str]) -> None:
        self.part = part
        self.fields = contact_fields
        self.used: set[str] = set()
        self.unsubscribe = False

    def fail(self, node: nodes.Node, message: str) -> NoReturn:
        raise TemplateProblem(self.part, f"line {node.lineno}: {message}")

    def visit(self, node: nodes.Node, loop_names: frozenset[str]) -> None:
        if not isinstance(node, _ALLOWED):
            self.fail(node, f"{_describe(node)} is not allowed in mail templates")
        if isinstance(node, nodes.For):
            self._for(node, loop_names)
            return
        if isinstance(node, nodes.Name):
            self._name(node, loop_names)
        elif isinstance(node, nodes.Getattr):
            self._getattr(node, loop_names)
            return
        elif isinstance(node, nodes.Filter):
            self._filter(node)
        elif isinstance(node, nodes.Test) and node.name not in TESTS:
            self.fail(node, f"the test `{node.name}` is not allowed")
        for child in node.iter_child_nodes():
            self.visit(child, loop_names)

    def _for(self, node: nodes.For, loop_names: frozenset[str]) -> None:
        if node.recursive or node.test is not None:
            self.fail(node, "loop filters and recursive loops are not allowed")
        targets = node.target.items if isinstance(node.target, nodes.Tuple) else [node.target]
        names = set()
        for target in targets:
            if not isinstance(target, nodes.Name) or target.name in {CONTACT, CAMPAIGN, LOOP}:
                self.fail(node, "a loop variable must be a new plain name")
            names.add(target.name)
        # Only over a contact's own (short) list fields: constant lists could nest into a
        # render that never ends, at send time.
        if not (isinstance(node.iter, nodes.Getattr) and _is_name(node.iter.node, CONTACT)):
            self.fail(node, "a loop may only go over a contact field (`contact.interests`)")
        if LOOP in loop_names:  # each level multiplies the mail's length
            self.fail(node, "a loop inside a loop is not allowed")
        self.visit(node.iter, loop_names)
        inner = loop_names | names | {LOOP}
        for child in [*node.body, *node.else_]:
            self.visit(child, inner)

    def _name(self, node: nodes.Name, loop_names: frozenset[str]) -> None:
        if node.ctx != "load":
            self.fail(node, "assigning variables is not allowed")
        if node.name == UNSUBSCRIBE_URL:
            self.unsubscribe = True
        elif node.name in {CONTACT, CAMPAIGN}:
            self.fail(node, f"use `{node.name}.<field>`, not `{node.name}` itself")
        elif node.name not in loop_names:
            self.fail(node, f"unknown variable `{node.name}` ({_VARIABLES_HELP})")

    def _getattr(self, node: nodes.Getattr, loop_names: frozenset[str]) -> None:
        owner, attr = node.node, node.attr
        if attr.startswith("_") or not isinstance(owner, nodes.Name):
            self.fail(node, f"`.{attr}` is not allowed here")
        name = owner.name
        known = {CAMPAIGN: CAMPAIGN_FIELDS, LOOP: LOOP_FIELDS if LOOP in loop_names else ()}
        if name == CONTACT and (attr in self.fields or attr == "email"):
            self.used.add(attr)
        elif attr in known.get(name, ()):
            return
        elif name in {CONTACT, CAMPAIGN, LOOP}:
            self.fail(node, f"unknown variable `{name}.{attr}` ({_VARIABLES_HELP})")
        else:
            self.fail(node, f"`{name}.{attr}` is not allowed")

    def _filter(self, node: nodes.Filter) -> None:
        if node.name not in FILTERS:
            self.fail(node, f"the filter `{node.name}` is not allowed")
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            self.fail(node, "filters take plain arguments only")
        if any(not isinstance(arg, nodes.Const) for arg in node.args):
            self.fail(node, "filter arguments must be constants")
        if node.name == "replace" and _lengthens(node):
            # Chained, each such replace multiplies the text: 42 MB from a 300-byte template.
            if str(getattr(node.args[0], "value", "")) == "":
                self.fail(node, "`replace('', ...)` (between every character) is not allowed")
            inner = [node.node, *node.node.find_all(nodes.Filter)] if node.node else []
            if any(
                isinstance(f, nodes.Filter) and f.name == "replace" and _lengthens(f) for f in inner
            ):
                self.fail(node, "only one `replace` that lengthens the text per expression")


_VARIABLES_HELP = "use contact.email, contact.<profile field>, unsubscribe_url, campaign.name"


def _lengthens(node: nodes.Filter) -> bool:
    """A `replace` whose new text is longer than the old (constant arguments: checked before)."""
    if len(node.args) < 2:
        return False
    old, new = (str(getattr(arg, "value", "")) for arg in node.args[:2])
    return old == "" or len(new) > len(old)


def _is_name(node: nodes.Node, name: str) -> bool:
    return isinstance(node, nodes.Name) and node.name == name


def _describe(node: nodes.Node) -> str:
    names = {
        "Call": "a call",
        "Getitem": "a subscript",
        "Assign": "{% set %}",
        "AssignBlock": "{% set %}",
        "Macro": "a macro",
        "Include": "{% include %}",
        "Import": "{% import %}",
        "FromImport": "{% import %}",
        "Extends": "{% extends %}",
        "ScopedEvalContextModifier": "{% autoescape %}",
        "EvalContextModifier": "{% autoescape %}",
    }
    kind = type(node).__name__
    return names.get(kind, f"`{kind}`")


# --- rendering ------------------------------------------------------------------------------


def render_context(
    contact: Mapping[str, Any],
    fields: Iterable[str],
    *,
    unsubscribe_url: str,
    campaign: Mapping[str, str],
) -> dict[str, Any]:
    """Every field a template uses is present (empty when the contact has no value), so a
    template that passed `check` never fails at send time."""
    values = {name: contact.get(f"f_{name}", "") for name in fields}
    values["email"] = contact.get("email", "")
    return {CONTACT: values, UNSUBSCRIBE_URL: unsubscribe_url, CAMPAIGN: dict(campaign)}


# --- text from HTML -------------------------------------------------------------------------

_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}
_HIDDEN = {"style", "script", "head", "title"}


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.out.append("\n")
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith(("#", "mailto:")):
                self.out.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(re.sub(r"\s+", " ", data))


def text_from_html(html: str) -> str:
    """A readable plain-text part from the HTML source (Jinja tags pass through as text, so
    the result is a template of its own, checked like any other)."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.out).splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text + "\n"
