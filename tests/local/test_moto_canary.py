"""A canary for what `local/` patches in moto (and botocore's signer): every private method,
attribute and module name a patch replaces, wraps or reads still exists, with the parameters
the patch calls it with.

moto's internals change without notice between minor versions (pyproject.toml pins the tested
range); a patch over a renamed method silently stops applying, and one over a changed signature
breaks at run time, far from the cause. A failure here names the patch to revisit; the
behaviour itself is covered by the patch's own tests (tests/local/test_moto_threads.py,
test_fast_transactions.py, test_fast_item_responses.py, test_moto_dispatch.py,
test_one_record_per_update.py).
docs/design/moto.md lists the patches and why each exists.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass
from typing import Any

import boto3
import moto
import moto.backends
import moto.cognitoidp.models
import moto.core.request
import moto.core.responses
import moto.core.utils
import moto.ses.models
import pytest
from botocore.auth import SigV4Auth
from moto.core import model_instances
from moto.core.models import MockAWS
from moto.core.responses import ActionResult
from moto.dynamodb import comparisons
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_server import werkzeug_app
from moto.ses.models import SESBackend
from moto.sesv2.responses import SESV2Response
from moto.sqs.models import Queue, SQSBackend

from local.intrinsics import local_names

THREADS = "local/moto_threads.py thread_safe_moto"
IN_PROCESS = "local/moto_direct.py answered_in_process"
KEPT = "tests/isolation.py _KeptInterceptions"
TRANSACTIONS = "local/moto_backend.py fast_transactions"
ONE_RECORD = "local/moto_backend.py one_record_per_update"
UNSIGNED = "local/moto_fast.py unsigned_requests (botocore's signer)"


@dataclass(frozen=True)
class Called:
    """`owner.name` is moto's own function, its leading parameters are `leading` and it takes
    the keyword arguments `keywords`: how `patch` wraps, replaces or calls it."""

    patch: str
    owner: Any
    name: str
    leading: tuple[str, ...]
    keywords: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{getattr(self.owner, '__name__', self.owner)}.{self.name}"


@dataclass(frozen=True)
class Assigned:
    """`cls.__init__` assigns `self.<name>`, an instance attribute `patch` reads."""

    patch: str
    cls: type
    name: str

    def __str__(self) -> str:
        return f"{self.cls.__name__}().{self.name}"


CALLED = [
    Called(THREADS, DynamoHandler, "call_action", ("self",)),
    Called(UNSIGNED, SigV4Auth, "add_auth", ("self", "request")),
    Called(UNSIGNED, SigV4Auth, "_modify_request_before_signing", ("self", "request")),
    Called(UNSIGNED, SigV4Auth, "_inject_signature_to_request", ("self", "request", "signature")),
    Called(THREADS, DynamoHandler, "get_endpoint_name", ("self", "headers")),
    Called(THREADS, DynamoDBBackend, "transact_write_items", ("self", "transact_items")),
    Called(THREADS, DynamoDBStreamsBackend, "get_records", ("self",)),
    Called(THREADS, Queue, "delete_message", ("self",)),
    Called(THREADS, Queue, "add_message", ("self", "message")),
    Called(THREADS, SQSBackend, "receive_message", ("self", "queue_name")),
    Called(THREADS, SQSBackend, "get_queue", ("self", "queue_name")),
    Called(THREADS, Table, "all_items", ("self",)),
    Called(THREADS, Table, "has_idx_items", ("self", "index_name")),
    Called(THREADS, Table, "get_index", ("self", "index_name")),
    Called(TRANSACTIONS, DynamoDBBackend, "get_table", ("self", "table_name")),
    Called(TRANSACTIONS, DynamoDBBackend, "get_item", ("self", "table_name", "keys")),
    Called(
        TRANSACTIONS,
        DynamoDBBackend,
        "put_item",
        ("self", "table_name", "item_attrs"),
        ("expression_attribute_names",),
    ),
    Called(TRANSACTIONS, DynamoDBBackend, "delete_item", ("self", "table_name", "key")),
    Called(
        TRANSACTIONS,
        DynamoDBBackend,
        "update_item",
        ("self", "table_name", "key"),
        ("update_expression", "expression_attribute_names", "expression_attribute_values"),
    ),
    Called(TRANSACTIONS, comparisons, "get_filter_expression", ("expr", "names", "values")),
    Called(TRANSACTIONS, Item, "to_json", ("self",)),
    Called(TRANSACTIONS, DynamoType, "__init__", ("self", "type_as_dict")),
    Called(ONE_RECORD, DynamoDBBackend, "update_item", ("self", "table_name", "key")),
    Called(ONE_RECORD, StreamShard, "add", ("self", "old", "new")),
    Called("local/moto_backend.py keep_email_tags", SESV2Response, "send_email", ("self",)),
    Called(
        "local/moto_fast.py fast_item_responses",
        ActionResult,
        "execute_result",
        ("self", "context"),
    ),
    Called("local/moto_fast.py fast_queries", Table, "all_items", ("self",)),
    Called(  # `fast_queries` finds index_name at this place in the positional arguments
        "local/moto_fast.py fast_queries",
        Table,
        "query",
        (
            "self",
            "hash_key",
            "range_comparison",
            "range_objs",
            "limit",
            "exclusive_start_key",
            "scan_index_forward",
            "projection_expressions",
            "index_name",
        ),
    ),
    Called(
        "local/moto_fast.py fast_stream_records", DynamoDBStreamsHandler, "get_records", ("self",)
    ),
    Called(
        "local/moto_dispatch.py cached_dispatch_lookups",
        moto.backends,
        "list_of_moto_modules",
        (),
    ),
    Called(
        "local/moto_dispatch.py cached_dispatch_lookups",
        moto.core.responses,  # the name the dispatcher looks up, replaced in its module
        "method_names_from_class",
        ("clazz",),
    ),
    Called(IN_PROCESS, werkzeug_app.DomainDispatcherApplication, "__call__", ("self", "environ")),
    Called(KEPT, MockAWS, "_enable_patching", ("self", "reset")),
    Called(KEPT, MockAWS, "_disable_patching", ("self", "remove_data")),
    Called(KEPT, model_instances, "reset_model_data", ()),
    Called(IN_PROCESS, werkzeug_app, "create_backend_app", ("service",)),
    Called(IN_PROCESS, moto.core.request, "environ_key_for_header", ("header_name",)),
    Called(IN_PROCESS, moto.core.request, "should_preserve_original_header_name", ("header_name",)),
]

ASSIGNED = [
    Assigned(THREADS, Queue, "_messages_lock"),
    Assigned(THREADS, DynamoDBBackend, "tables"),
    Assigned(THREADS, Table, "items"),
    Assigned(THREADS, Table, "range_key_attr"),
    Assigned(THREADS, Table, "stream_shard"),
    Assigned(THREADS, StreamShard, "items"),
    Assigned(THREADS, StreamShard, "table"),
    Assigned(THREADS, Item, "attrs"),
    Assigned(TRANSACTIONS, Table, "hash_key_attr"),
    Assigned(ONE_RECORD, Item, "attrs"),
    Assigned("local/moto_fast.py fast_queries", Item, "hash_key"),
    Assigned("local/moto_fast.py fast_queries", Item, "range_key"),
    Assigned("local/moto_backend.py sent_emails", SESBackend, "sent_messages"),
    Assigned(
        "local/moto_backend.py forget_shard_iterator", DynamoDBStreamsBackend, "shard_iterators"
    ),
]


# Read when pytest collects this module, before any test starts a local stack: the stack's
# patches stay applied for the rest of the process, so a later read would find them.
AS_COLLECTED = {str(called): getattr(called.owner, called.name, None) for called in CALLED}


def _revisit(patch: str, what: str) -> str:
    return f"moto {moto.__version__}: {what}. Revisit {patch} (docs/design/moto.md)."


@pytest.mark.parametrize("called", CALLED, ids=str)
def test_each_moto_function_a_patch_relies_on_keeps_its_parameters(called: Called) -> None:
    function = AS_COLLECTED[str(called)]
    assert function is not None, _revisit(called.patch, f"{called} is gone")
    original = inspect.unwrap(function)  # our own wrappers keep moto's as `__wrapped__`
    assert str(getattr(original, "__module__", "")).startswith(("moto", "botocore")), _revisit(
        called.patch, f"{called} is not the library's own ({original!r}): a patch left behind?"
    )
    parameters = list(inspect.signature(original).parameters)
    assert tuple(parameters[: len(called.leading)]) == called.leading, _revisit(
        called.patch, f"{called}{inspect.signature(original)} no longer starts {called.leading}"
    )
    missing = [name for name in called.keywords if name not in parameters]
    assert not missing, _revisit(called.patch, f"{called} lost the parameters {missing}")


@pytest.mark.parametrize("assigned", ASSIGNED, ids=str)
def test_each_moto_attribute_a_patch_reads_is_still_assigned(assigned: Assigned) -> None:
    source = inspect.getsource(assigned.cls.__init__)
    assert re.search(rf"self\.{re.escape(assigned.name)}\s*[:=]", source), _revisit(
        assigned.patch, f"{assigned.cls.__qualname__}.__init__ no longer sets {assigned.name}"
    )


def test_the_action_result_still_holds_the_result_moto_serializes() -> None:
    assert isinstance(inspect.getattr_static(ActionResult, "result", None), property), _revisit(
        "local/moto_fast.py fast_item_responses", "ActionResult.result is no longer a property"
    )


# Patches that swap a name a moto module imported: the module, the name, what it calls of it
# (all the stand-in answers), the patch.
SWAPPED = [
    (moto.ses.models, "email", {"message_from_string"}, "local/moto_fast.py fast_raw_sends"),
    (moto.cognitoidp.models, "jwk", {"RSAKey.import_key"}, "local/moto_fast.py shared_pool_key"),
]


@pytest.mark.parametrize(
    ("module", "name", "calls", "patch"), SWAPPED, ids=[name for _, name, _, _ in SWAPPED]
)
def test_each_name_a_patch_swaps_in_a_moto_module_is_used_only_as_the_stand_in_answers(
    module: Any, name: str, calls: set[str], patch: str
) -> None:
    """`fast_raw_sends` swaps `email` in moto's SES module for a headers-only parser,
    `shared_pool_key` swaps `jwk` in its Cognito module for a cached key import."""
    assert vars(module).get(name) is not None, _revisit(
        patch, f"{module.__name__} no longer imports `{name}`"
    )
    uses = set(re.findall(rf"\b{name}\.([\w.]+)\(", inspect.getsource(module)))
    assert uses == calls, _revisit(
        patch, f"{module.__name__} calls {name}.{sorted(uses)}; the stand-in answers {calls}"
    )


def test_the_tests_read_of_moto_s_table_answers_as_a_scan(aws_env: dict[str, str]) -> None:
    """`tests.conftest.table_items` reads moto's `Table.items` and `Item.to_json` directly:
    every attribute type, nested ones included, comes out as a Scan gives it, in its order."""
    from ecrm.platform.store import deserialize
    from tests.conftest import moto_table, table_items

    client = boto3.client("dynamodb")
    kinds: dict[str, Any] = {
        "s": {"S": "text"},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\xffbytes"},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "m": {"M": {"l": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"b": {"B": b"\x07"}}}]}}},
    }
    for pk, sk in [("B#2", "1"), ("A#1", "2"), ("A#1", "1")]:
        item = {"pk": {"S": pk}, "sk": {"S": sk}, **kinds}
        client.put_item(TableName=aws_env["table"], Item=item)

    pages = client.get_paginator("scan").paginate(TableName=aws_env["table"])
    scanned = [deserialize(item) for page in pages for item in page["Items"]]

    assert moto_table(aws_env["table"]) is not None  # the direct read, not its fallback
    assert table_items() == scanned
    assert len(scanned) == 3


def _described(region: str) -> dict[str, Any]:
    """What the template's resources look like through the APIs the product calls."""
    client = functools.partial(boto3.client, region_name=region)
    dynamodb, sqs, s3, sesv2 = client("dynamodb"), client("sqs"), client("s3"), client("sesv2")
    tables = dynamodb.list_tables()["TableNames"]
    table = dynamodb.describe_table(TableName=tables[0])["Table"]
    urls = sorted(sqs.list_queues()["QueueUrls"])
    return {
        "tables": tables,
        "keys": table["KeySchema"],
        "indexes": sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])),
        "stream": table["StreamSpecification"],
        "ttl": dynamodb.describe_time_to_live(TableName=tables[0])["TimeToLiveDescription"],
        "queues": {url: _queue_attributes(sqs, url) for url in urls},
        "buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"]),
        "topics": client("sns").list_topics()["Topics"],
        "identities": sesv2.list_email_identities()["EmailIdentities"],
        "configuration_sets": sesv2.list_configuration_sets()["ConfigurationSets"],
        "secrets": [s["Name"] for s in client("secretsmanager").list_secrets()["SecretList"]],
        "parameters": sorted(p["Name"] for p in client("ssm").describe_parameters()["Parameters"]),
    }


