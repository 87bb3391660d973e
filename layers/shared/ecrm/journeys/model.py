"""A journey as marketers write it (pydantic, the admin API): entry, re-entry rule, goal and a
small graph of steps, checked whole here (`check_graph`) so that a stored journey always walks:
every `next` names a step, every step is reachable from `start`, there is no cycle (an instant
chain of branches and splits always ends), and a branch asks about a send step that every path
to it has passed. Errors name the step (`steps.<index>.<field>`) for the 422's `fields`.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from ecrm.automations.rules import When
from ecrm.automations.triggers import ScoreTrigger, Trigger
from ecrm.contacts.forms import Slug
from ecrm.events.payload import NAME_PATTERN
from ecrm.mail.senders import SenderIn
from ecrm.platform.models import Model
from ecrm.segments.definitions import Condition

MAX_STEPS = 40
MAX_WAIT_MINUTES = 366 * 24 * 60
StepId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
MAX_DATE_DAYS = 366


class Strict(Model):
    model_config = ConfigDict(extra="forbid")


class SendStep(Strict):
    id: StepId
    type: Literal["send"]
    template_id: Slug
    topic: Slug = Field(description="The list the mail belongs to: consent, List-Id, unsubscribe")
    sender: SenderIn
    kind: Literal["marketing", "transactional"] = Field(
        default="marketing",
        description="marketing: topic consent, suppression, frequency cap, quiet hours;"
        " transactional: only bounce and complaint suppressions",
    )
    next: StepId | None = None


class WaitStep(Strict):
    id: StepId
    type: Literal["wait"]
    minutes: int = Field(ge=1, le=MAX_WAIT_MINUTES)
    next: StepId | None = None


class WaitUntilStep(Strict):
    """Until the contact's wall clock next shows `time` (their zone: `ecrm.mail.zones`)."""

    id: StepId
    type: Literal["wait_until"]
    time: HHMM = Field(description="HH:MM, 24-hour, in the contact's time zone")
    next: StepId | None = None


class WaitForStep(Strict):
    """Until `event` happens to the contact (then `next`), at most `timeout_minutes` (then
    `on_timeout`; null: the run ends there). The stream wakes the run (`ecrm.journeys.wake`)."""

    id: StepId
    type: Literal["wait_for"]
    event: When = Field(description="The event that wakes the run: the same shape as `entry`")
    timeout_minutes: int = Field(ge=1, le=MAX_WAIT_MINUTES)
    next: StepId | None = Field(default=None, description="Where the run goes when it happens")
    on_timeout: StepId | None = Field(default=None, description="Where it goes when it did not")


FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
FieldValue = (
    Annotated[str, StringConstraints(max_length=500)]
    | bool
    | list[Annotated[str, StringConstraints(max_length=200)]]
)


class UpdateStep(Strict):
    """Changes the contact (`ecrm.journeys.update_step`): profile or interest fields of the
    profile schema (`set`, checked against it on save), a topic left (`remove_topic`), or a
    topic a journey removed before given back (`add_topic`: never a topic the person did not
    consent to; see docs/design/journeys.md)."""

    id: StepId
    type: Literal["update"]
    set: dict[FieldName, FieldValue] | None = Field(default=None, min_length=1, max_length=10)
    add_topic: Slug | None = None
    remove_topic: Slug | None = None
    next: StepId | None = None

    @model_validator(mode="after")
    def _something(self) -> UpdateStep:
        if not (self.set or self.add_topic or self.remove_topic):
            raise ValueError("name something to change: `set`, `add_topic` or `remove_topic`")
        if self.add_topic and self.add_topic == self.remove_topic:
            raise ValueError("a step cannot add and remove the same topic")
        return self


class NotifyStep(Strict):
    """Tells other systems the contact got here (`ecrm.journeys.notices`): an event on
    EventBridge's default bus and/or a `journey.step` webhook event."""

    id: StepId
    type: Literal["notify"]
    to: list[Literal["eventbridge", "webhook"]] = Field(min_length=1, max_length=2)
    label: Annotated[str, StringConstraints(pattern=NAME_PATTERN)] | None = Field(
        default=None, description="A name receivers go by (e.g. trial-ending)"
    )
    next: StepId | None = None

    @model_validator(mode="after")
    def _distinct(self) -> NotifyStep:
        if len(set(self.to)) != len(self.to):
            raise ValueError("name each channel once")
        return self


