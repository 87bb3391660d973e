"""`ecrm scoring push FILE`: make the API's lead-scoring ruleset the one in a JSON file (the
shape `GET /admin/scoring` returns; see layers/shared/ecrm/scoring/default_ruleset.json).
`check FILE` has the API check a file, saving nothing; `show`, `versions`, `rescore`, `job`
and `resume` read it and run the re-score job.

The file is compared with the current ruleset after the same normalisation the API applies
(defaults filled in, by `ecrm.scoring.schema`, the very code the API runs): the same ruleset is
not saved again, so pushing twice makes one version, not two. A file the API refuses is
reported field by field (exit 1) and nothing is saved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli import paths
from cli.client import USAGE, CliError
from cli.commands import Commands, Context
from cli.output import table

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
    check = commands.api(
        group, "check", "check a ruleset file as a push would, saving nothing", _check
    )
    check.add_argument("file", type=Path, help="the ruleset, as JSON")
    show = commands.api(group, "show", "the current ruleset (or a saved version)", _show)
    show.add_argument("--version", type=int, help="a saved version (0: the default ruleset)")
    commands.api(group, "versions", "saved versions, newest first", _versions)
    commands.api(
        group,
        "rescore",
        "start the job that applies the current ruleset to every contact",
        _rescore,
    )
    job = commands.api(group, "job", "a re-score job's progress", _job("get"))
    job.add_argument("job_id")
    resume = commands.api(
        group, "resume", "queue the next step of a stalled re-score job", _job("resume")
    )
    resume.add_argument("job_id")


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
    from ecrm.scoring import schema  # noqa: PLC0415

    try:
        normalised = schema.validate(data).to_item()
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


def _check(ctx: Context) -> None:
    checked = ctx.api.post("/admin/scoring/validate", read_ruleset(ctx.args.file))
    ctx.out.result(checked, f"{ctx.args.file}: the ruleset is valid (nothing saved)")


def _show(ctx: Context) -> None:
    version = ctx.args.version
    path = "/admin/scoring" if version is None else f"/admin/scoring/versions/{int(version)}"
    ruleset = ctx.api.get(path)
    ctx.out.result(ruleset, describe(ruleset))


def describe(ruleset: dict[str, Any]) -> str:
    lines = [f"scoring ruleset version {ruleset.get('version', 0)}"]
    if ruleset.get("updated_at"):
        lines[0] += f", {ruleset['updated_at']} by {ruleset.get('updated_by') or '?'}"
    lines.append("fit")
    lines += [f"  {r['points']:>6}  {r['id']}  ({r.get('kind', '')})" for r in ruleset["fit"]]
    lines.append("engagement")
    for rule in ruleset["engagement"]:
        cap = rule.get("cap")
        capped = f", at most {cap['count']} a {cap['per']}" if cap else ""
        lines.append(f"  {rule['points']:>6}  {rule['id']}  on {rule['on']}{capped}")
    half_life = (ruleset.get("decay") or {}).get("half_life_days")
    lines.append(f"decay: half-life {half_life} days" if half_life else "decay: none")
    stages = ", ".join(
        s["name"] + (f" >= {s['at_least']}" if s.get("at_least") is not None else "")
        for s in ruleset["stages"]
    )
    moves = "both ways" if ruleset.get("demote") else "up only (a milestone)"
    lines.append(f"stages: {stages}; moving {moves}")
    return "\n".join(lines)


def _versions(ctx: Context) -> None:
    found = ctx.api.get("/admin/scoring/versions")["versions"]
    rows = [(v["version"], v["updated_at"], v["updated_by"]) for v in found]
    human = table(rows, ("version", "saved", "by")) if found else "none saved (the default is 0)"
    ctx.out.result(found, human)


def _rescore(ctx: Context) -> None:
    job = ctx.api.post("/admin/scoring/rescore")
    ctx.out.result(
        job, f"re-score job {job['job_id']} started (`ecrm scoring job {job['job_id']}`)"
    )


def _job(verb: str) -> Any:
    def run(ctx: Context) -> None:
        base = paths.under("/admin/scoring/rescore", ctx.args.job_id)
        job = ctx.api.post(base + "/resume") if verb == "resume" else ctx.api.get(base)
        human = (
            f"re-score job {job['job_id']} {job['state']}: {job.get('contacts_rescored', 0)} "
            f"contacts re-scored of {job.get('contacts_read', 0)} read, "
            f"ruleset version {job.get('ruleset_version')}"
        )
        ctx.out.result(job, human)

    return run
