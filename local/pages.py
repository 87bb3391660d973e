"""The local stack's own HTML pages: Swagger UI over /openapi.json, and the outbox."""

from __future__ import annotations

import importlib.util
from html import escape
from pathlib import Path

from local.outbox import OutboxMessage

SWAGGER_ASSETS = ("swagger-ui-bundle.min.js", "swagger-ui.min.css")
_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"


def swagger_assets_dir() -> Path | None:
    """Powertools ships Swagger UI's bundle: serving it works offline, unlike a CDN."""
    spec = importlib.util.find_spec("aws_lambda_powertools")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "event_handler" / "openapi" / "swagger_ui"
    return folder if all((folder / name).is_file() for name in SWAGGER_ASSETS) else None


def swagger_page() -> str:
    if swagger_assets_dir() is not None:
        script, style = (f"/_local/swagger-ui/{name}" for name in SWAGGER_ASSETS)
    else:
        script, style = f"{_CDN}/swagger-ui-bundle.js", f"{_CDN}/swagger-ui.css"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ecrm API (local)</title>
<link rel="stylesheet" href="{style}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{script}"></script>
<script>
window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true}});
</script>
</body>
</html>
"""


def outbox_page(messages: list[OutboxMessage]) -> str:
    rows = "\n".join(_outbox_row(m) for m in messages) or (
        '<tr><td colspan="5">Nothing sent yet.</td></tr>'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Outbox (local SES)</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }}
ul {{ margin: 0; padding-left: 1rem; }}
form {{ display: flex; flex-wrap: wrap; gap: .25rem; margin: 0; }}
</style>
</head>
<body>
<h1>Outbox</h1>
<p>Mail that SES (moto) accepted, newest first. <a href="/_local/outbox.json">JSON</a></p>
<table>
<thead><tr><th>To</th><th>Subject</th><th>Date</th><th>Links</th><th>SES reports</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def _outbox_row(message: OutboxMessage) -> str:
    links = "".join(f'<li><a href="{escape(url)}">{escape(url)}</a></li>' for url in message.links)
    raw = f"/_local/outbox/{escape(message.id)}.eml"
    return (
        f"<tr><td>{escape(message.to)}</td>"
        f'<td>{escape(message.subject)} <small>(<a href="{raw}">raw</a>)</small></td>'
        f"<td>{escape(message.date)}</td><td><ul>{links}</ul></td>"
        f"<td>{_event_buttons(message.id)}</td></tr>"
    )


# Simulated SES events (`POST /_local/outbox/<id>/events`): what the button says -> the kind.
SES_EVENT_BUTTONS = {
    "delivered": "delivery",
    "opened": "open",
    "clicked": "click",
    "soft bounce": "soft_bounce",
    "bounced": "bounce",
    "complaint": "complaint",
}


def _event_buttons(message_id: str) -> str:
    buttons = "".join(
        f'<button name="type" value="{kind}">{label}</button>'
        for label, kind in SES_EVENT_BUTTONS.items()
    )
    action = f"/_local/outbox/{escape(message_id)}/events"
    return f'<form method="post" action="{action}">{buttons}</form>'
