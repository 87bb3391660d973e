"""Which AWS actions a function's code can call, and which its IAM statements grant.

- `code_actions`: read statically from the code a handler imports (its first-party modules,
  followed through every `import`, lazy ones inside functions included): each call of a method
  on a client from `ecrm.platform.aws` (`aws.dynamodb().get_item(...)`, or a name bound to one) is a
  botocore operation, hence an IAM action. Module granularity: a module imported is a module
  whose calls count, so this over-approximates what one invocation does.
- `call_actions`: the IAM actions of one recorded botocore call (the packaging test records
  them in the built function's process).
- `granted_actions`: the actions named by a function's inline policy statements, minus those
  Lambda itself uses with the function's role for the template's own configuration (sending a
  failed batch to its on-failure queue, polling its queue or stream).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

from local.template import Function, Template

ROOT = Path(__file__).resolve().parents[2]
CODE_ROOTS = (ROOT / "functions", ROOT / "layers" / "shared")
CLIENTS_MODULE = "ecrm.platform.aws"

# TransactWriteItems is authorised item by item: each member needs its own action.
_TRANSACT_MEMBERS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# Libraries that call AWS with clients of their own (not through ecrm.platform.aws).
_LIBRARY_ACTIONS = {
    "aws_lambda_powertools.utilities.idempotency": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    },
}
# Event types after which Lambda calls the function asynchronously (or polls for it).
ASYNC_EVENT_TYPES = {
    "SNS",
    "S3",
    "EventBridgeRule",
    "CloudWatchEvent",
    "Schedule",
    "ScheduleV2",
    "CloudWatchLogs",
    "IoTRule",
    "Cognito",
}


# --- botocore ------------------------------------------------------------------------------


@cache
def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


@cache
def _operations(service: str) -> dict[str, str]:
    """python method name -> API operation name, e.g. get_item -> GetItem."""
    return {xform_name(name): name for name in _service_model(service).operation_names}


def iam_prefix(service: str) -> str:
    """The IAM service prefix of a botocore service (sesv2 signs, and is authorised, as ses)."""
    return str(_service_model(service).signing_name)


def call_actions(service: str, operation: str, params: Mapping[str, Any] | None = None) -> set[str]:
    """IAM actions one call needs; for a transaction, one per kind of member it holds."""
    prefix = iam_prefix(service)
    if prefix == "dynamodb" and operation == "TransactWriteItems":
        members = {key for item in (params or {}).get("TransactItems", []) for key in item}
        kinds = members or set(_TRANSACT_MEMBERS)
        return {_TRANSACT_MEMBERS[kind] for kind in kinds if kind in _TRANSACT_MEMBERS}
    if prefix == "dynamodb" and operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    if prefix == "sqs" and operation in _SQS_BATCHES:
        return {f"sqs:{_SQS_BATCHES[operation]}"}
    if prefix == "s3" and operation == "HeadObject":
        return {"s3:GetObject"}  # S3 authorises HEAD with GetObject
    return {f"{prefix}:{operation}"}


# SQS authorises a batch call with the single call's action.
_SQS_BATCHES = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


# --- the code a handler imports -------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool

    def tree(self) -> ast.Module:
        return _parsed(self.path)


@cache
def _parsed(path: Path) -> ast.Module:
    """A file's syntax tree, parsed once per process: every function's closure holds most of
    the layer (callers only read it)."""
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def find_module(name: str) -> Module | None:
    """A first-party module (functions/ or the layer), or None for anything else."""
    parts = name.split(".")
    for root in CODE_ROOTS:
        base = root.joinpath(*parts)
        if (base / "__init__.py").is_file():
            return Module(name, base / "__init__.py", True)
        if base.with_suffix(".py").is_file():
            return Module(name, base.with_suffix(".py"), False)
    return None


def _imported_names(module: Module, tree: ast.Module) -> Iterator[str]:
    """Every module name an import statement anywhere in the file may load."""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            for alias in node.names:
                yield f"{base}.{alias.name}"


def import_closure(module_name: str) -> tuple[list[Module], set[str]]:
    """First-party modules reachable from `module_name` (parents included, as Python loads
    them), and every third-party module name they import."""
    seen: dict[str, Module] = {}
    external: set[str] = set()
    pending = [module_name]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        found = find_module(name)
        if found is None:
            if find_module(name.split(".")[0]) is None:
                external.add(name)
            continue
        seen[name] = found
        parent = name.rpartition(".")[0]
        if parent:
            pending.append(parent)
        pending.extend(_imported_names(found, found.tree()))
    return list(seen.values()), external


@cache
def client_factories() -> dict[str, str]:
    """`ecrm.platform.aws` function name -> the botocore service it returns a client of."""
    module = find_module(CLIENTS_MODULE)
    assert module is not None, CLIENTS_MODULE
    factories: dict[str, str] = {}
    for node in module.tree().body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in {"client", "create_client"}
                and call.args
                and isinstance(call.args[0], ast.Constant)
                and isinstance(call.args[0].value, str)
            ):
                factories[node.name] = call.args[0].value
    return factories


def _client_aliases(tree: ast.Module) -> tuple[set[str], dict[str, str]]:
    """Names under which a module refers to `ecrm.platform.aws`, and factory functions imported
    by name."""
    modules: set[str] = set()
    functions: dict[str, str] = {}
    factories = client_factories()
    package, _, leaf = CLIENTS_MODULE.rpartition(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == package:
            modules |= {a.asname or a.name for a in node.names if a.name == leaf}
        elif isinstance(node, ast.ImportFrom) and node.module == CLIENTS_MODULE:
            functions |= {
                a.asname or a.name: factories[a.name] for a in node.names if a.name in factories
            }
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == CLIENTS_MODULE and a.asname}
    return modules, functions


def _service_of(node: ast.expr, modules: set[str], functions: Mapping[str, str]) -> str | None:
    """The service when `node` is a factory call: `aws.dynamodb()` or `dynamodb()`."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in modules
    ):
        return client_factories().get(func.attr)
    if isinstance(func, ast.Name):
        return functions.get(func.id)
    return None


