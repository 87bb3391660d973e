"""The local stand-in for the API's Cognito user-pool authorizer.

`ecrm serve` keeps bearer tokens in `<state>/admin-tokens.json`: one for an admin (group
`admins`, what `ecrm` uses locally), one for a marketer (group `marketers`) and one for a
viewer, so the 401 (no or unknown token, answered here as API Gateway would) and the 403 (wrong
group, answered by the handler from the claims) paths can all be tried locally. The tokens
survive restarts, like the rest of the state.
"""

from __future__ import annotations

import hmac
import json
import secrets
from pathlib import Path

from local.cognito_tokens import CognitoTokens, TokenRefused
from local.private import write_private

# Who each local token signs in as: the claims API Gateway would pass from a Cognito ID token.
IDENTITIES: dict[str, dict[str, str]] = {
    "admin": {
        "sub": "local-admin",
        "email": "admin@example.com",
        "cognito:username": "admin",
        "cognito:groups": "admins",
    },
    "marketer": {
        "sub": "local-marketer",
        "email": "marketer@example.com",
        "cognito:username": "marketer",
        "cognito:groups": "marketers",
    },
    "viewer": {
        "sub": "local-viewer",
        "email": "viewer@example.com",
        "cognito:username": "viewer",
        "cognito:groups": "viewers",
    },
}


class LocalAuthorizer:
    def __init__(self, state_dir: Path, cognito: CognitoTokens | None = None) -> None:
        self.cognito = cognito
        path = state_dir / "admin-tokens.json"
        known = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        # Hex, not urlsafe: a token starting with "-" is read by `ecrm --token` as an option.
        # An identity added since the file was written gets its token; the others keep theirs.
        self.tokens: dict[str, str] = {
            name: known.get(name) or secrets.token_hex(24) for name in IDENTITIES
        }
        if self.tokens != known:
            write_private(path, json.dumps(self.tokens, indent=1))

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        token = token.strip()
        for name, known in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                return dict(IDENTITIES[name])
        if self.cognito is None:
            return None
        try:
            return self.cognito.claims(token)
        except TokenRefused:
            return None
