"""Settings read from the environment: defaults, conversions, and every wrong value named."""

from __future__ import annotations

import pytest

from ecrm.platform.settings import Settings

REQUIRED = {"TABLE_NAME": "ecrm-table", "TOKEN_KEY_PARAMETER": "/ecrm/key"}


def test_defaults_apply_and_numbers_are_read_from_their_text() -> None:
    read = Settings.from_environ(
        {**REQUIRED, "RATE_WINDOW_SECONDS": "120", "MAX_SEND_RATE": "2.5", "UNRELATED": "x"}
    )
    assert read.table_name == "ecrm-table" and read.rate_window_seconds == 120
    assert read.max_send_rate == 2.5 and read.configuration_set is None
    assert read.rate_limit_per_ip == 20 and read.send_rate_share == 0.97


def test_an_integral_float_is_an_int_as_pydantic_reads_it() -> None:
    assert Settings.from_environ({**REQUIRED, "RESCORE_PAGE_SIZE": "5.0"}).rescore_page_size == 5


def test_every_problem_is_listed_with_its_variable() -> None:
    environ = {
        "TABLE_NAME": "t",
        "RATE_LIMIT_PER_IP": "0",
        "DUPLICATE_WINDOW_SECONDS": "5.5",
        "MIN_FILL_SECONDS": "soon",
        "RESCORE_PAGE_SIZE": "501",
        "MAX_SEND_RATE": "0",
    }
    with pytest.raises(ValueError) as refused:
        Settings.from_environ(environ)
    assert str(refused.value) == "\n".join(
        [
            "7 validation errors for Settings",
            "TABLE_NAME\n  String should have at least 3 characters",
            "TOKEN_KEY_PARAMETER\n  Field required",
            "RATE_LIMIT_PER_IP\n  Input should be greater than or equal to 1",
            "DUPLICATE_WINDOW_SECONDS\n"
            "  Input should be a valid integer, unable to parse string as an integer",
            "MIN_FILL_SECONDS\n"
            "  Input should be a valid number, unable to parse string as a number",
            "RESCORE_PAGE_SIZE\n  Input should be less than or equal to 500",
            "MAX_SEND_RATE\n  Input should be greater than 0",
        ]
    )


def test_settings_are_frozen() -> None:
    read = Settings.from_environ(REQUIRED)
    with pytest.raises(AttributeError):
        read.table_name = "other"  # type: ignore[misc]