def client_calls(tree: ast.Module) -> set[tuple[str, str]]:
    """(service, operation) for each client method called in a module."""
    modules, functions = _client_aliases(tree)
    bound: dict[str, str] = {}  # variable name -> service, from `client = aws.sqs()`
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            service = _service_of(node.value, modules, functions)
            if service:
                bound |= {t.id: service for t in node.targets if isinstance(t, ast.Name)}
    calls: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        service = _service_of(receiver, modules, functions)
        if service is None and isinstance(receiver, ast.Name):
            service = bound.get(receiver.id)
        if service is None:
            continue
        method = node.func.attr
        # A paginator calls its operation; a presigned URL lets its holder call it as us.
        presigned = {"get_paginator", "generate_presigned_url"}
        if method in presigned and node.args and isinstance(node.args[0], ast.Constant):
            method = str(node.args[0].value)
        operation = _operations(service).get(method)
        if operation:
            calls.add((service, operation))
    return calls


def _transaction_members(trees: Iterable[ast.Module]) -> set[str]:
    """Kinds of TransactWriteItems members the code spells (`{"Put": ...}` and the like)."""
    return {
        node.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in _TRANSACT_MEMBERS
    }


def code_actions(handler_module: str) -> set[str]:
    modules, external = import_closure(handler_module)
    trees = [module.tree() for module in modules]
    members = _transaction_members(trees)
    actions: set[str] = set()
    for tree in trees:
        for service, operation in client_calls(tree):
            params = {"TransactItems": [{kind: {}} for kind in members]}
            actions |= call_actions(service, operation, params)
    for library, library_actions in _LIBRARY_ACTIONS.items():
        if any(name == library or name.startswith(library + ".") for name in external):
            actions |= library_actions
    return actions


def direct_boto3_clients(handler_module: str) -> list[str]:
    """First-party modules (other than ecrm.platform.aws) that create boto3 clients themselves: the
    static reading above would miss their calls."""
    modules, _ = import_closure(handler_module)
    offenders = []
    for module in modules:
        if module.name == CLIENTS_MODULE:
            continue
        for node in ast.walk(module.tree()):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"client", "create_client", "resource"}
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"boto3", "session"}
            ):
                offenders.append(module.name)
    return offenders


# --- the template ---------------------------------------------------------------------------


def statements(function: Function) -> list[dict[str, Any]]:
    return [
        statement
        for policy in function.properties.get("Policies", [])
        if isinstance(policy, dict)
        for statement in policy.get("Statement", [])
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def logical_id(value: Any) -> str | None:
    """`!GetAtt X.Arn`, `!Ref X` or `!Sub ${X.Arn}` -> "X"."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target.split(".")[0] if isinstance(target, str) else target[0])
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            if text.startswith("${") and "}" in text:
                return text[2:].split("}")[0].split(".")[0]
    return None


def failure_destinations(function: Function) -> set[str]:
    """Logical ids of the queues/topics where Lambda puts what this function failed on."""
    found = {
        logical
        for source in function.stream_sources
        if (logical := logical_id(source.on_failure_destination)) is not None
    }
    invoke = function.properties.get("EventInvokeConfig", {}).get("DestinationConfig", {})
    on_failure = invoke.get("OnFailure", {}).get("Destination")
    dead_letter = function.properties.get("DeadLetterQueue", {}).get("TargetArn")
    for value in (on_failure, dead_letter):
        logical = logical_id(value)
        if logical:
            found.add(logical)
    return found


def _infrastructure_grant(statement: Mapping[str, Any], action: str, function: Function) -> bool:
    """Actions Lambda performs with the function's role because of the template itself."""
    resources = {logical_id(r) for r in _as_list(statement.get("Resource"))}
    if action in {"sqs:SendMessage", "sns:Publish"}:
        return bool(resources) and resources <= failure_destinations(function)
    queues = {source.source_logical_id for source in function.queue_sources}
    if action in {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    }:
        return bool(resources) and resources <= queues
    streams = {source.source_logical_id for source in function.stream_sources}
    if action in {
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams",
    }:
        return bool(resources) and resources <= streams
    return False


def granted_actions(function: Function) -> set[str]:
    """Actions of the function's inline statements that its code must account for."""
    return {
        action
        for statement in statements(function)
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement.get("Action", []))
        if not _infrastructure_grant(statement, action, function)
    }


def all_granted_actions(function: Function) -> set[str]:
    return {
        action
        for statement in statements(function)
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement.get("Action", []))
    }


def functions(template: Template) -> list[Function]:
    return template.functions()
