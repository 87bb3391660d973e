"""`GET /admin/profile-schema` on moto: the fields a contact's profile has (what the console
offers an import's columns), the interests and the topics, read by marketers and viewers, by
nobody else, and nothing is written."""

from __future__ import annotations

import pytest

from tests.conftest import table_items
from tests.integration.contacts_io import admin, seed_schema

VIEWER = {"sub": "u-viewer", "email": "viewer@example.com", "cognito:groups": "viewers"}
STAFF = {"sub": "u-staff", "email": "staff@example.com", "cognito:groups": "staff"}

pytestmark = pytest.mark.usefixtures("aws_env")


def test_the_schema_names_the_fields_an_import_may_fill_and_the_topics() -> None:
    seed_schema()
    before = table_items()
    code, schema = admin("GET", "/admin/profile-schema")
    assert code == 200, schema
    assert [f["name"] for f in schema["profile"]] == ["first_name", "company", "birthday"]
    assert [f["name"] for f in schema["interests"]] == ["interests", "role", "team_size"]
    assert [t["id"] for t in schema["topics"]] == ["newsletter", "events"]
    assert schema["version"] == 1
    assert not {"pk", "sk", "type"} & set(schema)
    assert admin("GET", "/admin/profile-schema", claims=VIEWER)[0] == 200  # a read
    assert table_items() == before


def test_an_empty_schema_is_version_0_with_no_field() -> None:
    code, schema = admin("GET", "/admin/profile-schema")
    assert code == 200
    assert schema["profile"] == schema["interests"] == schema["topics"] == []
    assert schema["version"] == 0


def test_only_the_consoles_roles_read_it() -> None:
    seed_schema()
    code, body = admin("GET", "/admin/profile-schema", claims=STAFF)
    assert code == 403 and body["error"]["code"] == "forbidden"
    code, body = admin("GET", "/admin/profile-schema", claims=None)
    assert code == 401 and body["error"]["code"] == "unauthenticated"
