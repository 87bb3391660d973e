"""`ecrm console publish --stack NAME` puts the console and its config.json in the stack's web
bucket from the stack's outputs (moto: a stack with those outputs and a bucket), with content
types a browser runs as modules, and removes what an earlier release left."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from cli.console import FOLDER
from cli.main import main
from tests import isolation

OUTPUTS = {
    "MarketerPoolId": "eu-west-1_Abc123",
    "MarketerPoolClientId": "client123",
    "ApiUrl": "https://api.example.com/v1",
    "WebBucketName": "web-bucket",
    "ConsoleUrl": "https://d1.cloudfront.net/console/index.html",
    "EmbedScriptUrl": "https://d1.cloudfront.net/ecrm-form.js",
}


@pytest.fixture
def deployed() -> Iterator[Any]:
    with isolation.moto_in_process():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket="web-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.put_object(Bucket="web-bucket", Key="console/old-screen.js", Body=b"old")
        s3.put_object(Bucket="web-bucket", Key="ecrm-form.js", Body=b"the embed script")
        template = {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {name: {"Value": value} for name, value in OUTPUTS.items()},
        }
        boto3.client("cloudformation", region_name="eu-west-1").create_stack(
            StackName="ecrm-prod", TemplateBody=json.dumps(template)
        )
        yield s3


def test_the_console_and_its_config_are_published_from_the_stacks_outputs(
    deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["console", "publish", "--stack", "ecrm-prod", "--region", "eu-west-1", "--json"])
    assert code == 0, capsys.readouterr().err
    result = json.loads(capsys.readouterr().out)
    assert result["url"] == OUTPUTS["ConsoleUrl"]
    keys = {o["Key"] for o in deployed.list_objects_v2(Bucket="web-bucket")["Contents"]}
    shipped = {
        f"console/{p.relative_to(FOLDER).as_posix()}"
        for p in FOLDER.rglob("*")
        if p.is_file() and not p.name.startswith("package")  # npm's pins, not the console
    }
    assert "console/vendor/highlight.js-11.12.0/core.min.js" in shipped
    assert keys == shipped | {"console/config.json", "ecrm-form.js"}  # the old screen is gone
    page = deployed.get_object(Bucket="web-bucket", Key="console/main.js")
    assert page["ContentType"] == "text/javascript; charset=utf-8"
    config = json.loads(
        deployed.get_object(Bucket="web-bucket", Key="console/config.json")["Body"].read()
    )
    assert config == {
        "region": "eu-west-1",
        "user_pool_id": "eu-west-1_Abc123",
        "client_id": "client123",
        "cognito_endpoint": "https://cognito-idp.eu-west-1.amazonaws.com",
        "api": "/v1",  # the console's own origin: CloudFront passes /v1/admin/* to the API
        "form_script": "https://d1.cloudfront.net/ecrm-form.js",  # for the embed snippet
        "form_api": "https://api.example.com/v1",
    }


def test_a_stack_without_the_outputs_is_a_usage_error(
    deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    boto3.client("cloudformation", region_name="eu-west-1").create_stack(
        StackName="older", TemplateBody=json.dumps(template)
    )
    assert main(["console", "publish", "--stack", "older", "--region", "eu-west-1"]) == 2
    assert "ConsoleUrl" in capsys.readouterr().err
    assert "console/main.js" not in str(deployed.list_objects_v2(Bucket="web-bucket"))