class Engagement(Strict):
    """What a branch asks: did the contact open (or click) an earlier mail of this journey, or
    is the contact in a segment (`conditions`, as a segment's, all holding when the run gets
    there)."""

    opened: StepId | None = Field(default=None, description="An earlier send step of this journey")
    clicked: StepId | None = None
    conditions: list[Condition] | None = Field(default=None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one(self) -> Engagement:
        asked = [x for x in (self.opened, self.clicked, self.conditions) if x is not None]
        if len(asked) != 1:
            raise ValueError("ask one thing: `opened`, `clicked` (a send step) or `conditions`")
        return self


class BranchStep(Strict):
    id: StepId
    type: Literal["branch"]
    if_: Engagement = Field(alias="if")
    yes: StepId | None = None
    no: StepId | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


class Path(Strict):
    percent: int = Field(ge=0, le=100)
    next: StepId | None = Field(default=None, description="null: a holdout (the run ends here)")


class SplitStep(Strict):
    id: StepId
    type: Literal["split"]
    paths: list[Path] = Field(min_length=2, max_length=5)

    @model_validator(mode="after")
    def _hundred(self) -> SplitStep:
        if sum(p.percent for p in self.paths) != 100:
            raise ValueError("the paths' percentages must add up to 100")
        return self


class ExitStep(Strict):
    id: StepId
    type: Literal["exit"]


Step = Annotated[
    SendStep
    | WaitStep
    | WaitUntilStep
    | WaitForStep
    | UpdateStep
    | NotifyStep
    | BranchStep
    | SplitStep
    | ExitStep,
    Field(discriminator="type"),
]


class Reentry(Strict):
    mode: Literal["once", "again_after"] = "once"
    days: int | None = Field(default=None, ge=1, le=3660, description="again_after: the days")

    @model_validator(mode="after")
    def _days(self) -> Reentry:
        if (self.mode == "again_after") != (self.days is not None):
            raise ValueError("again_after needs `days`; once has none")
        return self


class JourneyWhen(When):
    """`When` of automation rules, and what only journeys have (rules refuse them):
    `score_crossed` (the score rose from below `at_least` to at or above it), and
    `campaign_opened` / `campaign_clicked` (a campaign's mail, `campaign_id` or any: once per
    recipient and campaign, never a scanner's)."""

    event: Trigger | ScoreTrigger  # type: ignore[assignment]
    at_least: float | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        allow_inf_nan=False,
        description="score_crossed: the value the score rises to or above",
    )
    campaign_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        default=None, description="campaign_opened, campaign_clicked: only this campaign"
    )

    @model_validator(mode="after")
    def _score(self) -> Self:
        if (self.event == "score_crossed") != (self.at_least is not None):
            raise ValueError("score_crossed needs `at_least`; no other event has one")
        if self.campaign_id and not self.event.startswith("campaign_"):
            raise ValueError("only campaign_opened and campaign_clicked have a `campaign_id`")
        return self


class SegmentEntry(Strict):
    """Entry by a segment: its members when the version is published enter it, and with
    `joiners` those who join it later too (`ecrm.journeys.joiners`)."""

    segment: Slug = Field(description="A saved segment (`/admin/segments`): its members enter")
    joiners: bool = Field(
        default=False,
        description="Also enter contacts who join the segment after publishing: within seconds"
        " of a change of theirs, within a day when time alone puts them in",
    )


class DateEntry(Strict):
    """Entry on a date field of the profile schema (`ecrm.journeys.date_entry`): each day at
    `time` in the send policy's zone, the contacts whose date is `days` from that day enter."""

    date_field: FieldName = Field(description="A `date` field of the profile schema")
    days: int = Field(
        ge=-MAX_DATE_DAYS,
        le=MAX_DATE_DAYS,
        description="Enter this many days after the date (before it when negative; 0: on it)",
    )
    every_year: bool = Field(
        description="true: each year on the date's day (a birthday; 29 Feb: 28 Feb in other"
        " years); false: once, on the date itself (a renewal)"
    )
    time: HHMM = Field(default="09:00", description="HH:MM in the send policy's time zone")


