"""`ecrm scoring push FILE`: make the API's lead-scoring ruleset the one in a JSON file (the
shape `GET /admin/scoring` returns; see layers/shared/ecrm/scoring/default_ruleset.json).

The file is compared with the current ruleset after the same normalisation the API applies
(defaults filled in, by `ecrm.scoring.rules`, the very code the API runs): the same ruleset is
not saved again, so pushing twice makes one version, not two. A file the API refuses is
reported field by field (exit 1) and nothing is saved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli.client import USAGE, CliError
from cli.commands import Commands, Context

SAVE_METADATA = ("version", "updated_at", "updated_by")


def register(commands: Commands) -> None:
    group = commands.group("scoring", "the lead-scoring ruleset")
    push = commands.api(
        group,
        "push",
        "save a ruleset from a JSON file as the next version (unless it is the current one)",
        _push,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    push.add_argument("file", type=Path, help="the ruleset, as JSON")
    push.add_argument(
        "--rescore",
        action="store_true",
        help="when it changed, start the job that applies it to existing contacts",
    )


def read_ruleset(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CliError(f"{path}: not readable JSON ({error})", USAGE, code="bad_file") from None
    if not isinstance(data, dict):
        raise CliError(f"{path}: the ruleset must be a JSON object", USAGE, code="bad_file")
    return {k: v for k, v in data.items() if k not in SAVE_METADATA}


def same_as_current(data: dict[str, Any], current: dict[str, Any]) -> bool:
    from ecrm.platform.errors import InvalidInput  # noqa: PLC0415 - pydantic only for this command
    from ecrm.scoring import rules  # noqa: PLC0415

    try:
        normalised = rules.validate(data).to_item()
    except InvalidInput:
        return False  # the API says what is wrong, field by field
    strip = set(SAVE_METADATA)
    return {k: v for k, v in normalised.items() if k not in strip} == {
        k: v for k, v in current.items() if k not in strip
    }


def _push(ctx: Context) -> None:
    data = read_ruleset(ctx.args.file)
    current = ctx.api.get("/admin/scoring")
    if same_as_current(data, current):
        result = {"action": "unchanged", "version": current.get("version", 0)}
    else:
        saved = ctx.api.put("/admin/scoring", data)
        result = {"action": "updated", "version": saved["version"]}
        if ctx.args.rescore:
            job = ctx.api.post("/admin/scoring/rescore")
            result["rescore_job"] = job
    human = f"scoring ruleset {result['action']} (version {result['version']})"
    if job := result.get("rescore_job"):
        human += f"; re-score job {job['job_id']} started"
    ctx.out.result(result, human)
