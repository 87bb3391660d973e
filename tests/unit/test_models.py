"""Every pydantic model of the layer and the functions defers its build (ecrm.platform.models):
on `Model`, or a root model saying `defer_build=True` itself. A model built at import costs
every cold start of every function importing it, whether its event uses the model or not.
And `Email` reads as pydantic's `EmailStr` (answers, errors, JSON schema); `said` gives a
problem in the model's own words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import EmailStr, TypeAdapter, ValidationError

from ecrm.platform.models import Email, Model, said

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "layers" / "shared" / "ecrm" / "platform" / "models.py"
PYDANTIC_BASES = {"BaseModel", "RootModel"}


def _base_name(base: ast.expr) -> str | None:
    if isinstance(base, ast.Subscript):
        base = base.value
    if isinstance(base, ast.Attribute):
        return base.attr
    return base.id if isinstance(base, ast.Name) else None


def _defers_build(node: ast.ClassDef) -> bool:
    for statement in node.body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "model_config" for t in statement.targets)
            and isinstance(statement.value, ast.Call)
        ):
            return any(
                k.arg == "defer_build" and isinstance(k.value, ast.Constant) and k.value.value
                for k in statement.value.keywords
            )
    return False


def eager_models() -> list[str]:
    found = []
    for folder in (ROOT / "layers" / "shared" / "ecrm", ROOT / "functions"):
        for path in sorted(folder.rglob("*.py")):
            if path == BASE:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ClassDef):
                    continue
                on_pydantic = {_base_name(b) for b in node.bases} & PYDANTIC_BASES
                if on_pydantic and not _defers_build(node):
                    found.append(f"{path.relative_to(ROOT)}::{node.name}")
    return found


def test_every_model_builds_on_first_use() -> None:
    assert eager_models() == [], "derive from ecrm.platform.models.Model"


_EMAIL_STR = TypeAdapter(EmailStr)
_EMAIL = TypeAdapter(Email)


def _read(adapter: TypeAdapter[str], value: object) -> object:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        return error.errors(include_url=False)


@settings(max_examples=300, deadline=None)
@given(
    st.emails()
    | st.text(alphabet="aZ9.+-_@ <>\"'é", max_size=40)
    | st.from_regex(
        r"[A-Za-z0-9.+_-]{1,12}@([A-Za-z0-9-]{1,8}\.){1,3}[A-Za-z]{1,4}", fullmatch=True
    )
)
def test_email_reads_as_pydantic_email_str(value: str) -> None:
    assert _read(_EMAIL, value) == _read(_EMAIL_STR, value)


@pytest.mark.parametrize(
    "value",
    ["Ann@Example.COM", "Ann <ann@example.com>", " ann@example.com ", "ann@bücher.example",
     "ann@example.test", "ann", 5, None],
)  # fmt: skip
def test_email_answers_and_refuses_as_email_str(value: object) -> None:
    assert _read(_EMAIL, value) == _read(_EMAIL_STR, value)


def test_email_has_the_json_schema_of_email_str() -> None:
    assert _EMAIL.json_schema() == _EMAIL_STR.json_schema() == {"type": "string", "format": "email"}


def test_a_problem_is_said_in_the_validators_words_and_others_in_pydantics() -> None:
    from pydantic import field_validator

    class Range(Model):
        low: int
        high: int

        @field_validator("high")
        @classmethod
        def _above(cls, high: int) -> int:
            if high < 0:
                raise ValueError("high is below zero")
            return high

    with pytest.raises(ValidationError) as raised:
        Range.model_validate({"low": "x", "high": -1})
    problems = {e["loc"]: said(e) for e in raised.value.errors()}
    assert problems == {
        ("low",): "Input should be a valid integer, unable to parse string as an integer",
        ("high",): "high is below zero",  # not "Value error, high is below zero"
    }