class JourneyIn(Strict):
    """What a marketer writes (the draft). Publishing makes it a version runs start on."""

    name: Name
    entry: JourneyWhen | SegmentEntry | DateEntry = Field(
        description="An event (`event`, as automation rules); a segment (`segment`): its"
        " members enter when the version is published (and, with `joiners`, those who join"
        " later); or a date field (`date_field`): each day, the contacts whose date is `days`"
        " away enter"
    )
    reentry: Reentry = Field(default_factory=Reentry)
    goal: JourneyWhen | None = Field(
        default=None, description="Ends a run wherever it is: a conversion"
    )
    start: StepId
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    version: int | None = Field(
        default=None, ge=1, description="On update: the version you edited (409 if it moved on)"
    )


def successors(step: Step) -> list[str]:
    if isinstance(step, SendStep | WaitStep | WaitUntilStep | UpdateStep | NotifyStep):
        return [step.next] if step.next else []
    if isinstance(step, BranchStep):
        return [s for s in (step.yes, step.no) if s]
    if isinstance(step, WaitForStep):
        return [s for s in (step.next, step.on_timeout) if s]
    if isinstance(step, SplitStep):
        return [p.next for p in step.paths if p.next]
    return []


def check_graph(body: JourneyIn) -> dict[str, str]:
    """What is wrong with the graph, by field (empty: it walks)."""
    index: dict[str, int] = {}
    problems = _references(body, index)
    if problems:
        return problems
    order = _topological(body, index)
    if order is None:
        return {"steps": "The steps go round in a circle; a journey only goes forward."}
    reached = set(order)
    for n, step in enumerate(body.steps):
        if step.id not in reached:
            problems[f"steps.{n}"] = "No path from start reaches this step."
    problems |= _branches_follow_sends(body, index, order)
    return problems


def _references(body: JourneyIn, index: dict[str, int]) -> dict[str, str]:
    """Ids unique, `start` and every `next` naming a step (fills `index`: id -> position)."""
    problems: dict[str, str] = {}
    for n, step in enumerate(body.steps):
        if step.id in index:
            problems[f"steps.{n}.id"] = "Two steps have this id."
        index.setdefault(step.id, n)
    if body.start not in index:
        problems["start"] = "No step has this id."
    for n, step in enumerate(body.steps):
        for target in successors(step):
            if target not in index:
                problems[f"steps.{n}"] = f"No step has the id {target}."
    return problems


def _topological(body: JourneyIn, index: dict[str, int]) -> list[str] | None:
    """The steps reachable from start, each after every step leading to it (None: a cycle)."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    stack: list[tuple[str, int]] = [(body.start, 0)]
    state[body.start] = 1
    while stack:
        at, child = stack.pop()
        nexts = successors(body.steps[index[at]])
        if child < len(nexts):
            stack.append((at, child + 1))
            target = nexts[child]
            if state.get(target) == 1:
                return None
            if target not in state:
                state[target] = 1
                stack.append((target, 0))
            continue
        state[at] = 2
        order.append(at)
    return order[::-1]


def _branches_follow_sends(
    body: JourneyIn, index: dict[str, int], order: list[str]
) -> dict[str, str]:
    """A branch on a send step's mail needs that send on every path to it."""
    before: dict[str, set[str] | None] = {s: None for s in order}  # sends passed on every path
    before[body.start] = set()
    problems = {}
    for at in order:
        step = body.steps[index[at]]
        passed = before[at] or set()
        if isinstance(step, BranchStep) and not step.if_.conditions:
            asked = step.if_.opened or step.if_.clicked
            asked_step = body.steps[index[asked]] if asked in index else None
            if not isinstance(asked_step, SendStep) or asked not in passed:
                problems[f"steps.{index[at]}.if"] = "Name a send step that comes before."
        after = passed | ({at} if isinstance(step, SendStep) else set())
        for target in successors(step):
            known = before[target]
            before[target] = set(after) if known is None else known & after
    return problems
