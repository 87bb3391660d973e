"""A body read plainly, without pydantic (`ecrm.web.plain`), is read as its model reads it: the
plain reader answers only bodies the model accepts, with the model's values, and leaves every
other body to the model (its coercions, its refusals and their words). And through the router,
a plainly valid body never imports the model, while any other is answered as before."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from account.contact_erasure import ErasureRequest
from capture.forms_api import FormPut
from ecrm.imports.jobs import ImportRequest
from ecrm.web import http
from ecrm.web.plain import model_of
from ecrm.web.router import App
from tests import events
from tests.conftest import ROOT

SURROGATE = "\ud800"  # json.loads gives it for "\\ud800"; pydantic refuses it

MISSING = object()
texts = st.one_of(st.text(max_size=8), st.sampled_from(["", "a\n", SURROGATE, "x" + SURROGATE]))
anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts, st.lists(texts))
SLUG = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,62}\Z")
FIELD_NAME = st.from_regex(r"\A[a-z][a-z0-9_]{0,39}\Z")


def _text(low: int, high: int) -> Any:
    return st.text(min_size=low, max_size=high)


def _off_text(low: int, high: int) -> Any:
    """Just outside `low` to `high` characters, or a string pydantic cannot read."""
    return st.one_of(
        st.text(min_size=high + 1, max_size=high + 2),
        st.just("x" * max(low - 1, 0)),
        st.just("x" + SURROGATE),
        st.just(SURROGATE * low),
    )


def _bodies(valid: dict[str, Any], optional: dict[str, Any], off: dict[str, Any]) -> Any:
    """A valid body, half the time changed in one place: a field set to a value near or past
    its edge (or to anything at all), a field left out, or a field added."""
    bodies = st.fixed_dictionaries(valid, optional=optional)
    changes = st.one_of(
        st.tuples(st.sampled_from(sorted(off)), st.one_of(*off.values())),
        st.tuples(st.sampled_from(sorted(off)), st.one_of(anything, st.just(MISSING))),
        st.tuples(st.sampled_from(["extra", "Email", "id"]), anything),
    )

    def changed(body: dict[str, Any], change: tuple[str, Any] | None) -> Any:
        if change is None:
            return body
        name, value = change
        return {k: v for k, v in body.items() if k != name} | (
            {} if value is MISSING else {name: value}
        )

    built = st.builds(changed, bodies, st.one_of(st.none(), changes))
    return st.integers(0, 4).flatmap(lambda n: built if n else anything)  # not a JSON object


ERASURES = _bodies({"email": _text(1, 320)}, {}, {"email": _off_text(1, 320)})
IMPORTS = _bodies(
    {
        "sha256": st.from_regex(r"\A[0-9a-f]{64}\Z"),
        "size": st.integers(min_value=1, max_value=1 << 30),
        "filename": _text(1, 255),
        "consent_source": _text(1, 200),
    },
    {
        "topics": st.lists(SLUG, max_size=5),
        "mapping": st.dictionaries(_text(1, 200), st.one_of(st.just(""), FIELD_NAME), max_size=4),
    },
    {
        "sha256": st.sampled_from(["a" * 64 + "\n", "a" * 63, "a" * 65, "A" * 64, "g" * 64]),
        "size": st.sampled_from([0, -1, (1 << 30) + 1, True, False, 10.0, "10", None]),
        "filename": _off_text(1, 255),
        "consent_source": _off_text(1, 200),
        "topics": st.one_of(
            st.lists(st.sampled_from(["news\n", "-news", "x" * 64, "News", "n_1"]), min_size=1),
            st.lists(SLUG, min_size=6, max_size=7),
            st.lists(anything, min_size=1, max_size=2),
        ),
        "mapping": st.one_of(
            st.dictionaries(_off_text(1, 200), FIELD_NAME, min_size=1, max_size=2),
            st.dictionaries(
                _text(1, 9),
                st.one_of(st.sampled_from(["email\n", "1st", "x" * 41, "Email"]), anything),
                min_size=1,
                max_size=2,
            ),
            st.dictionaries(_text(1, 4), st.just(""), min_size=101, max_size=101),
        ),
    },
)

EMAIL_FIELD = {"name": "email", "label": "Email", "type": "email", "required": True}
FIELD_TYPES = ["email", "text", "textarea", "name", "phone", "choice", "multi_choice"]
FIELD_TYPES += ["checkbox", "date"]
FORM_FIELDS = st.fixed_dictionaries(
    {"name": FIELD_NAME, "label": _text(1, 200)},
    optional={
        "type": st.sampled_from([*FIELD_TYPES, "Text", "url", 1]),
        "required": st.one_of(st.booleans(), st.sampled_from([1, "true", None])),
        "max_length": st.one_of(st.integers(0, 5001), st.sampled_from([True, 5.0, "9"])),
        "choices": st.one_of(st.none(), st.lists(_text(0, 101), max_size=3), anything),
        "extra": anything,
    },
)
FORMS = _bodies(
    {
        "title": _text(1, 200),
        "fields": st.lists(FORM_FIELDS, max_size=3).map(lambda more: [EMAIL_FIELD, *more]),
    },
    {
        "id": st.one_of(st.none(), SLUG),
        "consent": st.one_of(
            st.none(), st.fixed_dictionaries({"text": _text(1, 2000), "version": _text(1, 40)})
        ),
        "topics": st.lists(SLUG, max_size=3),
        "double_opt_in": st.booleans(),
        "allowed_origins": st.lists(
            st.sampled_from(["https://www.example.com", "http://a:8080", "https://x.example"]),
            max_size=2,
        ),
        "submit_label": texts,
        "thank_you": texts,
        "version": st.one_of(st.none(), st.integers(1, 9)),
    },
    {
        "id": st.sampled_from(["News", "-a", "a\n", "x" * 64, 7]),
        "title": _off_text(1, 200),
        "fields": st.one_of(
            st.just([]),
            st.lists(FORM_FIELDS, min_size=1, max_size=3),  # no email field, or two
            st.just([EMAIL_FIELD, EMAIL_FIELD]),
            st.just([{**EMAIL_FIELD, "required": False}]),
            st.just([{**EMAIL_FIELD, "name": "mail"}]),
            st.just([EMAIL_FIELD, {"name": "topics", "label": "T"}]),
            st.just([EMAIL_FIELD] + [{"name": f"f{n}", "label": "F"} for n in range(50)]),
        ),
        "consent": st.one_of(
            st.fixed_dictionaries({"text": _off_text(1, 2000), "version": _text(1, 40)}),
            st.fixed_dictionaries({"text": _text(1, 9), "version": _off_text(1, 40)}),
            st.just({"text": "t"}),
            st.just({"text": "t", "version": "1", "x": 1}),
        ),
        "topics": st.one_of(st.just(["news\n"]), st.lists(SLUG, min_size=21, max_size=21)),
        "double_opt_in": st.sampled_from([1, 0, "true", None]),
        "redirect_url": st.sampled_from(["https://example.com", "https://example.com/", None]),
        "site_url": st.sampled_from(["https://example.com/a", "ftp://x", None]),
        "allowed_origins": st.lists(
            st.sampled_from(["https://a/b", "https://a\n", "ftp://a", "https://a\x1c", "https://"]),
            min_size=1,
        ),
        "version": st.sampled_from([0, -1, True, 1.0, "2", 1 << 40]),
    },
)


def _model_reads(kind: Any, value: Any) -> Any:
    try:
        return model_of(kind).model_validate(value)
    except ValidationError:
        return None


def _held_to_the_model(kind: Any, value: Any) -> None:
    read, validated = kind.plain(value), _model_reads(kind, value)
    if read is not None:
        assert validated is not None, f"{value!r}: read plainly, refused by the model"
        assert dataclasses.asdict(read) == validated.model_dump()
        assert json.dumps(dataclasses.asdict(read)) == json.dumps(validated.model_dump())


@settings(max_examples=400, deadline=None)
@given(ERASURES)
def test_an_erasure_body_is_read_plainly_only_as_its_model_reads_it(value: Any) -> None:
    _held_to_the_model(ErasureRequest, value)


@settings(max_examples=600, deadline=None)
@given(IMPORTS)
def test_an_import_body_is_read_plainly_only_as_its_model_reads_it(value: Any) -> None:
    _held_to_the_model(ImportRequest, value)


@settings(max_examples=800, deadline=None)
@given(FORMS)
def test_a_form_definition_is_read_plainly_only_as_its_model_reads_it(value: Any) -> None:
    _held_to_the_model(FormPut, value)


VALID_IMPORT = {"sha256": "a" * 64, "size": 10, "filename": "a.csv", "consent_source": "fair"}


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (ErasureRequest, {"email": "Ann@Example.com"}),
        (FormPut, json.loads((ROOT / "local" / "demo_form.json").read_text(encoding="utf-8"))),
        (ImportRequest, VALID_IMPORT),
        (
            ImportRequest,
            {**VALID_IMPORT, "topics": ["news", "n-2"], "mapping": {"E-mail": "email", "x": ""}},
        ),
    ],
)
def test_the_bodies_clients_send_are_read_plainly(kind: Any, value: dict[str, Any]) -> None:
    read = kind.plain(value)
    assert read is not None
    assert dataclasses.asdict(read) == model_of(kind).model_validate(value).model_dump()


EDGES = [
    *(
        {**VALID_IMPORT, "sha256": v}
        for v in ["a" * 64 + "\n", "a" * 63, "A" * 64, "\n" + "a" * 64]
    ),
    *({**VALID_IMPORT, "size": v} for v in [0, (1 << 30) + 1, True, 10.0, "10", None]),
    *({**VALID_IMPORT, "filename": v} for v in ["", "x" * 256, "x" + SURROGATE, 7]),
    *({**VALID_IMPORT, "topics": v} for v in [["news\n"], ["-news"], ["x" * 64], ["n"] * 6]),
    *({**VALID_IMPORT, "mapping": v} for v in [{"a": "email\n"}, {"": "email"}, {"a": "1st"}]),
    {**VALID_IMPORT, "mapping": {str(n): "" for n in range(101)}},
    {**VALID_IMPORT, "extra": 1},
    {k: v for k, v in VALID_IMPORT.items() if k != "size"},
]


@pytest.mark.parametrize("value", EDGES)
def test_a_body_at_an_edge_is_left_to_the_model(value: dict[str, Any]) -> None:
    assert ImportRequest.plain(value) is None


@pytest.mark.parametrize("email", ["", "x" * 321, "x" + SURROGATE, None, 1])
def test_an_erasure_at_an_edge_is_left_to_the_model(email: Any) -> None:
    assert ErasureRequest.plain({"email": email}) is None
    assert ErasureRequest.plain({"email": "a@example.com", "extra": 1}) is None


app = App()
http.install_error_handlers(app)
SEEN: list[Any] = []


@app.post("/imports")
def create(body: ImportRequest) -> dict[str, str]:
    SEEN.append(body)
    return {"ok": "yes"}


def _post(body: Any) -> tuple[int, Any]:
    answer = app.resolve(events.api("POST", "/imports", body=body), events.LambdaContext())  # type: ignore[arg-type]
    return answer["statusCode"], json.loads(answer["body"])


def test_the_router_reads_other_bodies_through_the_model() -> None:
    SEEN.clear()
    # the model coerces what the plain reader leaves to it: the route gets the plain type
    assert _post({**VALID_IMPORT, "size": "10"}) == (200, {"ok": "yes"})
    assert [ImportRequest(**VALID_IMPORT)] == SEEN
    # and its refusals are the 400's fields, in the model's words, nothing served
    status, body = _post({**VALID_IMPORT, "size": 0, "extra": 1, "topics": ["Not A Slug"]})
    assert status == 400
    assert body["error"]["fields"] == {
        "size": "Input should be greater than or equal to 1",
        "topics.0": "String should match pattern '^[a-z0-9][a-z0-9-]{0,62}$'",
        "extra": "Extra inputs are not permitted",
    }
    assert len(SEEN) == 1


def test_a_plainly_valid_body_imports_no_pydantic() -> None:
    """In a fresh interpreter: the route serves a valid body, and pydantic is never imported."""
    script = f"""
import sys
sys.path[:0] = [{str(ROOT / "layers" / "shared")!r}, {str(ROOT)!r}]
from ecrm.web.router import App
from ecrm.imports.jobs import ImportRequest
from tests import events
app = App()
@app.post("/imports")
def create(body: ImportRequest) -> dict[str, int]:
    return {{"size": body.size}}
event = events.api("POST", "/imports", body={VALID_IMPORT!r})
answer = app.resolve(event, None)
assert answer["statusCode"] == 200, answer
assert "pydantic" not in sys.modules, "pydantic was imported"
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