def _queue_attributes(sqs: Any, url: str) -> dict[str, str]:
    """A queue's attributes but when it was made (a copy keeps the time its original has)."""
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return {k: v for k, v in found.items() if not k.endswith("Timestamp")}


def test_a_restored_world_is_the_world_the_template_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/moto_snapshot.py copies moto's backends after `create_resources` once, into each
    test's moto: what a test sees is what `create_resources` makes, and what a test writes
    stays in its own copy."""
    from local.resources import create_resources
    from tests import isolation, moto_snapshot
    from tests.conftest import TEST_ENVIRONMENT, product_template, template_world

    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    region = TEST_ENVIRONMENT["AWS_DEFAULT_REGION"]
    with isolation.moto_in_process():
        made = local_names(product_template())
        create_resources(product_template(), made)
        described = _described(region)
    with isolation.moto_in_process():
        names = moto_snapshot.restore(template_world())
        assert _described(region) == described
        table = names.refs["Table"]
        boto3.client("dynamodb").put_item(
            TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": "S"}}
        )
    with isolation.moto_in_process():
        moto_snapshot.restore(template_world())
        assert boto3.client("dynamodb").scan(TableName=table)["Items"] == []
    assert made.refs == names.refs
    # A stream's ARN ends with the time its table was made: the copy's is the snapshot's.
    assert _timeless(made.attributes) == _timeless(names.attributes)


def _timeless(attributes: dict[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
    return {
        key: value.rsplit("/", 1)[0] if key[1] == "StreamArn" else value
        for key, value in attributes.items()
    }
