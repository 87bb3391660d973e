"""Edits on `ecrm serve` stick: a form written beside the running stack is served at once (no
cached copy locally), and a restart seeds only what is missing, so the user's own form and
profile schema survive it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from ecrm.platform import keys
from local.stack import DEMO_FORM, DEMO_PROFILE
from tests.local.serving import Serving, call, local_command, serving


def stored_profile_schema(served: Serving) -> dict[str, Any]:
    """The schema item in the running stack's table (moto's address in endpoint.json)."""
    endpoint = json.loads((served.state / "endpoint.json").read_text())
    make: Any = boto3.client
    dynamodb = make("dynamodb", endpoint_url=endpoint["moto"], region_name="us-east-1")
    key = {name: {"S": value} for name, value in keys.profile_schema().items()}
    item = dynamodb.get_item(TableName=endpoint["table"], Key=key)["Item"]
    return {"version": int(item["version"]["N"]), "topics": len(item["topics"]["L"])}


def test_a_form_put_is_served_at_once_and_a_restart_keeps_the_users_form_and_schema(
    tmp_path: Path,
) -> None:
    state = tmp_path / ".ecrm"
    demo = json.loads(DEMO_FORM.read_text())
    mine = tmp_path / "newsletter.json"
    mine.write_text(json.dumps(demo | {"title": "My own newsletter"}))
    schema = json.loads(DEMO_PROFILE.read_text())
    my_schema = tmp_path / "profile.json"
    my_schema.write_text(json.dumps(schema | {"topics": schema["topics"][:1]}))

    with serving(state) as first:
        status, served = call("GET", f"{first.api}/forms/newsletter")
        assert (status, served["title"], served["version"]) == (200, demo["title"], 1)
        put = local_command("forms", "put", str(mine), "--state", str(state))
        assert put.returncode == 0, put.stderr
        # The capture function has just read version 1: locally it keeps no copy of it.
        status, served = call("GET", f"{first.api}/forms/newsletter")
        assert (served["title"], served["version"]) == ("My own newsletter", 2)
        put = local_command("profile", "put", str(my_schema), "--state", str(state))
        assert put.returncode == 0, put.stderr
        assert stored_profile_schema(first) == {"version": 2, "topics": 1}

    with serving(state) as second:
        status, served = call("GET", f"{second.api}/forms/newsletter")
        assert (served["title"], served["version"]) == ("My own newsletter", 2)
        assert stored_profile_schema(second) == {"version": 2, "topics": 1}
