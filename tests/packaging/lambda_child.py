"""Run a built function's handler the way the Lambda runtime would, in a fresh interpreter.

Started by tests/packaging/built.py as `python3.13 -I -S -B lambda_child.py SPEC` (no
site-packages, no PYTHONPATH, no user site, no bytecode written): the only code it can import
is the standard library and the folders SPEC puts on sys.path, in Lambda's order: the
function's own folder (/var/task), the layer's python/ folder (/opt/python), the runtime's SDK
(boto3). So a requirement missing from the layer, or a file missing from the function, fails
here.

SPEC (JSON): sys_path, handler ("module.function"), context (attributes), events (a list),
result (a path). The result (JSON): each event's response, the botocore calls made (service,
operation, the member kinds of a transaction), the modules loaded from outside the standard
library with where they came from, and the source files compiled because no usable bytecode was
found for them. This file imports nothing from the project.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import sys
import types
import uuid
from typing import Any


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as source:
        spec = json.load(source)
    sys.path[:0] = spec["sys_path"]
    calls: list[dict[str, Any]] = []
    compiled: list[str] = []
    to_code = importlib.machinery.SourceFileLoader.source_to_code

    # Called only when an import finds no bytecode it may use for the source file.
    def record_compile(loader: Any, data: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(str(path))
        return to_code(loader, data, path, *args, **kwargs)

    importlib.machinery.SourceFileLoader.source_to_code = record_compile  # type: ignore[method-assign,assignment]

    from botocore import handlers

    # before-parameter-build sees the API parameters, once per call (retries excluded). Every
    # botocore session registers BUILTIN_HANDLERS when it is created, so the hook reaches the
    # product's clients whichever session they come from (ecrm.platform.aws has its own);
    # moto's stubber and Powertools' user agent are added the same way.
    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        members = sorted({key for item in params.get("TransactItems", []) for key in item})
        calls.append(
            {
                "service": model.service_model.service_name,
                "operation": model.name,
                "members": members,
            }
        )

    handlers.BUILTIN_HANDLERS.append(("before-parameter-build", record))
    module_name, _, function_name = spec["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), function_name)
    context = types.SimpleNamespace(
        **spec["context"],
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: spec["remaining_ms"],
    )
    responses = [handler(event, context) for event in spec["events"]]
    loaded = {
        name: getattr(module, "__file__", None)
        for name, module in list(sys.modules.items())
        if getattr(module, "__file__", None)
    }
    with open(spec["result"], "w", encoding="utf-8") as sink:
        json.dump(
            {"responses": responses, "calls": calls, "modules": loaded, "compiled": compiled},
            sink,
            default=str,
        )


if __name__ == "__main__":
    main(sys.argv[1])
