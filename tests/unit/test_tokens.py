from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from ecrm.platform import tokens
from ecrm.platform.errors import InvalidToken


@pytest.fixture(autouse=True)
def fixed_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, bytes | None]]:
    ring: dict[str, bytes | None] = {"AWSCURRENT": b"k" * 64, "AWSPREVIOUS": None}
    monkeypatch.setattr(tokens.keyring, "key", lambda stage: ring[stage])
    yield ring


def test_a_token_round_trips_its_claims() -> None:
    token = tokens.issue("confirm", "contact-1", "ref-1", ttl_seconds=60)
    claims = tokens.verify(token, "confirm")
    assert (claims.subject, claims.ref, claims.purpose) == ("contact-1", "ref-1", "confirm")


def test_tokens_are_unique_even_for_the_same_claims() -> None:
    assert tokens.issue("confirm", "c") != tokens.issue("confirm", "c")


def test_a_token_for_one_purpose_is_refused_for_another() -> None:
    with pytest.raises(InvalidToken):
        tokens.verify(tokens.issue("unsubscribe", "c"), "session")


def test_an_expired_token_is_refused() -> None:
    token = tokens.issue("confirm", "c", ttl_seconds=60)
    with pytest.raises(InvalidToken, match="expired"):
        tokens.verify(token, "confirm", now=time.time() + 61)


@pytest.mark.parametrize("mangle", [lambda t: t[:-1], lambda t: "x" + t, lambda t: t.split(".")[0]])
def test_an_altered_token_is_refused(mangle: object) -> None:
    token = tokens.issue("confirm", "c")
    with pytest.raises(InvalidToken):
        tokens.verify(mangle(token), "confirm")  # type: ignore[operator]


def test_after_rotation_the_previous_key_still_verifies(
    fixed_keys: dict[str, bytes | None],
) -> None:
    old = tokens.issue("confirm", "c", ttl_seconds=60)
    fixed_keys.update(AWSPREVIOUS=fixed_keys["AWSCURRENT"], AWSCURRENT=b"n" * 64)
    assert tokens.verify(old, "confirm").subject == "c"
    fixed_keys["AWSPREVIOUS"] = None
    with pytest.raises(InvalidToken):
        tokens.verify(old, "confirm")
