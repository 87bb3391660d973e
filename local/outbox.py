"""What SES "sent" (and the invitations Cognito mails, `local.cognito_invitations`): each
message is copied once to `<state>/outbox/` as `<n>-<message id>.eml`, so the outbox survives
restarts and can be opened in a mail client."""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from local.cognito_invitations import invitation_mails
from local.moto_backend import sent_emails

_URL = re.compile(r"https?://[^\s<>\"')\]]+")


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    number: int
    to: str
    sender: str
    subject: str
    date: str
    text: str
    html: str
    links: list[str]
    headers: list[tuple[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["from"] = document.pop("sender")
        return document


class Outbox:
    def __init__(self, folder: Path, account_id: str, region: str) -> None:
        self.folder = folder
        self.account_id = account_id
        self.region = region
        self._lock = threading.Lock()
        self._parsed: dict[str, OutboxMessage] = {}  # file name -> parsed message

    def collect(self) -> int:
        """Copy messages moto accepted since the last call; returns how many were new."""
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            files = list(self.folder.glob("*.eml"))
            known = {_message_id(f) for f in files}
            number = max((_number(f) for f in files), default=0)
            new = 0
            # SES's mails, and Cognito's invitations (local.cognito_invitations)
            for sent in [*sent_emails(self.account_id, self.region), *invitation_mails()]:
                if sent.message_id in known:
                    continue
                number += 1
                target = self.folder / f"{number:05d}-{sent.message_id}.eml"
                partial = target.with_suffix(".part")
                partial.write_bytes(sent.raw)
                partial.replace(target)  # readers never see half a message
                if sent.tags:  # the send's EmailTags: simulated SES events carry them
                    tags = target.with_name(f"{target.stem}.tags.json")
                    tags.write_text(json.dumps(sent.tags), encoding="utf-8")
                known.add(sent.message_id)
                new += 1
            return new

    def messages(self) -> list[OutboxMessage]:
        """Newest first."""
        files = sorted(self.folder.glob("*.eml"), key=_number, reverse=True)
        found = []
        for path in files:
            parsed = self._parsed.get(path.name)
            if parsed is None:
                parsed = parse(path.read_bytes(), _message_id(path), _number(path))
                self._parsed[path.name] = parsed
            found.append(parsed)
        return found

    def tags(self, message_id: str) -> dict[str, str]:
        """The EmailTags the message was sent with (`campaign`, `contact`...)."""
        for path in self.folder.glob(f"*-{message_id}.tags.json"):
            found: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
            return found
        return {}

    def message(self, message_id: str) -> OutboxMessage | None:
        return next((m for m in self.messages() if m.id == message_id), None)

    def raw(self, message_id: str) -> bytes | None:
        for path in self.folder.glob("*.eml"):
            if _message_id(path) == message_id:
                return path.read_bytes()
        return None


def parse(raw: bytes, message_id: str, number: int = 0) -> OutboxMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # the default policy builds EmailMessage
    text = _part(message, "plain")
    html = _part(message, "html")
    links = _URL.findall(text) if text else _HrefCollector.collect(html)
    return OutboxMessage(
        id=message_id,
        number=number,
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        subject=str(message.get("Subject", "")),
        date=str(message.get("Date", "")),
        text=text,
        html=html,
        links=list(dict.fromkeys(links)),  # unique, in order of appearance
        headers=[(name, str(value)) for name, value in message.items()],
    )


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_subtype() != subtype:
        return ""
    return str(body.get_content())


class _HrefCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith(("http://", "https://")):
            self.links.append(href)

    @classmethod
    def collect(cls, html: str) -> list[str]:
        collector = cls()
        collector.feed(html)
        return collector.links


def _number(path: Path) -> int:
    head = path.stem.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def _message_id(path: Path) -> str:
    return path.stem.split("-", 1)[1] if "-" in path.stem else path.stem
