"""The token signing key in SSM Parameter Store (a SecureString, docs/deploy.md section 8):
rotating writes a new version; links signed with the version before still verify, older ones
do not."""

from __future__ import annotations

import boto3
import pytest

from ecrm.platform import tokens
from ecrm.platform.errors import InvalidToken
from ecrm.platform.settings import settings


def _rotate(value: str) -> None:
    boto3.client("ssm").put_parameter(
        Name=settings().token_key_parameter, Value=value, Type="SecureString", Overwrite=True
    )
    tokens.keyring.forget()  # as the functions' 5-minute cache would, later


def test_the_key_is_a_secure_string_and_a_fresh_one_has_no_previous_version(
    aws_env: dict[str, str],
) -> None:
    found = boto3.client("ssm").get_parameter(Name=settings().token_key_parameter)["Parameter"]
    assert found["Type"] == "SecureString"
    assert len(tokens.keyring.key("AWSCURRENT") or b"") == 64
    assert tokens.keyring.key("AWSPREVIOUS") is None


def test_one_rotation_keeps_links_valid_and_a_second_voids_the_first_keys_links(
    aws_env: dict[str, str],
) -> None:
    first = tokens.issue("confirm", "c", ttl_seconds=3600)

    _rotate("second" * 11)
    second = tokens.issue("confirm", "c", ttl_seconds=3600)
    assert tokens.verify(first, "confirm").subject == "c"
    assert tokens.verify(second, "confirm").subject == "c"

    _rotate("third" * 13)
    assert tokens.verify(second, "confirm").subject == "c"
    with pytest.raises(InvalidToken):
        tokens.verify(first, "confirm")
