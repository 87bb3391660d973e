"""Reading the SAM template and resolving its intrinsics to local names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local import cfn_yaml
from local.intrinsics import NO_VALUE, Resolver, local_names
from local.template import Template
from tests.local.conftest import small_template


def test_functions_merge_global_and_own_settings() -> None:
    template = small_template()
    echo = next(f for f in template.functions() if f.logical_id == "EchoFunction")
    assert echo.handler_module == "echo_api.app" and echo.handler_name == "lambda_handler"
    assert set(echo.environment) == {"TABLE_NAME", "SIGNING_KEY_ARN", "BASE_URL"}
    assert (echo.memory_size, echo.timeout) == (256, 5)
    assert echo.code_dir == (Path(__file__).parent / "fake_functions").resolve()
    assert [(r.method, r.path, r.rest_api) for r in echo.api_routes][:2] == [
        ("GET", "/items/{item_id}", "Api"),
        ("POST", "/items/{item_id}", "Api"),
    ]


def test_event_sources_keep_their_mapping_settings() -> None:
    recorder = next(f for f in small_template().functions() if f.logical_id == "RecorderFunction")
    (stream,) = recorder.stream_sources
    assert stream.source_logical_id == "Table"
    assert stream.batch_size == 10 and stream.report_batch_item_failures
    assert stream.maximum_retry_attempts is None  # Lambda's default: until the record expires
    assert stream.filter_patterns == ({"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}},)
    (queue,) = recorder.queue_sources
    assert queue.source_logical_id == "Jobs" and queue.batch_size == 5


def test_intrinsics_resolve_to_local_names() -> None:
    template = small_template()
    names = local_names(template, {"PublicBaseUrl": "http://127.0.0.1:3000", "Unknown": "x"})
    resolve = Resolver(template, names).resolve
    assert resolve({"Ref": "Table"}) == "ecrm-local-Table"
    assert resolve({"Fn::GetAtt": ["Table", "Arn"]}).endswith(":table/ecrm-local-Table")
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:ecrm-local-Jobs"
    assert resolve({"Fn::GetAtt": "Jobs.Arn"}) == queue_arn
    sub = resolve({"Fn::Sub": "${AWS::Region}/${Stage}/${!Literal}"})
    assert sub == "us-east-1/test/${Literal}"
    sub = resolve({"Fn::Sub": ["${X}-${Table}", {"X": {"Ref": "Stage"}}]})
    assert sub == "test-ecrm-local-Table"
    assert resolve({"Ref": "Mail"}) == "mail-test"
    assert resolve({"Fn::If": ["HasPublicBaseUrl", {"Ref": "PublicBaseUrl"}, "no"]}) == (
        "http://127.0.0.1:3000"
    )
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}) == "a-test"
    assert resolve({"a": {"Ref": "AWS::NoValue"}, "b": 1}) == {"b": 1}
    assert resolve({"Ref": "AWS::NoValue"}) is NO_VALUE
    assert "Unknown" not in names.parameters


def test_the_product_template_resolves_every_function_environment() -> None:
    """Every variable of every function has a local value (no intrinsic left unresolved)."""
    template = Template.load()
    names = local_names(template, {"PublicBaseUrl": "http://127.0.0.1:3000"})
    resolver = Resolver(template, names)
    for function in template.functions():
        environment = resolver.resolve(dict(function.environment))
        assert all(isinstance(v, str | int | float | bool) for v in environment.values()), (
            function.logical_id,
            environment,
        )


def test_the_projects_template_reads_as_cfn_lint_reads_it() -> None:
    """`local.cfn_yaml` (libyaml with CloudFormation's tags) against cfn-lint's decoder, which the
    local stack used before (and `make lint` still runs): the same document, tag for tag."""
    from cfnlint.decode import decode_str  # the reference: cfn-lint is a dev dependency

    text = (Path(__file__).resolve().parents[2] / "infra" / "template.yaml").read_text()
    expected, problems = decode_str(text)
    assert not problems
    assert cfn_yaml.load(text) == json.loads(json.dumps(expected))


def test_short_tags_become_their_long_forms() -> None:
    text = """
    A: !Ref Table
    B: !GetAtt Table.StreamArn
    C: !GetAtt [Queue, Arn]
    D: !Sub "${AWS::StackName}-x"
    E: !If [IsProd, !Ref Domain, !Ref AWS::NoValue]
    F: !Condition IsProd
    G: !Equals [!Ref Stage, prod]
    Version: 2012-10-17
    """
    assert cfn_yaml.load(text) == {
        "A": {"Ref": "Table"},
        "B": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "C": {"Fn::GetAtt": ["Queue", "Arn"]},
        "D": {"Fn::Sub": "${AWS::StackName}-x"},
        "E": {"Fn::If": ["IsProd", {"Ref": "Domain"}, {"Ref": "AWS::NoValue"}]},
        "F": {"Condition": "IsProd"},
        "G": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "Version": "2012-10-17",  # text, as CloudFormation reads it
    }


@pytest.mark.parametrize(
    "text",
    [
        "Resources:\n  A: 1\n  A: 2\n",
        "Resources: [unclosed\n",
        "- a list\n",
        "!!python/object:os.system {}\n",
    ],
)
def test_a_template_that_is_not_a_clean_mapping_is_refused(text: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot parse template"):
        Template.from_string(text, tmp_path)
