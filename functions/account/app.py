"""Account function: customer self-service routes, split by resource into routers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from account import preference_center, profile, sign_in, unsubscribe
from ecrm.web import http
from ecrm.web.router import App

logger = Logger(service="account")
metrics = Metrics(namespace="ecrm", service="account")
# No CORS: the pages that call these routes are served by this API (same origin), and the
# session is a bearer token the page holds, never a cookie (so there is nothing to forge).
app = App()
http.install_error_handlers(app)
for router in (sign_in.router, profile.router, unsubscribe.router, preference_center.router):
    app.include_router(router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
