"""Clicks per link of a campaign (`GET /admin/campaigns/{id}/links`).

A person's click (an SES `Click` event that no link scanner made, `ecrm.mail.events`) adds one
to `keys.campaign_link(campaign, key)`, in the transaction that records the click once. The
key is a keyed hash of the link without its query and fragment, never the URL: a link the
template personalises (`?email={{ contact.email }}`, a path with an id) would otherwise put
a recipient's data on the campaign, where no erasure looks. Reading maps the keys back to
the links the campaign's template snapshot writes literally (`href="…"` with no Jinja in
it); the unsubscribe link (a token per recipient) is one key; any other link is counted
under "personalised links". Items expire with the engagement markers.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

from ecrm.mail import send_ledger
from ecrm.platform import keys, pseudonyms, store
from ecrm.platform.settings import settings

UNSUBSCRIBE = "unsubscribe"
PERSONALISED = "personalised"
_MAX_LINKS = 200  # items read back per campaign (a template's links, far fewer in practice)


def _stripped(link: str) -> str:
    parts = urlsplit(link.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def key(link: str) -> str:
    stripped = _stripped(link)
    if stripped.startswith(_stripped(settings().public_base_url).rstrip("/") + "/unsubscribe/"):
        return UNSUBSCRIBE
    return pseudonyms.of("campaign-link", stripped)[:32]


def click(campaign_id: str, link: str) -> store.Update:
    """One more click on `link` (an optional write of the click's transaction)."""
    return store.Update(
        keys.campaign_link(campaign_id, key(link)),
        "SET #type = :type, expires_at = :expires ADD clicks :one",
        names={"#type": "type"},
        values={
            ":type": "campaign_link",
            ":expires": send_ledger.expiry(send_ledger.ENGAGEMENT_DAYS),
            ":one": 1,
        },
    )


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href and "{{" not in href and "{%" not in href:
            self.found.append(href)


def literal_links(html: str) -> list[str]:
    """The links a template writes as they are (no Jinja in them), stripped, in order."""
    parser = _Hrefs()
    parser.feed(html)
    return list(dict.fromkeys(_stripped(h) for h in parser.found if h.startswith("http")))


def clicks(campaign_id: str) -> list[tuple[str, int]]:
    """(link, clicks), most clicked first: `unsubscribe`, `personalised` or a literal link."""
    items, _ = store.query(
        keys.campaign(campaign_id)["pk"], sk_prefix=keys.CAMPAIGN_LINKS, limit=_MAX_LINKS
    )
    content = store.get(keys.campaign_content(campaign_id)) or {}
    html = str((content.get("template") or {}).get("html") or "")
    named = {key(link): link for link in literal_links(html)} | {UNSUBSCRIBE: UNSUBSCRIBE}
    counted: dict[str, int] = {}
    for item in items:
        link_key = str(item["sk"]).removeprefix(keys.CAMPAIGN_LINKS)
        link = named.get(link_key, PERSONALISED)
        counted[link] = counted.get(link, 0) + int(item.get("clicks", 0))
    return sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))
