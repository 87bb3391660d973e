"""`ecrm console publish --stack NAME`: the marketer console (web/console/) and its
`config.json` (the user pool, its app client, the API) into a deployed stack's web bucket under
`console/`, from the stack's outputs; objects of an earlier release that are gone are removed.
Needs AWS credentials allowed to describe the stack and write the bucket (docs/console.md)."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from cli.client import UNAVAILABLE, USAGE, CliError
from cli.commands import Commands, Context

FOLDER = Path(__file__).resolve().parents[1] / "web" / "console"
PREFIX = "console/"
API_PATH = "/v1"  # the API's stage, as CloudFront's `v1/admin/*` behaviour passes it on
NEEDED = (
    "MarketerPoolId",
    "MarketerPoolClientId",
    "WebBucketName",
    "ConsoleUrl",
    "ApiUrl",
    "EmbedScriptUrl",
)
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}


def register(commands: Commands) -> None:
    parser = commands.api(
        commands.group("console", "the marketer console"),
        "publish",
        "publish web/console/ and its config.json to a deployed stack's web bucket",
        _publish,
        description="Reads the stack's outputs (MarketerPoolId, MarketerPoolClientId, "
        "WebBucketName, ConsoleUrl), uploads the console's files under console/ with their "
        "content types, writes console/config.json, removes files of an earlier release that "
        "are gone, and prints the console's address. Uses your AWS credentials.",
    )
    parser.add_argument("--stack", required=True, help="the CloudFormation stack's name")
    parser.add_argument("--region", help="the stack's region (default: the AWS default)")
    parser.add_argument(
        "--folder", type=Path, default=FOLDER, help="the console's files (default: web/console)"
    )


def console_config(outputs: dict[str, str], region: str) -> dict[str, str]:
    """What the console reads to sign in and call the API (nothing secret)."""
    return {
        "region": region,
        "user_pool_id": outputs["MarketerPoolId"],
        "client_id": outputs["MarketerPoolClientId"],
        "cognito_endpoint": f"https://cognito-idp.{region}.amazonaws.com",
        # The console's own origin: CloudFront passes /v1/admin/* to the API (infra/template.yaml,
        # WebDistribution), so its calls need no CORS and its CSP's connect-src is 'self'.
        "api": API_PATH,
        # The Forms screen's embed snippet (and its preview draws with that script's path).
        "form_script": outputs["EmbedScriptUrl"],
        "form_api": outputs["ApiUrl"],
    }


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    [found] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
    missing = [name for name in NEEDED if not outputs.get(name)]
    if missing:
        raise CliError(
            f"the stack {stack} has no output {', '.join(missing)}: deploy this version first",
            USAGE,
            code="missing_output",
        )
    return outputs


# config.json is written from the stack; the npm files only pin vendor/ (`make console-vendor`).
_NOT_SHIPPED = frozenset({"config.json", "package.json", "package-lock.json"})


def publish(s3: Any, bucket: str, folder: Path, config: dict[str, str]) -> list[str]:
    """Upload every file of `folder` (config.json written from `config`, last), then delete
    what an earlier release left under the prefix. Returns the keys written."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in _NOT_SHIPPED)
    if not any(p.name == "index.html" for p in files):
        raise CliError(f"{folder} holds no index.html", USAGE, code="not_the_console")
    written = []
    for path in files:
        key = PREFIX + path.relative_to(folder).as_posix()
        kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=kind or "application/octet-stream",
        )
        written.append(key)
    body = json.dumps(config, indent=1).encode()
    s3.put_object(Bucket=bucket, Key=PREFIX + "config.json", Body=body, ContentType=_TYPES[".json"])
    written.append(PREFIX + "config.json")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX)
    stale = [
        o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"] not in written
    ]
    for start in range(0, len(stale), 1000):
        chunk = [{"Key": key} for key in stale[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
    return written


def _publish(ctx: Context) -> int:
    import boto3  # noqa: PLC0415 - only when publishing (fast --help)
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    args = ctx.args
    session = boto3.session.Session(region_name=args.region)
    region = session.region_name
    if not region:
        raise CliError("pass --region (the stack's AWS region)", USAGE, code="no_region")
    try:
        outputs = stack_outputs(session.client("cloudformation"), args.stack)
        config = console_config(outputs, region)
        written = publish(session.client("s3"), outputs["WebBucketName"], args.folder, config)
    except (BotoCoreError, ClientError) as error:
        raise CliError(
            f"AWS refused or did not answer: {error}", UNAVAILABLE, code="aws"
        ) from error
    ctx.out.result(
        {"url": outputs["ConsoleUrl"], "bucket": outputs["WebBucketName"], "files": written},
        f"published {len(written)} files to s3://{outputs['WebBucketName']}/{PREFIX}\n"
        f"console: {outputs['ConsoleUrl']}",
    )
    return 0
