"""moto's user pools share one imported RSA key (`local.moto_fast.shared_pool_key`): imported
once per process, it is the key moto would import for each pool, and its tokens verify."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from joserfc import jwk, jwt
from moto.cognitoidp.models import cognitoidp_backends
from moto.utilities.utils import load_resource

from local import moto_fast


def test_pools_share_the_key_moto_would_import_for_each(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    imported: list[Any] = []
    own_import = jwk.RSAKey.import_key
    monkeypatch.setattr(moto_fast, "_POOL_KEYS", {})
    monkeypatch.setattr(
        jwk.RSAKey, "import_key", lambda data: imported.append(1) or own_import(data)
    )
    cognito = boto3.client("cognito-idp")
    ids = [cognito.create_user_pool(PoolName=name)["UserPool"]["Id"] for name in ("a", "b")]

    pools = cognitoidp_backends["123456789012"]["us-east-1"].user_pools
    first, second = (pools[pool_id].json_web_key for pool_id in ids)
    assert len(imported) == 1 and first is second
    expected = own_import(load_resource("cognitoidp/resources/jwks-private.json"))
    assert first.as_dict(private=True) == expected.as_dict(private=True)
    token = jwt.encode({"alg": "RS256"}, {"sub": "someone"}, first)
    assert jwt.decode(token, expected).claims == {"sub": "someone"}
