"""A form definition written without pydantic when it is plainly valid (issue 15 point 7).

The forms admin API's `PUT` reads a definition here when every part of it is one `forms.Form`
surely accepts with the same values (`ecrm.platform.plain`: strings, bools, ints in bounds, the
model's patterns compiled with `\\Z`, no URL: pydantic rewrites those), and stores it as
`forms.replace` stores a model: the same item, the same answer (`Form.model_dump(mode="json")`,
in the model's field order), the same versions and conflicts. Any other definition is the
model's to read (its coercions, its refusals and their words), so the function's start imports
no pydantic for the definitions marketers push. tests/unit/test_plain_bodies.py holds
`definition` to the model; tests/unit/test_form_plain.py the writes to `forms.replace`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ecrm.contacts.form_store import forget_cached
from ecrm.contacts.form_view import KIND, RESERVED_FIELDS, FieldType
from ecrm.platform import definitions, keys, plain, store

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
# Python's `\s` holds every character Rust's does (and \x1c-\x1f): it refuses more, never less.
_ORIGIN = re.compile(r"https?://[^/\s]+\Z")
_TYPES = frozenset(t.value for t in FieldType)
_CHOICES = frozenset({FieldType.CHOICE.value, FieldType.MULTI_CHOICE.value})
_MAX_VERSION = 1 << 31

# The model's fields, in its order, with their defaults (None: required, or None by default).
_FIELD_DEFAULTS: dict[str, Any] = {
    "name": None,
    "label": None,
    "type": FieldType.TEXT.value,
    "required": False,
    "max_length": 200,
    "choices": None,
}
_FORM_DEFAULTS: dict[str, Any] = {
    "id": None,
    "title": None,
    "fields": None,
    "consent": None,
    "topics": [],
    "double_opt_in": True,
    "redirect_url": None,
    "site_url": None,
    "allowed_origins": [],
    "submit_label": "Subscribe",
    "thank_you": "Thank you!",
    "version": None,
}


def definition(value: Any) -> dict[str, Any] | None:
    """`value` (a `PUT` body: `id` and `version` optional) with the model's defaults, in its
    order, when plainly valid; None leaves it to the model."""
    if (
        not isinstance(value, dict)
        or not {"title", "fields"} <= value.keys() <= _FORM_DEFAULTS.keys()
    ):
        return None
    form = {name: value.get(name, default) for name, default in _FORM_DEFAULTS.items()}
    fields = form["fields"]
    if not (isinstance(fields, list) and 1 <= len(fields) <= 50):
        return None
    read = [f for f in map(_field, fields) if f is not None]
    valid = (
        len(read) == len(fields)
        and (form["id"] is None or plain.matches(form["id"], _SLUG))
        and plain.text(form["title"], 1, 200)
        and (form["consent"] is None or _consent(form["consent"]))
        and _all(form["topics"], lambda t: plain.matches(t, _SLUG), 20)
        and type(form["double_opt_in"]) is bool
        and form["redirect_url"] is None
        and form["site_url"] is None
        and _all(form["allowed_origins"], lambda o: plain.matches(o, _ORIGIN), None)
        and plain.text(form["submit_label"])
        and plain.text(form["thank_you"])
        and (form["version"] is None or plain.integer(form["version"], 1, _MAX_VERSION))
    )
    if not valid or not _one_email_field(read):
        return None
    consent = form["consent"]
    return form | {
        "fields": read,
        "consent": None
        if consent is None
        else {"text": consent["text"], "version": consent["version"]},
        "topics": list(form["topics"]),
        "allowed_origins": list(form["allowed_origins"]),
    }


def _field(value: Any) -> dict[str, Any] | None:
    if (
        not isinstance(value, dict)
        or not {"name", "label"} <= value.keys() <= _FIELD_DEFAULTS.keys()
    ):
        return None
    field = {name: value.get(name, default) for name, default in _FIELD_DEFAULTS.items()}
    choices = field["choices"]
    valid = (
        plain.matches(field["name"], _FIELD_NAME)
        and plain.text(field["label"], 1, 200)
        and isinstance(field["type"], str)
        and field["type"] in _TYPES
        and type(field["required"]) is bool
        and plain.integer(field["max_length"], 1, 5000)
        and (choices is None or _all(choices, lambda c: plain.text(c, 1, 100), None))
        and (field["type"] in _CHOICES) == bool(choices)
    )
    return field | {"choices": None if choices is None else list(choices)} if valid else None


def _consent(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.keys() == {"text", "version"}
        and plain.text(value["text"], 1, 2000)
        and plain.text(value["version"], 1, 40)
    )


def _all(values: Any, check: Any, most: int | None) -> bool:
    return (
        isinstance(values, list)
        and (most is None or len(values) <= most)
        and all(map(check, values))
    )


def _one_email_field(fields: list[dict[str, Any]]) -> bool:
    """`Form._one_email_field`: unique names, none reserved, one required `email` field."""
    names = [f["name"] for f in fields]
    emails = [f for f in fields if f["type"] == FieldType.EMAIL.value]
    return (
        len(set(names)) == len(names)
        and not RESERVED_FIELDS.intersection(names)
        and len(emails) == 1
        and emails[0]["name"] == "email"
        and emails[0]["required"]
    )


def stored(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored definition (checked when saved) as the model's JSON gives it."""
    form = {name: item.get(name, default) for name, default in _FORM_DEFAULTS.items()}
    fields = [{n: f.get(n, d) for n, d in _FIELD_DEFAULTS.items()} for f in form["fields"]]
    for f in fields:
        f["max_length"] = int(f["max_length"])
    return form | {"fields": fields, "version": int(form["version"] or 1)}


def replace(form: dict[str, Any], expected_version: int | None) -> tuple[dict[str, Any], bool]:
    """`forms.replace` for a plainly valid definition (`form`: `definition` with its `id`):
    created as version 1, or saved as the next version over the one just read; the same
    definition again writes nothing. The stored form (the model's JSON) and whether it was
    written."""
    form_id = str(form["id"])
    current = store.get(keys.form(form_id), consistent=True)
    if current is None:
        created = form | {"version": 1}
        definitions.put_new(_item(created), KIND, form_id)
        return created, True
    before = stored(current)
    definitions.check_expected(KIND, before["version"], expected_version)
    if {**before, "version": 0} == {**form, "version": 0}:
        return before, False
    saved = form | {"version": before["version"] + 1}
    definitions.put_next(_item(saved), KIND, before["version"])
    forget_cached(form_id)  # this process at once; the others within cache_seconds()
    return saved, True


def _item(form: dict[str, Any]) -> dict[str, Any]:
    """`Form.to_item`."""
    return {**keys.form(form["id"]), **keys.listing(KIND, form["id"]), "type": "form", **form}
