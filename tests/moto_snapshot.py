"""The template's resources, made once per test process and copied into each test's moto.

`local.resources.create_resources` makes about forty calls through boto3 and moto (and a
client per service) for the table, queues, buckets, topics, identities, secret and key: about
0.2 s of every test that has `aws_env`, most of some tests' time. Made once, moto's backends
that hold them are copied (`copy.deepcopy`, a few milliseconds) into the fresh moto each test
starts: each test still gets its own state, exactly what `create_resources` would have left.

moto keeps a backend per service, account and region (`moto.backends.get_backend`); the copy
replaces the fresh backend of the test's account and region (S3's are global). Locks, which
`deepcopy` cannot copy, are new locks in the copy (nothing holds one between tests). The
canary (tests/local/test_moto_canary.py) checks a restored world against a made one.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from moto.backends import get_backend
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ssm.models import ParameterDict

from local.intrinsics import LocalNames, local_names
from local.resources import create_resources
from local.template import Template

# What `create_resources` makes: the services whose backends a snapshot holds.
SERVICES = ("dynamodb", "sqs", "s3", "sns", "sesv2", "ses", "secretsmanager", "ssm")
GLOBAL = {"s3": "aws"}  # services with one backend for every region, under this key


@dataclass(frozen=True)
class Snapshot:
    names: LocalNames
    backends: dict[str, Any]  # service -> its backend for the account and region


def take(template: Template) -> Snapshot:
    """Make the template's resources in the active moto, and keep a copy of what holds them."""
    names = local_names(template)
    create_resources(template, names)
    with _copyable_locks():  # one copy of them all: SESv2's backend holds SES's, for one
        backends = copy.deepcopy({s: _backends(s)[_region(s, names)] for s in SERVICES})
    return Snapshot(copy.deepcopy(names), backends)


def restore(snapshot: Snapshot) -> LocalNames:
    """Put a copy of the snapshot's backends in the active moto (fresh: `mock_aws` reset it);
    the names `create_resources` recorded."""
    names = copy.deepcopy(snapshot.names)
    with _copyable_locks():
        for service, backend in copy.deepcopy(snapshot.backends).items():
            _backends(service)[_region(service, names)] = backend
    return names


def _backends(service: str) -> Any:
    return get_backend(service)[DEFAULT_ACCOUNT_ID]  # type: ignore[call-overload]


def _region(service: str, names: LocalNames) -> str:
    return GLOBAL.get(service, names.region)


_LOCKS = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


def _parameters(found: ParameterDict, memo: dict[int, Any]) -> ParameterDict:
    """moto's ParameterDict is a defaultdict whose constructor takes other arguments than
    the one `deepcopy` passes it."""
    copied = ParameterDict(found.account_id, found.region_name)
    memo[id(found)] = copied
    copied.__dict__.update(copy.deepcopy(found.__dict__, memo))
    for name, versions in found.items():
        copied[name] = copy.deepcopy(versions, memo)
    return copied


def _condition(found: threading.Condition, memo: dict[int, Any]) -> threading.Condition:
    """A Condition holds its lock's bound methods: copied, they would be the original's."""
    return threading.Condition(copy.deepcopy(found._lock, memo))  # type: ignore[attr-defined]


@contextmanager
def _copyable_locks() -> Iterator[None]:
    """`deepcopy` as this module needs it, for the duration of one copy (this thread's only:
    no other thread copies moto's state meanwhile)."""
    dispatch = copy._deepcopy_dispatch  # type: ignore[attr-defined]
    added: dict[type, Any] = {
        kind: (lambda found, memo, make=make: make()) for kind, make in _LOCKS.items()
    }
    added[threading.Condition] = _condition
    added[ParameterDict] = _parameters
    dispatch.update(added)
    try:
        yield
    finally:
        for kind in added:
            dispatch.pop(kind, None)
