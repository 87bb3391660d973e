"""Admin API: the console's team (`/admin/team…`), from the Team screen or `ecrm team`. Admins
only: a marketer or a viewer is refused (403) whatever the method, before anything is read.
The people are Cognito users of the stack's pool, never table items
(`ecrm.team.members`); its own function because it alone may call Cognito's admin actions,
and it may touch nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ecrm.team import members
from ecrm.web import http
from ecrm.web.openapi_responses import admin
from ecrm.web.params import Path, Query
from ecrm.web.plain import lazy
from ecrm.web.router import App, Response, content_types

# The bodies' models (pydantic), imported by the routes that read one: listing the team, its
# answers plain dataclasses, imports no pydantic (docs/design/platform.md, "Cold start").
if TYPE_CHECKING:
    from account import team_models as models
else:
    models = lazy("account.team_models")

logger = Logger(service="team")
metrics = Metrics(namespace="ecrm", service="team")
app = App()
http.install_error_handlers(app)
app.use(middlewares=[http.admins_only])

# Cognito's user name in a pool whose users sign in by address: a UUID (never the address,
# which would travel in paths and logs).
UserId = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", description="id"
    ),
]
Cursor = Annotated[str | None, Query(max_length=4096, description="`next_cursor` of a page")]
EmailQuery = Annotated[
    str | None, Query(max_length=320, description="Only the user of this exact address")
]


@dataclass(frozen=True, slots=True)
class TeamMember:
    """`team_models.TeamMember`'s fields, in its order (its JSON, `ecrm.web.plain`)."""

    documented_by: ClassVar[str] = "account.team_models:TeamMember"
    id: str
    email: str
    role: str | None
    status: str
    enabled: bool
    created_at: str
    you: bool


@dataclass(frozen=True, slots=True)
class TeamPage:
    documented_by: ClassVar[str] = "account.team_models:TeamPage"
    items: list[TeamMember]
    next_cursor: str | None = None


def _caller() -> str:
    return http.marketer(app.current_event)


def _out(member: members.Member) -> TeamMember:
    return TeamMember(**member.as_json())


@app.get(
    "/admin/team",
    summary="The console's users a page at a time: address, role, invited or confirmed, "
    "enabled or disabled (`?email=`: that user only)",
    responses=admin(404, 422),
)
def list_team(cursor: Cursor = None, email: EmailQuery = None) -> TeamPage:
    if email is not None:
        return TeamPage([_out(members.get(members.valid_email(email), _caller()))])
    found, next_cursor = members.page(_caller(), cursor)
    return TeamPage([_out(m) for m in found], next_cursor)


@app.post(
    "/admin/team",
    summary="Invite a person by address with a role: Cognito mails them a temporary password "
    "(201; 200 when a retry completed an earlier invitation)",
    responses=admin(409, 415, 422, ok={201: "Invited", 200: "An earlier invitation, completed"}),
)
def invite(body: models.InviteIn) -> Response[Any]:
    member, created = members.invite(body.email, body.role, _caller())
    metrics.add_metric(name="Invitations", unit=MetricUnit.Count, value=1 if created else 0)
    return Response(201 if created else 200, content_types.APPLICATION_JSON, member.as_json())


@app.put(
    "/admin/team/<user_id>/role",
    summary="Set a user's role (exactly one group); not your own",
    responses=admin(404, 415, 422),
)
def set_role(user_id: UserId, body: models.RoleIn) -> TeamMember:
    return _out(members.set_role(user_id, body.role, _caller()))


@app.post(
    "/admin/team/<user_id>/disable",
    summary="Disable a user and sign them out everywhere; not yourself",
    responses=admin(404),
)
def disable(user_id: UserId) -> TeamMember:
    return _out(members.disable(user_id, _caller()))


@app.post("/admin/team/<user_id>/enable", summary="Enable a user again", responses=admin(404))
def enable(user_id: UserId) -> TeamMember:
    return _out(members.enable(user_id, _caller()))


@http.admins_first
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
