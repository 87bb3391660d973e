"""Automations admin API (marketers only): rules "when <event> then send <template> after
<delay>" (`ecrm.automations.rules`). A run's progress shows on the contact
(`AUTOMATION#<rule id>`). Also serves `/admin/journeys` (`mailing.journeys_routes`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.automations import counts, overview
from ecrm.automations.overview import CountedRule
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Path
from ecrm.web.plain import lazy
from ecrm.web.router import App, Response
from mailing import journeys_routes

# The rules' models (pydantic): imported by the routes that read or write one rule, not to list
# them (the list reads them plainly, `overview`), so listing imports no pydantic.
if TYPE_CHECKING:
    from ecrm.automations import rules
    from ecrm.journeys import migration
else:
    rules = lazy("ecrm.automations.rules")
    migration = lazy("ecrm.journeys.migration")

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])
app.include_router(journeys_routes.router)

AutomationId = Annotated[str, Path(pattern=r"^au_[0-9a-f]{12}$", description="Automation id")]


@app.get(
    "/admin/automations",
    summary="Every automation rule, with what it did (triggered, sent, skipped, failed)",
    responses=admin(),
)
def list_automations() -> dict[str, list[CountedRule]]:
    return {"items": overview.counted_rules()}


@app.post(
    "/admin/automations",
    summary="Create a rule: when <event> then send <template> after <delay>",
    responses=admin(404, 415, 422, ok={201: "Created"}),
)
def create_automation(body: rules.AutomationIn) -> Response[rules.Automation]:
    return Response(201, "application/json", rules.create(body))


@app.get("/admin/automations/<automation_id>", summary="One automation rule", responses=admin(404))
def get_automation(automation_id: AutomationId) -> rules.Automation:
    return rules.load(automation_id)


@app.get(
    "/admin/automations/<automation_id>/counts",
    summary="What a rule did: runs triggered, sent, skipped, failed, and still waiting",
    responses=admin(404),
)
def get_automation_counts(automation_id: AutomationId) -> counts.Counts:
    rules.load(automation_id)  # 404 for a rule that does not exist
    return counts.of(automation_id)


@app.put(
    "/admin/automations/<automation_id>",
    summary="Replace a rule (send `version` to be refused when someone changed it meanwhile)",
    responses=admin(404, 409, 415, 422),
)
def update_automation(automation_id: AutomationId, body: rules.AutomationIn) -> rules.Automation:
    return rules.update(automation_id, body)


@app.post(
    "/admin/automations/<automation_id>/migrate",
    summary="Make a rule a one-step journey (idempotent: a migrated rule answers its journey)",
    description="The journey (`jo_` and the rule's digits) enters on the rule's event, waits its"
    " delay, sends its template; published, or stopped when the rule is disabled. The rule"
    " fires no more; its runs already due finish and its counts stay readable here.",
    responses=admin(404, 409, 422),
)
def migrate_automation(automation_id: AutomationId) -> migration.Migrated:
    return migration.migrate(automation_id)


@http.marketers_first  # before body validation: anonymous callers get 401 (test_admin_sweep)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
