"""Marketer API: erase a contact on its request (`DELETE /admin/contacts/{contact_id}`), from
the console's Contacts screen or `ecrm contacts erase`. Marketers and admins only (a viewer's
DELETE is refused by the guard); the body must name the contact's own address, typed
(`ecrm.account.personal_data.erase_confirmed`), else a 422 and nothing is written. Its own
function: only it, of the admin functions, may delete a contact's items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.account import personal_data
from ecrm.platform import plain
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Path
from ecrm.web.router import App

logger = Logger(service="account")
metrics = Metrics(namespace="ecrm", service="account")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.marketers_only])

# keys.contact_id_for: 15 bytes of a keyed digest in lower-case base 32
ContactId = Annotated[str, Path(pattern=r"^[a-z2-7]{24}$", description="Contact id")]
MAX_EMAIL = 320  # erasure_schema.ErasureIn's


# The body and the answer as plain values, documented by their models (erasure_schema).
@dataclass(frozen=True)
class ErasureRequest:
    documented_by: ClassVar[str] = "account.erasure_schema:ErasureIn"
    email: str

    @classmethod
    def plain(cls, value: Any) -> ErasureRequest | None:
        """Exactly `{"email": <1 to 320 characters>}`; anything else is for the model."""
        if not isinstance(value, dict) or value.keys() != {"email"}:
            return None
        email = value["email"]
        return cls(email) if plain.text(email, 1, MAX_EMAIL) else None


@dataclass(frozen=True)
class ErasureAnswer:
    documented_by: ClassVar[str] = "account.erasure_schema:Erased"
    erased: bool
    items: int


@app.delete(
    "/admin/contacts/<contact_id>",
    summary="Erase a contact on its request: every item goes but the suppression (never mailed "
    'again) and a record of when; the body {"email": <its address>} confirms',
    responses=admin(404, 415, 422),
)
def erase_contact(contact_id: ContactId, body: ErasureRequest) -> ErasureAnswer:
    items = personal_data.erase_confirmed(contact_id, body.email)
    metrics.add_metric(name="Erasures", unit=MetricUnit.Count, value=1)
    return ErasureAnswer(erased=True, items=items)


@http.marketers_first
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
