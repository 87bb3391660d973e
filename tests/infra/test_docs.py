"""docs/deploy.md stays true: it names every deploy parameter of the template and every metric
the code publishes (literal names; `SesEvent<type>` style names are documented by hand)."""

from __future__ import annotations

import ast

import pytest

from local.template import Template
from tests.conftest import ROOT

DEPLOY_DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def _metric_names() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers" / "shared").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_metric"
            ):
                for keyword in node.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        names.add(str(keyword.value.value))
    return names


@pytest.mark.parametrize("metric", sorted(_metric_names()))
def test_deploy_doc_names_every_published_metric(metric: str) -> None:
    assert f"`{metric}`" in DEPLOY_DOC, f"add {metric} to the metrics table of docs/deploy.md"


@pytest.mark.parametrize("parameter", sorted(Template.load().parameters))
def test_deploy_doc_explains_every_template_parameter(parameter: str) -> None:
    assert f"`{parameter}`" in DEPLOY_DOC, f"explain {parameter} in docs/deploy.md (Parameters)"
