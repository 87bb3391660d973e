"""Request bodies are read by `ecrm.web.http.loads`: nesting is measured on the text, so no body can
make the parser recurse (10 KB of brackets raised RecursionError, a 500)."""

from __future__ import annotations

import json

import pytest

from ecrm.platform.errors import MalformedRequest
from ecrm.web import http
from ecrm.web.event import MAX_JSON_DEPTH


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        '{"a": ' + "[" * 5000 + "]" * 5000 + "}",
        "{" * 40_000,  # not even JSON: refused before the parser sees it
        '{"a": ' + '{"b": ' * 33 + "1" + "}" * 34,
    ],
    ids=["arrays", "in_a_field", "unclosed", "33_objects"],
)
def test_a_body_nested_deeper_than_the_limit_is_malformed_never_a_recursion(text: str) -> None:
    with pytest.raises(MalformedRequest, match="nested too deeply"):
        http.loads(text)


def test_brackets_and_escaped_quotes_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[[[[" * 100 + '\\"{{{{' + "]" * 50})
    assert http.loads(text, max_depth=1) == json.loads(text)


def test_nesting_up_to_the_limit_reads_as_json() -> None:
    text = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert http.loads(text) == json.loads(text)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_python_only_constants_are_not_json(constant: str) -> None:
    with pytest.raises(MalformedRequest, match="not valid JSON"):
        http.loads(f'{{"a": {constant}}}')
