"""`ecrm.platform.aws_data` loads what botocore's own loader loads, with less work."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from ecrm.platform import aws, aws_data

SERVICES = ["dynamodb", "s3", "ssm", "sesv2", "sqs", "events", "cognito-idp"]


@pytest.fixture(scope="module")
def loaders() -> tuple[Loader, aws_data.DataLoader]:
    stock = botocore.session.Session().get_component("data_loader")
    return stock, aws_data.loader_like(stock)


@pytest.mark.parametrize("service", SERVICES)
def test_every_model_a_client_loads_is_the_same(
    loaders: tuple[Loader, aws_data.DataLoader], service: str
) -> None:
    stock, ours = loaders
    for type_name in ("service-2", "endpoint-rule-set-1"):
        theirs = stock.load_service_model(service, type_name)
        assert ours.load_service_model(service, type_name) == theirs
        assert type(ours.load_service_model(service, type_name)) is dict


def test_botocore_data_files_are_the_same(loaders: tuple[Loader, aws_data.DataLoader]) -> None:
    stock, ours = loaders
    for name in ("endpoints", "partitions", "sdk-default-configuration", "_retry"):
        assert ours.load_data_with_path(name) == stock.load_data_with_path(name)
    assert ours.search_paths == stock.search_paths


def test_the_list_of_services_is_botocores_when_asked_for(
    loaders: tuple[Loader, aws_data.DataLoader],
) -> None:
    stock, ours = loaders
    listed = stock.list_available_services("service-2")
    available = ours.list_available_services("service-2")
    assert all(service in available for service in SERVICES)
    assert "no-such-service" not in available and 3 not in available
    assert list(available) == listed and len(available) == len(listed)
    assert sorted(available) == listed and available[0] == listed[0]


def test_an_unknown_service_is_refused_as_botocore_refuses_it(
    loaders: tuple[Loader, aws_data.DataLoader],
) -> None:
    stock, _ = loaders
    with pytest.raises(UnknownServiceError) as refused:
        aws.session().create_client("no-such-service", region_name="eu-west-1")
    listed = ", ".join(stock.list_available_services("service-2"))
    assert str(refused.value) == (
        f"Unknown service: 'no-such-service'. Valid service names are: {listed}"
    )


def test_the_session_loads_through_the_lighter_loader() -> None:
    assert isinstance(aws.session().get_component("data_loader"), aws_data.DataLoader)
    client = aws.session().create_client(
        "ssm", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    assert client.meta.service_model.operation_model("GetParameter").name == "GetParameter"
