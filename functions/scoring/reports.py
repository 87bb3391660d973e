"""Reports API (marketers only): trends read from the counters the trends function keeps
(`ecrm.trends.report`), never from the contacts or events themselves."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.trends import report
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Query
from ecrm.web.router import App, CORSConfig

logger = Logger(service="reports")
metrics = Metrics(namespace="ecrm", service="reports")
# The trends page may be served from another origin (the web bucket): it sends the marketer's
# token itself (no cookies), so letting any origin's script read the answer grants nothing.
app = App(
    cors=CORSConfig(allow_origin="*", allow_headers=["Authorization"]),
)
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])

Days = Annotated[int, Query(ge=1, le=report.MAX_DAYS, description="Days up to today (UTC)")]
By = Annotated[report.By, Query(description="Split sign-ups by UTM source or by form")]


@app.get(
    "/admin/reports",
    summary="Every report of the last `days` days in one read (sign-ups, funnel, scores...)",
    responses=admin(),
)
def get_summary(days: Days = 90) -> dict[str, Any]:
    return report.summary(days)


@app.get(
    "/admin/reports/signups",
    summary="Sign-ups (form submissions) per day, by UTM source or by form",
    responses=admin(),
)
def get_signups(days: Days = 90, by: By = "source") -> dict[str, Any]:
    return report.signups(days, by)


@app.get(
    "/admin/reports/funnel",
    summary="Signed up, confirmed and stages reached in the window; contacts per stage now",
    responses=admin(),
)
def get_funnel(days: Days = 90) -> dict[str, Any]:
    return report.funnel(days)


@app.get(
    "/admin/reports/scores",
    summary="Contacts per score bucket (scores as last computed)",
    responses=admin(),
)
def get_scores() -> dict[str, Any]:
    return report.scores()


@app.get(
    "/admin/reports/campaigns",
    summary="Campaign outcomes per day, and per campaign for the busiest campaigns",
    responses=admin(),
)
def get_campaigns(days: Days = 90) -> dict[str, Any]:
    return report.campaigns(days)


@http.marketers_first
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
