"""Scoring admin API (marketers only): the ruleset and its versions, the re-score job, and a
contact's score with its explanation and timeline."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.scoring import report, rescore, rulesets
from ecrm.web import http
from ecrm.web.openapi_responses import BODY, admin, reads
from ecrm.web.params import Path
from ecrm.web.router import App, Response

logger = Logger(service="scoring")
metrics = Metrics(namespace="ecrm", service="scoring")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])

Version = Annotated[int, Path(ge=0, le=10**8, description="Ruleset version (0: the default)")]
JobId = Annotated[str, Path(pattern=r"^rs_[0-9a-f]{16}$", description="Re-score job id")]
ContactId = Annotated[str, Path(pattern=r"^[a-z0-9]{1,64}$", description="Contact id")]


def _marketer() -> str:
    authorizer = app.current_event.request_context.authorizer
    claims = (authorizer.claims if authorizer else None) or {}
    return str(claims.get("email") or claims.get("sub") or "unknown")


@app.get("/admin/scoring", summary="The current scoring ruleset", responses=admin())
def get_ruleset() -> dict[str, Any]:
    return rulesets.current().to_item()


@app.put(
    "/admin/scoring",
    summary="Save a new version of the scoring ruleset (validated; applies to new events;"
    " send `version` to be refused when someone saved since)",
    responses=admin(*BODY, 409, 422),
    openapi_extensions=reads({}),
)
def put_ruleset() -> dict[str, Any]:
    from ecrm.scoring import schema  # noqa: PLC0415 - pydantic for the routes that validate

    body = http.read_fields(app.current_event)
    ruleset = schema.validate(body)
    return rulesets.save(ruleset, _marketer(), expected=schema.edited_version(body)).to_item()


@app.post(
    "/admin/scoring/validate",
    summary="Check a draft ruleset as a save would, storing nothing (422 names each problem)",
    responses=admin(*BODY, 422),
    openapi_extensions=reads({}),
)
def validate_ruleset() -> dict[str, Any]:
    from ecrm.scoring import schema  # noqa: PLC0415

    return schema.validate(http.read_fields(app.current_event)).to_item()


@app.get(
    "/admin/scoring/versions", summary="Saved ruleset versions, newest first", responses=admin()
)
def list_versions() -> dict[str, Any]:
    return {"versions": rulesets.history()}


@app.get(
    "/admin/scoring/versions/<version>",
    summary="One saved version of the ruleset",
    responses=admin(404),
)
def get_version(version: Version) -> dict[str, Any]:
    return rulesets.version(version).to_item()


@app.post(
    "/admin/scoring/rescore",
    summary="Apply the current ruleset to existing contacts (a resumable background job)",
    responses=admin(ok={202: "Started"}),
)
def start_rescore() -> Response[Any]:
    return Response(202, "application/json", rescore.start(_marketer()))


@app.get(
    "/admin/scoring/rescore/<job_id>", summary="Progress of a re-score job", responses=admin(404)
)
def get_rescore(job_id: JobId) -> dict[str, Any]:
    return rescore.get(job_id)


@app.post(
    "/admin/scoring/rescore/<job_id>/resume",
    summary="Queue the next step of a job",
    responses=admin(404, ok={202: "Queued"}),
)
def resume_rescore(job_id: JobId) -> Response[Any]:
    return Response(202, "application/json", rescore.resume(job_id))


@app.get(
    "/admin/contacts/<contact_id>/score",
    summary="A contact's score, stage, explanation (adds up to the score) and timeline",
    responses=admin(404),
)
def get_contact_score(contact_id: ContactId) -> dict[str, Any]:
    return report.contact_score(contact_id)


@http.marketers_first  # before path validation: anonymous callers get 401, never a 400
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
