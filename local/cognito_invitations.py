"""The mail Cognito sends an invited user, for `ecrm serve`.

In AWS, AdminCreateUser makes a temporary password and mails it with the pool's
`InviteMessageTemplate` (the API never sees it). moto does neither: while the local stack runs,
`invitations()` patches moto so that a user created without `MessageAction=SUPPRESS` and
without a password gets a random temporary one, as Cognito would, and the mail Cognito would
send (the template's subject and message, `{username}` and `{####}` filled in) is kept here;
the outbox collects it with SES's mails (`invitation_mails`), so an invitee finds it on the
outbox page with every other mail. moto's server runs in this process: its backend is a
plain object.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from moto.cognitoidp.models import CognitoIdpBackend

from local.cognito import random_password
from local.moto_backend import SentEmail

SENDER = "no-reply@verificationemail.com"  # Cognito's own sender when the pool names no SES
_DEFAULT_SUBJECT = "Your temporary password"
_DEFAULT_MESSAGE = "Your username is {username} and temporary password is {####}."

_lock = threading.Lock()
_mails: list[SentEmail] = []


def invitation_mails() -> list[SentEmail]:
    """Every invitation mailed since the stack started, oldest first."""
    with _lock:
        return list(_mails)


@contextmanager
def invitations() -> Iterator[None]:
    """While inside: moto's AdminCreateUser invites as Cognito does (see the module)."""
    original = CognitoIdpBackend.admin_create_user

    def admin_create_user(  # noqa: PLR0917 - moto's own signature, called positionally
        self: CognitoIdpBackend,
        user_pool_id: str,
        username: str,
        message_action: str,
        temporary_password: str,
        attributes: list[dict[str, str]],
    ) -> Any:
        mailed = message_action not in ("SUPPRESS", "RESEND") and not temporary_password
        if mailed:
            temporary_password = random_password()
        user = original(
            self, user_pool_id, username, message_action, temporary_password, attributes
        )
        if mailed:
            config = self.user_pools[user_pool_id].extended_config.get("AdminCreateUserConfig")
            template = (config or {}).get("InviteMessageTemplate") or {}
            address = user.attribute_lookup.get("email") or username
            mail = _mail(address, temporary_password, template)
            with _lock:
                _mails.append(mail)
        return user

    CognitoIdpBackend.admin_create_user = admin_create_user  # type: ignore[method-assign]
    try:
        yield
    finally:
        CognitoIdpBackend.admin_create_user = original  # type: ignore[method-assign]
        with _lock:
            _mails.clear()


def _mail(address: str, password: str, template: dict[str, str]) -> SentEmail:
    text = template.get("EmailMessage") or _DEFAULT_MESSAGE
    text = text.replace("{username}", address).replace("{####}", password)
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = address
    message["Subject"] = template.get("EmailSubject") or _DEFAULT_SUBJECT
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message.set_content(text + "\n")
    return SentEmail(f"invitation{secrets.token_hex(8)}", message.as_bytes())
