"""The re-score job: applies the current ruleset to every scored contact, off the request path.

Contacts are read from the sparse stage index (`gsi1`, `STAGE#<stage>#<shard>`, never a Scan)
one page per step. The job item is the cursor (stage, shard, the page's start key) and advances
with a condition on its step number; each step ends by queueing the next one (a "kick": an SQS
message that only names the job). Any kick resumes from the cursor, so a crash, a redelivered
or a duplicated message costs at most a page read twice; re-scoring a contact is idempotent
(one already at the job's ruleset version is skipped). A newer ruleset supersedes the job.
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecrm.platform import aws, clock, keys, store
from ecrm.platform.errors import Busy, NotFound
from ecrm.platform.settings import settings
from ecrm.scoring import ledger, rulesets

RUNNING, DONE, SUPERSEDED = "running", "done", "superseded"


def _kick(job_id: str, delay: int = 0) -> None:
    queue = settings().rescore_queue_url
    if not queue:
        raise RuntimeError("RESCORE_QUEUE_URL is not set")
    try:
        aws.sqs().send_message(
            QueueUrl=queue, MessageBody=json.dumps({"job_id": job_id}), DelaySeconds=delay
        )
    except (ClientError, BotoCoreError) as error:
        raise Busy() from error


def start(created_by: str, *, now: float | None = None) -> dict[str, Any]:
    """A job for the current ruleset. The first step waits until every function's cached
    ruleset is at least this one, so no contact is scored behind the job's back."""
    now = clock.now() if now is None else now
    engine = rulesets.engine(fresh=True)
    job_id = f"rs_{secrets.token_hex(8)}"
    job = {
        **keys.rescore_job(job_id),
        "type": "rescore_job",
        "job_id": job_id,
        "ruleset_version": engine.version,
        "state": RUNNING,
        "stages": rulesets.all_stage_names(),
        "stage_index": 0,
        "shard": 0,
        "start_key": None,
        "step": 0,
        "contacts_read": 0,
        "contacts_rescored": 0,
        "created_at": clock.iso(now),
        "updated_at": clock.iso(now),
        "created_by": created_by[:200],
    }
    store.write(store.Put(job, "attribute_not_exists(pk)"))
    _kick(job_id, delay=min(900, math.ceil(settings().ruleset_cache_seconds)))
    return public(job)


def public(job: dict[str, Any]) -> dict[str, Any]:
    """The job as the API shows it, with how far it is: `partitions_done` of `partitions`
    (each stage's index shards, read in order; the contacts in each are not known ahead)."""
    hidden = {"pk", "sk", "type", "start_key"}
    partitions = len(job["stages"]) * keys.STAGE_SHARDS
    done = min(partitions, int(job["stage_index"]) * keys.STAGE_SHARDS + int(job["shard"]))
    if job["state"] != RUNNING:
        done = partitions if job["state"] == DONE else done
    shown = {k: v for k, v in job.items() if k not in hidden}
    return {**shown, "partitions": partitions, "partitions_done": done}


def get(job_id: str) -> dict[str, Any]:
    job = store.get(keys.rescore_job(job_id), consistent=False)
    if job is None:
        raise NotFound("There is no such re-score job.")
    return public(job)


def resume(job_id: str) -> dict[str, Any]:
    """Queue a step of a running job (after an outage, say); harmless if one is queued."""
    job = store.get(keys.rescore_job(job_id))
    if job is None:
        raise NotFound("There is no such re-score job.")
    if job["state"] == RUNNING:
        _kick(job_id)
    return public(job)


def _next_position(job: dict[str, Any], last_key: dict[str, Any] | None) -> tuple[int, int, Any]:
    if last_key:
        return job["stage_index"], job["shard"], json.dumps(last_key)
    if job["shard"] + 1 < keys.STAGE_SHARDS:
        return job["stage_index"], job["shard"] + 1, None
    return job["stage_index"] + 1, 0, None


def _finish(job: dict[str, Any], state: str, now: float) -> None:
    with contextlib.suppress(store.ConditionFailed):  # another step got there first
        store.write(
            store.Update(
                keys.rescore_job(job["job_id"]),
                "SET #state = :state, updated_at = :at ADD #step :one",
                condition="#step = :step",
                names={"#state": "state", "#step": "step"},
                values={":state": state, ":at": clock.iso(now), ":one": 1, ":step": job["step"]},
            )
        )


def step(job_id: str, *, now: float | None = None) -> str:
    """Re-score one page of contacts and advance the cursor; returns the job's state."""
    now = clock.now() if now is None else now
    job = store.get(keys.rescore_job(job_id))
    if job is None or job["state"] != RUNNING:
        return job["state"] if job else "missing"
    engine = rulesets.engine()
    if engine.version != job["ruleset_version"]:
        engine = rulesets.engine(fresh=True)
        if engine.version != job["ruleset_version"]:
            _finish(job, SUPERSEDED, now)
            return SUPERSEDED
    stages: list[str] = job["stages"]
    if job["stage_index"] >= len(stages):
        _finish(job, DONE, now)
        return DONE
    partition = keys.stage_members(stages[job["stage_index"]], job["shard"])
    start = json.loads(job["start_key"]) if job.get("start_key") else None
    members, last_key = store.query(
        partition, index="gsi1", limit=settings().rescore_page_size, start=start
    )
    rescored = sum(
        ledger.rescore_contact(keys.contact_id_of(m["gsi1sk"]), engine, now=now) for m in members
    )
    stage_index, shard, start_key = _next_position(job, last_key)
    cursor = "start_key = :sk, " if start_key else ""
    try:
        store.write(
            store.Update(
                keys.rescore_job(job_id),
                f"SET {cursor}stage_index = :si, #shard = :sh, updated_at = :at"
                " ADD #step :one, contacts_read :read, contacts_rescored :done"
                + ("" if start_key else " REMOVE start_key"),
                condition="#step = :step",
                names={"#shard": "shard", "#step": "step"},
                values={
                    ":si": stage_index,
                    ":sh": shard,
                    **({":sk": start_key} if start_key else {}),
                    ":at": clock.iso(now),
                    ":one": 1,
                    ":read": len(members),
                    ":done": rescored,
                    ":step": job["step"],
                },
            )
        )
    except store.ConditionFailed:
        return RUNNING  # a duplicate kick advanced the cursor; its chain goes on
    _kick(job_id)
    return RUNNING
