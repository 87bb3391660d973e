"""The local demo tells one story: the demo page, the seeded form and profile schema, and the
mails (their sender and the topic they confirm) name the same newsletter, brand and cadence."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from html.parser import HTMLParser
from pathlib import Path

from ecrm.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FORM = json.loads((ROOT / "local" / "demo_form.json").read_text())
PROFILE = json.loads((ROOT / "local" / "demo_profile.json").read_text())


class _Texts(HTMLParser):
    """The text of the elements with these ids or classes, whitespace collapsed."""

    def __init__(self, wanted: set[str]) -> None:
        super().__init__()
        self.wanted, self.open, self.found = wanted, [], {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {dict(attrs).get("id") or "", *(dict(attrs).get("class") or "").split(), tag}
        self.open.append((tag, (names & self.wanted) or set()))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        for _, names in self.open:
            for name in names:
                self.found[name] = " ".join(f"{self.found.get(name, '')} {data}".split())


def page_texts() -> dict[str, str]:
    parser = _Texts({"brand", "intro", "h1", "title", "plain"})
    parser.feed((ROOT / "web" / "demo.html").read_text())
    return parser.found


def test_the_demo_page_names_the_form_and_the_brand_the_mails_come_from() -> None:
    texts = page_texts()
    template = (ROOT / "infra" / "template.yaml").read_text()
    parameter = re.search(
        r"TransactionalSenderName:\n(?:\s+\w+: .*\n)*?\s+Default: (\S+)", template
    )
    assert parameter is not None
    [sender] = [f.default for f in fields(Settings) if f.name == "transactional_sender_name"]
    assert texts["brand"] == sender == parameter.group(1)  # the mails' From name
    assert texts["h1"] == FORM["title"]  # the confirmation mail says "receive <form title>"
    assert FORM["title"] in texts["title"]
    plain = texts["plain"]  # the hand-written form says what the definition says
    assert FORM["consent"]["text"] in plain and FORM["submit_label"] in plain
    for field in FORM["fields"][:2]:
        assert field["label"] in plain


def test_the_topic_the_form_joins_is_described_alike_on_the_page_and_in_the_preferences() -> None:
    [topic_id] = FORM["topics"]
    [topic] = [t for t in PROFILE["topics"] if t["id"] == topic_id]
    assert topic["label"] == FORM["title"]
    cadence = topic["description"].rstrip(".")  # "Product news and guides, twice a month"
    assert cadence in page_texts()["intro"]
