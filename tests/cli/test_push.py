"""`ecrm templates push` and `ecrm scoring push` against `ecrm serve`: the first push creates,
a second identical push changes nothing (same versions), an edit updates exactly what changed,
and refusals name the file, the field and the exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local.stack import EmbeddedStack
from tests.cli.conftest import Ecrm

DEFAULT_RULESET = (
    Path(__file__).resolve().parents[2] / "layers/shared/ecrm/scoring/default_ruleset.json"
)


def write_templates(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "welcome.json").write_text(json.dumps({"subject": "Welcome", "name": "Welcome"}))
    (folder / "welcome.html").write_text('<p>Hi</p><a href="{{ unsubscribe_url }}">Unsub</a>')
    (folder / "digest.json").write_text(json.dumps({"subject": "Digest"}))
    (folder / "digest.html").write_text('<p>This week</p><a href="{{ unsubscribe_url }}">x</a>')
    (folder / "digest.txt").write_text(
        "This week, in plain text. Unsubscribe: {{ unsubscribe_url }}"
    )
    return folder


def actions(run_json: Any) -> dict[str, tuple[str, int | None]]:
    return {t["id"]: (t["action"], t["version"]) for t in run_json["templates"]}


def test_pushing_templates_twice_creates_then_changes_nothing_then_updates_an_edit(
    ecrm: Ecrm, tmp_path: Path, stack: EmbeddedStack
) -> None:
    folder = write_templates(tmp_path / "templates")
    first = ecrm("templates", "push", str(folder), "--json")
    assert first.code == 0, first.err
    assert actions(first.json()) == {"digest": ("created", 1), "welcome": ("created", 1)}

    second = ecrm("templates", "push", str(folder))
    assert second.code == 0, second.err
    assert second.out.splitlines() == [
        "template  action     version",
        "digest    unchanged  1",
        "welcome   unchanged  1",
    ]

    (folder / "digest.txt").unlink()  # now derived from the HTML: a change
    (folder / "welcome.html").write_text('<p>Hello</p><a href="{{ unsubscribe_url }}">Unsub</a>')
    dry = ecrm("templates", "push", str(folder), "--dry-run", "--json")
    assert actions(dry.json()) == {"digest": ("updated", 1), "welcome": ("updated", 1)}
    third = ecrm("templates", "push", str(folder), "--json")
    assert actions(third.json()) == {"digest": ("updated", 2), "welcome": ("updated", 2)}
    assert actions(ecrm("templates", "push", str(folder), "--json").json()) == {
        "digest": ("unchanged", 2),
        "welcome": ("unchanged", 2),
    }

    from cli.client import ApiClient

    token = json.loads((stack.state_dir / "admin-tokens.json").read_text())["marketer"]
    stored = ApiClient(stack.api_url, token).get("/admin/templates/welcome")
    assert stored["html"].startswith("<p>Hello</p>") and stored["subject"] == "Welcome"
    earlier = ecrm("templates", "show", "welcome", "--version", "1", "--html")
    assert earlier.code == 0, earlier.err
    assert "version 1" in earlier.out and "<p>Hi</p>" in earlier.out  # what the edit replaced


def test_a_template_the_api_refuses_is_named_with_its_field_and_exit_1(
    ecrm: Ecrm, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "broken.json").write_text(json.dumps({"subject": "Hi {{ contact.shoe_size }}"}))
    (folder / "broken.html").write_text("<p>x</p>")
    run = ecrm("templates", "push", str(folder), "--json")
    assert run.code == 1 and run.out == ""
    error = json.loads(run.err)["error"]
    assert error["status"] == 422 and "subject" in error["fields"]
    assert error["message"].startswith("template broken:")


def test_a_malformed_template_folder_is_a_usage_error_before_any_request(
    ecrm: Ecrm, tmp_path: Path
) -> None:
    folder = tmp_path / "partial"
    folder.mkdir()
    (folder / "lonely.json").write_text(json.dumps({"subject": "No HTML"}))
    run = ecrm("templates", "push", str(folder))
    assert run.code == 2 and "lonely.html is missing" in run.err
    (folder / "lonely.html").write_text("<p>x</p>")
    (folder / "lonely.json").write_text(json.dumps({"subject": "S", "html": "<p>inline</p>"}))
    assert "unknown keys ['html']" in ecrm("templates", "push", str(folder)).err
    assert ecrm("templates", "push", str(tmp_path / "nowhere")).code == 2


def test_pushing_a_scoring_ruleset_twice_saves_one_version(ecrm: Ecrm, tmp_path: Path) -> None:
    ruleset = json.loads(DEFAULT_RULESET.read_text())
    ruleset["stages"][-1]["at_least"] += 5  # differs from the default in force
    path = tmp_path / "scoring.json"
    path.write_text(json.dumps(ruleset))
    first = ecrm("scoring", "push", str(path), "--json")
    assert first.code == 0, first.err
    version = first.json()["version"]  # type: ignore[index]
    assert first.json() == {"action": "updated", "version": version}

    again = ecrm("scoring", "push", str(path))
    assert again.code == 0 and again.out.strip() == (
        f"scoring ruleset unchanged (version {version})"
    )

    ruleset["stages"][-1]["at_least"] += 1
    path.write_text(json.dumps(ruleset))
    rescored = ecrm("scoring", "push", str(path), "--rescore", "--json")
    assert rescored.code == 0, rescored.err
    result = rescored.json()
    assert isinstance(result, dict) and result["version"] == version + 1
    assert result["rescore_job"]["job_id"].startswith("rs_")


def test_a_scoring_ruleset_the_api_refuses_saves_nothing_and_exits_1(
    ecrm: Ecrm, tmp_path: Path
) -> None:
    before = ecrm("scoring", "push", str(DEFAULT_RULESET), "--json")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"stages": []}))
    run = ecrm("scoring", "push", str(path), "--json")
    assert run.code == 1
    error = json.loads(run.err)["error"]
    assert error["status"] == 422 and "stages" in error["fields"]
    path.write_text("{not json")
    assert ecrm("scoring", "push", str(path)).code == 2
    after = ecrm("scoring", "push", str(DEFAULT_RULESET), "--json")
    assert after.json() == {"action": "unchanged", "version": before.json()["version"]}  # type: ignore[index]


def test_a_pushed_form_takes_submissions_and_pushing_it_again_changes_nothing(
    ecrm: Ecrm, tmp_path: Path, stack: EmbeddedStack
) -> None:
    import urllib.request

    from local.stack import DEMO_FORM

    definition = json.loads(DEMO_FORM.read_text()) | {"id": "pushed", "version": 7}
    path = tmp_path / "pushed.json"
    path.write_text(json.dumps(definition))
    first = ecrm("forms", "push", str(path), "--json")
    assert first.code == 0, first.err
    created = {"id": "pushed", "action": "created", "version": 1, "live_within_seconds": 0}
    assert first.json() == {"forms": [created]}  # locally a change is live at once
    again = ecrm("forms", "push", str(path))
    assert again.code == 0 and again.out.splitlines()[1].split() == ["pushed", "unchanged", "1"]
    assert again.out.splitlines()[-1] == "live at once"

    submission = urllib.request.Request(
        f"{stack.api_url}/forms/pushed/submissions",
        data=json.dumps({"email": "pushed@example.org", "consent": True}).encode(),
        headers={"Content-Type": "application/json", "Origin": definition["allowed_origins"][0]},
        method="POST",
    )
    with urllib.request.urlopen(submission, timeout=30) as answer:
        assert answer.status == 202

    path.write_text(json.dumps(definition | {"title": "Pushed again"}))
    changed = ecrm("forms", "push", str(path), "--json")
    updated = {"id": "pushed", "action": "updated", "version": 2, "live_within_seconds": 0}
    assert changed.json() == {"forms": [updated]}
    # served at once, though the submission above had the capture function read version 1
    with urllib.request.urlopen(f"{stack.api_url}/forms/pushed", timeout=30) as answer:
        assert json.loads(answer.read())["title"] == "Pushed again"
    listed = ecrm("forms", "list", "--json")
    assert {"id": "pushed", "version": 2} in [
        {"id": f["id"], "version": f["version"]}
        for f in listed.json()  # type: ignore[union-attr]
    ]


def test_a_form_the_api_refuses_exits_1_naming_the_form_and_field(
    ecrm: Ecrm, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "bad-form", "title": "T", "fields": []}))
    run = ecrm("forms", "push", str(path), "--json")
    assert run.code == 1 and run.out == ""
    error = json.loads(run.err)["error"]
    assert error["message"].startswith("form bad-form:") and "fields" in error["fields"]
    path.write_text(json.dumps({"title": "no id"}))
    assert ecrm("forms", "push", str(path)).code == 2
