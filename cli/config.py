"""Where the command line sends requests and with which credentials.

Each setting comes from the first of: a flag (`--api-url`, `--token`, `--profile`), the
environment (`ECRM_API_URL`, `ECRM_TOKEN`, `ECRM_PROFILE`), the selected profile in
`profiles.toml`, and finally the local stack: the API address `ecrm serve` wrote to
`.ecrm/endpoint.json` (or http://127.0.0.1:3000) and its admin token from
`.ecrm/admin-tokens.json` (its marketer token if it has none). So against `ecrm serve` nothing
needs setting up.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCAL_API_URL = "http://127.0.0.1:3000"
LOCAL_STATE = Path(".ecrm")
PROFILE_FIELDS = (
    "api_url",
    "region",
    "user_pool_client_id",
    "username",
    "id_token",
    "refresh_token",
    "expires_at",
)


class ConfigError(Exception):
    """The configuration names something that is not there (a profile, a file)."""


@dataclass(frozen=True)
class Config:
    api_url: str
    token: str | None
    profile: str | None  # the profile in effect, if any (it owns the token and its refresh)
    source: str  # where api_url came from: flag, env, profile or local


def profiles_path() -> Path:
    """`$XDG_CONFIG_HOME/ecrm/profiles.toml`, by default `~/.config/ecrm/profiles.toml`."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ecrm" / "profiles.toml"


def load_profiles(path: Path | None = None) -> dict[str, dict[str, Any]]:
    path = path or profiles_path()
    if not path.exists():
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error
    profiles = document.get("profiles", {})
    return {name: dict(table) for name, table in profiles.items() if isinstance(table, dict)}


def save_profile(name: str, values: dict[str, Any], path: Path | None = None) -> Path:
    """Write one profile (merged over what is there), readable by its owner only: it holds
    tokens. A new file is written 0600 beside the old one, then renamed over it, so a crash
    mid-write never leaves the other profiles half-written."""
    path = path or profiles_path()
    profiles = load_profiles(path)
    profiles[name] = {**profiles.get(name, {}), **values}
    text = _to_toml(profiles)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".profiles-")  # 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _to_toml(profiles: dict[str, dict[str, Any]]) -> str:
    """The few value types a profile holds (strings, integers); JSON string escapes are valid
    TOML basic strings, and tomllib has no writer."""
    lines = ["# ecrm command line profiles (`ecrm login` writes here; keep it private)"]
    for name in sorted(profiles):
        lines.append(f"\n[profiles.{json.dumps(name)}]")
        for key, value in profiles[name].items():
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ConfigError(f"profile {name}: {key} must be a string or an integer")
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def resolve(
    api_url: str | None = None,
    token: str | None = None,
    profile: str | None = None,
    *,
    state: Path = LOCAL_STATE,
) -> Config:
    """Flags (the arguments) > environment > profile > the local stack."""
    environ = os.environ
    profile = profile or environ.get("ECRM_PROFILE") or None
    profiles = load_profiles()
    if profile is not None and profile not in profiles:
        raise ConfigError(f"no profile {profile!r} in {profiles_path()} (run `ecrm login`)")
    if profile is None and "default" in profiles:
        profile = "default"
    chosen = profiles.get(profile, {}) if profile else {}

    token = token or environ.get("ECRM_TOKEN") or None
    if api_url:
        source = "flag"
    elif environ.get("ECRM_API_URL"):
        api_url, source = environ["ECRM_API_URL"], "env"
    elif chosen.get("api_url"):
        api_url, source = str(chosen["api_url"]), "profile"
    else:
        api_url, source = _local_api_url(state), "local"
    if token is None and profile is None:
        token = _local_token(state)
    return Config(api_url=api_url.rstrip("/"), token=token, profile=profile, source=source)


def _local_api_url(state: Path) -> str:
    """Where a running `ecrm serve` said it listens (it may have picked another port)."""
    try:
        return str(json.loads((state / "endpoint.json").read_text(encoding="utf-8"))["api"])
    except (OSError, ValueError, KeyError):
        return LOCAL_API_URL


def _local_token(state: Path) -> str | None:
    try:
        tokens = json.loads((state / "admin-tokens.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(tokens, dict):
        return None
    # The admin's (the team commands need it; it may do all a marketer does), else the marketer's.
    chosen = tokens.get("admin") or tokens.get("marketer")
    return str(chosen) if chosen else None
