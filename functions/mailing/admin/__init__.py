"""Marketer API (`/admin`): mail templates, segments, campaigns and the send policy, one Router
per resource.

Every route is for the `marketers` Cognito group: API Gateway's authorizer in the template, the
same check before the resolver (`http.marketers_first`, so an anonymous caller never sees a
validation answer) and as a resolver middleware (`http.marketers_only`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.web import http
from ecrm.web.router import App
from mailing.admin import campaigns, segments, settings, templates

logger = Logger(service="mailing")
metrics = Metrics(namespace="ecrm", service="mailing")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])
app.include_router(templates.router)
app.include_router(segments.router)
app.include_router(campaigns.router)
app.include_router(settings.router)


@http.marketers_first
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
