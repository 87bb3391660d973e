"""Where the command line sends its requests: flags > environment > profile > the local stack."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest

from cli import config


def local_state(folder: Path, api: str = "http://127.0.0.1:4321") -> Path:
    state = folder / ".ecrm"
    state.mkdir()
    (state / "endpoint.json").write_text(json.dumps({"api": api}))
    (state / "admin-tokens.json").write_text(json.dumps({"marketer": "m-tok", "viewer": "v"}))
    return state


def test_with_nothing_configured_it_talks_to_the_local_stack_as_its_marketer(
    tmp_path: Path,
) -> None:
    state = local_state(tmp_path)
    found = config.resolve(state=state)
    assert (found.api_url, found.token, found.profile, found.source) == (
        "http://127.0.0.1:4321",
        "m-tok",
        None,
        "local",
    )


def test_with_no_local_stack_either_it_tries_the_default_address_without_a_token(
    tmp_path: Path,
) -> None:
    found = config.resolve(state=tmp_path / "missing")
    assert (found.api_url, found.token) == (config.LOCAL_API_URL, None)


def test_a_profile_beats_the_local_stack_and_brings_its_own_token(tmp_path: Path) -> None:
    state = local_state(tmp_path)
    config.save_profile("prod", {"api_url": "https://api.example/v1/", "id_token": "x"})
    found = config.resolve(profile="prod", state=state)
    assert (found.api_url, found.token, found.profile, found.source) == (
        "https://api.example/v1",
        None,  # the profile's own (renewed) ID token is read when a request is made
        "prod",
        "profile",
    )


def test_the_profile_named_default_applies_when_none_is_named(tmp_path: Path) -> None:
    config.save_profile("default", {"api_url": "https://default.example"})
    assert config.resolve(state=local_state(tmp_path)).api_url == "https://default.example"


def test_environment_beats_the_profile_and_flags_beat_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = local_state(tmp_path)
    config.save_profile("prod", {"api_url": "https://profile.example"})
    config.save_profile("staging", {"api_url": "https://staging.example"})
    monkeypatch.setenv("ECRM_PROFILE", "prod")
    monkeypatch.setenv("ECRM_API_URL", "https://env.example")
    monkeypatch.setenv("ECRM_TOKEN", "env-token")
    from_env = config.resolve(state=state)
    assert (from_env.api_url, from_env.token, from_env.profile, from_env.source) == (
        "https://env.example",
        "env-token",
        "prod",
        "env",
    )
    from_flags = config.resolve("https://flag.example", "flag-token", "staging", state=state)
    assert (from_flags.api_url, from_flags.token, from_flags.profile, from_flags.source) == (
        "https://flag.example",
        "flag-token",
        "staging",
        "flag",
    )


def test_naming_a_missing_profile_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="ecrm login"):
        config.resolve(profile="nope", state=tmp_path)


def test_the_profile_file_is_private_and_keeps_other_profiles(isolated_config: Path) -> None:
    config.save_profile("a", {"api_url": "https://a.example", "expires_at": 12})
    path = config.save_profile("b", {"id_token": 'quote " and \\ backslash'})
    config.save_profile("a", {"id_token": "t"})
    assert path == isolated_config / "ecrm" / "profiles.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = tomllib.loads(path.read_text())
    assert document["profiles"] == {
        "a": {"api_url": "https://a.example", "expires_at": 12, "id_token": "t"},
        "b": {"id_token": 'quote " and \\ backslash'},
    }


def test_a_crash_while_writing_keeps_the_previous_profiles(
    isolated_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.save_profile("a", {"id_token": "kept"})

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(config.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        config.save_profile("b", {"id_token": "lost"})
    assert config.load_profiles() == {"a": {"id_token": "kept"}}
    assert [p.name for p in (isolated_config / "ecrm").iterdir()] == ["profiles.toml"]


def test_a_broken_profile_file_is_reported_not_a_traceback(isolated_config: Path) -> None:
    path = isolated_config / "ecrm" / "profiles.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[profiles.x\n")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load_profiles()
