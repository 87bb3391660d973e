"""moto server's per-request lookups, cached: the same answers, and a server that still routes."""

from __future__ import annotations

import inspect
import os

import boto3
import moto
import moto.backends
import moto.core.responses
from moto.dynamodb.responses import DynamoHandler
from moto.server import ThreadedMotoServer

from local.moto_dispatch import cached_dispatch_lookups


def test_cached_lookups_answer_what_moto_computes_each_time() -> None:
    cached_dispatch_lookups()
    folder = os.path.dirname(moto.__file__)
    listed = sorted(
        name
        for name in os.listdir(folder)
        if os.path.isdir(os.path.join(folder, name)) and not name.startswith("__")
    )
    assert list(moto.backends.list_of_moto_modules()) == listed
    methods = [name for name, _ in inspect.getmembers(DynamoHandler, inspect.isfunction)]
    assert moto.core.responses.method_names_from_class(DynamoHandler) == methods


def test_a_patched_server_still_routes_each_service() -> None:
    cached_dispatch_lookups()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        options = {
            "endpoint_url": f"http://{host}:{port}",
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        assert "TableNames" in boto3.client("dynamodb", **options).list_tables()
        queue = boto3.client("sqs", **options).create_queue(QueueName="routed")
        assert queue["QueueUrl"].endswith("/routed")
    finally:
        server.stop()
