"""The local outbox page (`/_local/outbox`): one card per mail that fits a phone, its HTML part
in a sandboxed frame served by a route of its own (`/_local/outbox/<id>.html`, a strict CSP of
its own), its text part and headers on demand, short labels for its links, and a button per SES
event the CLI simulates (`ecrm outbox event`). Everything a mail says is escaped: a subject is
text, never markup."""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlsplit

from local.mail_simulator import KINDS
from local.outbox import OutboxMessage

# The page runs no script and loads only its own stylesheet and the frames of this server.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# A mail's HTML: no script, no fetch, no form, no navigation out of its frame (the `sandbox`
# directive holds even when the URL is opened directly); its inline styles and inline images
# show. Remote images stay out: locally they would reach the internet (and track) for nothing.
MAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
)

# What each button says, per kind `local.mail_simulator.KINDS` knows (the CLI's choices).
EVENT_LABELS = {
    "delivery": "Delivered",
    "open": "Opened",
    "click": "Clicked",
    "soft_bounce": "Soft bounce",
    "bounce": "Bounced",
    "complaint": "Complaint",
    "reject": "Rejected",
}

_LONG = 20  # a path segment longer than this is a token or an id: elided in labels

STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 64rem;
  color: #1d2430; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; margin: .5rem 0; }
h2 { font-size: 1.15rem; margin: 0 0 .25rem; }
a { color: #1f4bc4; }
a:focus-visible, button:focus-visible, summary:focus-visible, select:focus-visible,
input:focus-visible { outline: 3px solid #b8860b; outline-offset: 2px; }
.mail { border: 1px solid #c9cfdb; border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
.meta { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0 .75rem;
  margin: 0 0 .75rem; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; }
.links { margin: 0 0 .75rem; padding-left: 1.25rem; }
.preview { display: block; width: 100%; height: 22rem; border: 1px solid #c9cfdb;
  border-radius: .25rem; background: #fff; resize: vertical; }
details { margin: .5rem 0; }
summary { cursor: pointer; font-weight: 600; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f5f9; padding: .75rem;
  margin: .5rem 0 0; border-radius: .25rem; font-size: .9rem; }
.headers { display: grid; grid-template-columns: minmax(0, max-content) minmax(0, 1fr);
  gap: 0 .75rem; font-size: .9rem; margin: .5rem 0 0; }
.headers dt { font-weight: 600; }
.headers dd { margin: 0; }
form.events fieldset { border: 0; padding: 0; margin: .75rem 0 0; min-width: 0; }
form.events legend { font-weight: 600; padding: 0; }
.buttons { display: flex; flex-wrap: wrap; gap: .4rem; margin-top: .4rem; }
.options { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; }
select { max-width: 100%; font: inherit; }
button { font: inherit; padding: .35rem .8rem; border: 1px solid #1f4bc4; border-radius: .3rem;
  background: #fff; color: #1f4bc4; cursor: pointer; }
button:hover { background: #eef2fc; }
.status { background: #e7f4ea; border-left: 4px solid #2a7a3b; padding: .5rem .75rem; }
"""


def outbox_page(
    messages: list[OutboxMessage], reported: str | None = None, mail: str | None = None
) -> str:
    """`reported` and `mail` (from the query after a button) name the event just simulated:
    said only for a known kind and a listed mail, and escaped like the rest."""
    cards = "\n".join(_card(m) for m in messages) or "<p>Nothing sent yet.</p>"
    subject = next((m.subject or "(no subject)" for m in messages if m.id == mail), None)
    status = ""
    if reported in EVENT_LABELS and subject is not None:
        said = f"Simulated “{EVENT_LABELS[reported]}” for {escape(subject)}."
        status = f'<p class="status" role="status">{said}</p>'
    else:
        status = '<p class="status" role="status" hidden></p>'

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox (local SES)</title>
<link rel="stylesheet" href="/_local/outbox.css">
</head>
<body>
<main>
<h1>Outbox</h1>
<p>Mail that SES (moto) accepted, newest first ({len(messages)}).
<a href="/_local/outbox.json">As JSON</a></p>
{status}
{cards}
</main>
</body>
</html>
"""


def short_label(url: str) -> str:
    """A link as a person reads it: host and path, with tokens and queries elided
    (`127.0.0.1:3000/confirm/…`)."""
    parts = urlsplit(url)
    segments = [s if len(s) <= _LONG else "…" for s in parts.path.split("/") if s]
    label = "/".join([parts.netloc, *segments]) or url[:40]
    if parts.query:
        label += "?…"
    if parts.fragment:
        name = parts.fragment.partition("=")[0]
        label += f"#{name}=…" if "=" in parts.fragment and len(name) <= _LONG else "#…"
    return label


def _card(message: OutboxMessage) -> str:
    ident = quote(message.id, safe="")
    heading = f"mail-{escape(ident)}"
    subject = escape(message.subject) or "(no subject)"
    return f"""<article class="mail" aria-labelledby="{heading}">
<h2 id="{heading}">{subject}</h2>
<dl class="meta">{_meta(message)}</dl>
{_links(message.links)}
{_preview(message, ident, subject)}
{_text(message.text)}
<details><summary>Headers</summary>{_headers(message.headers)}</details>
<p><a href="/_local/outbox/{escape(ident)}.eml" download>Download the .eml</a></p>
{_event_form(message, ident)}
</article>"""


def _meta(message: OutboxMessage) -> str:
    said = (("To", message.to), ("From", message.sender), ("Date", message.date))
    return "".join(f"<dt>{name}</dt><dd>{escape(value)}</dd>" for name, value in said if value)


def _links(links: list[str]) -> str:
    if not links:
        return ""
    items = "".join(
        f'<li><a href="{escape(url)}" title="{escape(url)}">{escape(short_label(url))}</a></li>'
        for url in links
    )
    return f'<ul class="links" aria-label="Links in this mail">{items}</ul>'


def _preview(message: OutboxMessage, ident: str, subject: str) -> str:
    if not message.html:
        return ""
    source = f"/_local/outbox/{escape(ident)}.html"
    return (
        f'<iframe class="preview" src="{source}" sandbox="" loading="lazy" '
        f'referrerpolicy="no-referrer" title="HTML part of {subject}"></iframe>'
    )


def _text(text: str) -> str:
    if not text:
        return ""
    return f"<details><summary>Text part</summary><pre>{escape(text)}</pre></details>"


def _headers(headers: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in headers)
    return f'<dl class="headers">{rows}</dl>'


def _event_form(message: OutboxMessage, ident: str) -> str:
    """Simulated SES events (`POST /_local/outbox/<id>/events`), as `ecrm outbox event` offers
    them: every kind, the link a click is on, and whether a link scanner (not a person) did it."""
    buttons = "".join(
        f'<button name="type" value="{kind}">{EVENT_LABELS.get(kind, kind)}</button>'
        for kind in KINDS
    )
    link_choice = ""
    if message.links:
        options = "".join(
            f'<option value="{escape(url)}">{escape(short_label(url))}</option>'
            for url in message.links
        )
        link_choice = f'<label>Link clicked <select name="link">{options}</select></label>'
    return f"""<form class="events" method="post" action="/_local/outbox/{escape(ident)}/events">
<fieldset><legend>Simulate what SES reports</legend>
<div class="options">{link_choice}
<label><input type="checkbox" name="scanner" value="1"> by a link scanner</label></div>
<div class="buttons">{buttons}</div>
</fieldset>
</form>"""
