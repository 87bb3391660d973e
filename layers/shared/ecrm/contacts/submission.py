"""Reading a raw form submission against its form definition: every field validated and
normalised, every problem named, nothing unknown let through."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ecrm.contacts.form_view import (
    CONSENT_FIELD,
    HONEYPOT_FIELD,
    RENDERED_AT_FIELD,
    TRACKING_FIELDS,
    FieldSpec,
    FieldType,
    FormView,
)
from ecrm.platform import normalise
from ecrm.platform.errors import InvalidInput

Value = str | bool | list[str]
_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0", ""}
_TRACKING_MAX = 500


@dataclass(frozen=True)
class ValidSubmission:
    email: str
    profile: dict[str, Value]
    consent_given: bool
    tracking: dict[str, str]


@dataclass(frozen=True)
class BotSignals:
    honeypot_filled: bool
    rendered_at_ms: float | None


def _one_string(value: Any) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        raise ValueError("Expected text.")
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _one_string(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError("Expected yes or no.")


def _choices(value: Any, spec: FieldSpec) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise ValueError("Expected a list of choices.")
    unknown = [item for item in items if item not in (spec.choices or [])]
    if unknown:
        raise ValueError("Choose from the listed options.")
    return sorted(set(items))


_TEXT_READERS: dict[FieldType, Callable[[str], str]] = {
    FieldType.EMAIL: normalise.email,
    FieldType.NAME: normalise.name,
    FieldType.PHONE: normalise.phone,
    FieldType.TEXT: normalise.clean_text,
    FieldType.TEXTAREA: lambda text: text.strip(),
    FieldType.DATE: normalise.date,
}


def _read_field(value: Any, spec: FieldSpec) -> Value | None:
    """The normalised value, or None when the field is effectively empty."""
    if spec.type is FieldType.CHECKBOX:
        return _boolean(value)
    if spec.type is FieldType.MULTI_CHOICE:
        return _choices(value, spec) or None
    text = _one_string(value)
    if len(text) > spec.max_length:
        raise ValueError(f"At most {spec.max_length} characters.")
    if not text.strip():
        return None
    if spec.type is FieldType.CHOICE:
        return _choices(text, spec)[0]
    try:
        return _TEXT_READERS[spec.type](text)
    except normalise.NotNormalisable as error:
        raise ValueError(str(error)) from error


def bot_signals(raw: Mapping[str, Any]) -> BotSignals:
    """Text that is no number is ignored (a page without the script may send anything), but a
    number no clock can show (4,000 digits, inf, nan) is refused: float() of it overflows."""
    honeypot = raw.get(HONEYPOT_FIELD)
    rendered_at = raw.get(RENDERED_AT_FIELD)
    rendered_ms: float | None = None
    try:
        if isinstance(rendered_at, int | float) and not isinstance(rendered_at, bool):
            rendered_ms = float(rendered_at)
        elif rendered_at is not None:
            rendered_ms = float(_one_string(rendered_at))
    except OverflowError:
        rendered_ms = math.inf
    except ValueError:
        rendered_ms = None
    if rendered_ms is not None and not math.isfinite(rendered_ms):
        raise InvalidInput(
            "Some fields need attention.",
            fields={RENDERED_AT_FIELD: "Expected the time the form was shown, in milliseconds."},
        )
    return BotSignals(
        honeypot_filled=bool(honeypot and honeypot != [""]), rendered_at_ms=rendered_ms
    )


def _read_tracking(raw: Mapping[str, Any], errors: dict[str, str]) -> dict[str, str]:
    tracking: dict[str, str] = {}
    for name in sorted(TRACKING_FIELDS.intersection(raw)):
        try:
            text = normalise.clean_text(_one_string(raw[name]))[:_TRACKING_MAX]
        except ValueError as error:
            errors[name] = str(error)
            continue
        if text:
            tracking[name] = text
    return tracking


def _read_profile(
    form: FormView, raw: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, Value]:
    profile: dict[str, Value] = {}
    for spec in form.fields:
        try:
            value = _read_field(raw[spec.name], spec) if spec.name in raw else None
        except ValueError as error:
            errors[spec.name] = str(error)
            continue
        if value is None or (spec.required and value is False):
            if spec.required:
                errors[spec.name] = "This field is required."
            continue
        profile[spec.name] = value
    return profile


def _read_consent(form: FormView, raw: Mapping[str, Any], errors: dict[str, str]) -> bool:
    if not form.consent:
        return False
    try:
        given = _boolean(raw.get(CONSENT_FIELD, False))
    except ValueError as error:
        errors[CONSENT_FIELD] = str(error)
        return False
    if not given:
        errors[CONSENT_FIELD] = "Please give your consent to subscribe."
    return given


def read(form: FormView, raw: Mapping[str, Any]) -> ValidSubmission:
    """Validate and normalise; raises InvalidInput naming every bad field at once."""
    errors: dict[str, str] = {}
    allowed = {f.name for f in form.fields} | TRACKING_FIELDS | {HONEYPOT_FIELD, RENDERED_AT_FIELD}
    if form.consent:
        allowed.add(CONSENT_FIELD)
    for name in sorted(set(raw) - allowed):
        errors[name[:64]] = "Unknown field."
    profile = _read_profile(form, raw, errors)
    consent_given = _read_consent(form, raw, errors)
    tracking = _read_tracking(raw, errors)
    if errors:
        raise InvalidInput("Some fields need attention.", fields=errors)
    email = profile.pop("email")
    assert isinstance(email, str)
    return ValidSubmission(
        email=email, profile=profile, consent_given=consent_given, tracking=tracking
    )


def read_value(value: Any, spec: FieldSpec) -> Value | None:
    """One field's normalised value (None when empty); ValueError says what is wrong with it.
    For fields edited outside a form submission (the preference center)."""
    return _read_field(value, spec)
