"""`ecrm templates push DIR`: make the API's mail templates match a folder; `list`, `show`,
`preview`, `test` (send to yourself, no campaign needed) and `delete` one.

Layout: one template per `NAME.json` (`{"subject": ..., "name": ...}`, name defaults to
NAME), beside it `NAME.html` (required) and `NAME.txt` (optional: without it the text part is
derived from the HTML). NAME is the template id. A template that is not there is created; one
that differs is replaced with the version just read (a concurrent edit is a conflict, exit 4);
one that is the same is left alone, so pushing twice changes nothing the second time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cli import paths
from cli.client import USAGE, ApiError, CliError
from cli.commands import Commands, Context
from cli.output import table

TEMPLATE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
META_KEYS = {"subject", "name"}


@dataclass(frozen=True)
class LocalTemplate:
    id: str
    fields: dict[str, Any]  # name, subject, html and maybe text: the API's MailTemplateIn


def register(commands: Commands) -> None:
    group = commands.group("templates", "mail templates")
    push = commands.api(
        group,
        "push",
        "create or update the templates in a folder (unchanged ones are left alone)",
        _push,
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    push.add_argument("folder", type=Path, help="holds NAME.json + NAME.html (+ NAME.txt)")
    push.add_argument(
        "--dry-run", action="store_true", help="say what would change, change nothing"
    )
    listing = commands.api(group, "list", "mail templates, by id", _list)
    listing.add_argument("--limit", type=int, default=None, help="at most this many")
    show = commands.api(group, "show", "one template: subject, text part (--html: HTML)", _show)
    show.add_argument("id")
    show.add_argument("--html", action="store_true", help="print the HTML, not the text part")
    show.add_argument("--version", type=int, help="an earlier version (kept a year)")
    preview = commands.api(
        group,
        "preview",
        "the template rendered as a campaign would render it, for a contact or an address only",
        _preview,
    )
    preview.add_argument("id")
    whom = preview.add_mutually_exclusive_group()
    whom.add_argument("--contact", metavar="CONTACT_ID", help="personalise as this contact")
    whom.add_argument("--email", help="personalise as the contact of this address")
    preview.add_argument("--html", action="store_true", help="print the HTML, not the text")
    test = commands.api(
        group,
        "test",
        "send the template now to a few addresses ([Test] subject), as a campaign of a topic would",
        _test,
    )
    test.add_argument("id")
    test.add_argument(
        "--to", action="append", required=True, metavar="EMAIL", help="up to 5; repeat"
    )
    test.add_argument("--topic", help="whose unsubscribe link it carries (default: the first)")
    test.add_argument("--from", dest="sender", metavar="EMAIL", help="default: the stack's own")
    test.add_argument("--from-name", default="Test", help="the sender's name with --from")
    delete = commands.api(
        group, "delete", "delete a template no draft/scheduled campaign or automation uses", _delete
    )
    delete.add_argument("id")


def read_folder(folder: Path) -> list[LocalTemplate]:
    if not folder.is_dir():
        raise CliError(f"{folder} is not a folder", USAGE, code="bad_file")
    found = [_read_one(meta) for meta in sorted(folder.glob("*.json"))]
    if not found:
        raise CliError(f"no NAME.json templates in {folder}", USAGE, code="bad_file")
    return found


def _read_one(meta_path: Path) -> LocalTemplate:
    template_id = meta_path.stem
    if not TEMPLATE_ID.match(template_id):
        raise _bad(meta_path, "the file name is the id: lower case letters, digits and -")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _bad(meta_path, f"not readable JSON ({error})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("subject"), str):
        raise _bad(meta_path, 'needs {"subject": "..."} (and optionally "name")')
    if unknown := set(meta) - META_KEYS:
        raise _bad(meta_path, f"unknown keys {sorted(unknown)} (HTML and text go in files)")
    html_path, text_path = meta_path.with_suffix(".html"), meta_path.with_suffix(".txt")
    if not html_path.exists():
        raise _bad(meta_path, f"{html_path.name} is missing")
    fields: dict[str, Any] = {
        "name": meta.get("name") or template_id,
        "subject": meta["subject"],
        "html": html_path.read_text(encoding="utf-8"),
    }
    if text_path.exists():
        fields["text"] = text_path.read_text(encoding="utf-8")
    return LocalTemplate(template_id, fields)


def _bad(path: Path, problem: str) -> CliError:
    return CliError(f"{path}: {problem}", USAGE, code="bad_file")


def differs(local: LocalTemplate, stored: dict[str, Any]) -> bool:
    same = all(stored.get(key) == local.fields[key] for key in ("name", "subject", "html"))
    if "text" in local.fields:
        same = (
            same and not stored.get("text_derived") and stored.get("text") == local.fields["text"]
        )
    else:
        same = same and bool(stored.get("text_derived"))
    return not same


def push_one(ctx: Context, local: LocalTemplate, dry_run: bool) -> dict[str, Any]:
    path = f"/admin/templates/{quote(local.id, safe='')}"
    try:
        stored = ctx.api.get(path)
    except ApiError as error:
        if error.status != 404:
            raise
        stored = None
    if stored is None:
        if not dry_run:
            stored = ctx.api.post("/admin/templates", {"id": local.id, **local.fields})
        return {"id": local.id, "action": "created", "version": stored and stored["version"]}
    if not differs(local, stored):
        return {"id": local.id, "action": "unchanged", "version": stored["version"]}
    if not dry_run:
        stored = ctx.api.put(path, {**local.fields, "version": stored["version"]})
    return {"id": local.id, "action": "updated", "version": stored["version"]}


def _push(ctx: Context) -> None:
    done: list[dict[str, Any]] = []
    for local in read_folder(ctx.args.folder):
        try:
            done.append(push_one(ctx, local, ctx.args.dry_run))
        except CliError as error:
            error.message = f"template {local.id}: {error.message}"
            _report(ctx, done)
            raise
    _report(ctx, done)


def _report(ctx: Context, done: list[dict[str, Any]]) -> None:
    if not done:
        return
    prefix = "would be " if ctx.args.dry_run else ""
    rows = [(d["id"], prefix + d["action"], d["version"] or "-") for d in done]
    ctx.out.result(
        {"dry_run": ctx.args.dry_run, "templates": done},
        table(rows, ("template", "action", "version")),
    )


def _list(ctx: Context) -> None:
    found = paths.every_page(ctx.api, "/admin/templates", ctx.args.limit)
    rows = [(t["id"], t["name"], t["subject"], t["version"], t["updated_at"]) for t in found]
    human = table(rows, ("id", "name", "subject", "version", "updated")) if found else "none"
    ctx.out.result(found, human)


def _show(ctx: Context) -> None:
    found = ctx.api.get(paths.under("/admin/templates", ctx.args.id), version=ctx.args.version)
    derived = " (derived from the HTML)" if found.get("text_derived") else ""
    head = [
        f"{found['id']}  {found['name']!r}  version {found['version']}, {found['updated_at']}",
        f"subject: {found['subject']}",
        "html:" if ctx.args.html else f"text{derived}:",
    ]
    body = found["html"] if ctx.args.html else found.get("text") or ""
    ctx.out.result(found, "\n".join(head) + "\n" + body)


def _preview(ctx: Context) -> None:
    contact_id = ctx.args.contact
    if ctx.args.email:
        contact_id = ctx.api.get("/admin/contacts", email=ctx.args.email)["contact_id"]
    body = {"contact_id": contact_id} if contact_id else {}
    found = ctx.api.post(paths.under("/admin/templates", ctx.args.id, "preview"), body)
    shown = found["html"] if ctx.args.html else found["text"]
    ctx.out.result(found, f"subject: {found['subject']}\n\n{shown}")


def _test(ctx: Context) -> None:
    body: dict[str, Any] = {"to": ctx.args.to}
    if ctx.args.topic:
        body["topic"] = ctx.args.topic
    if ctx.args.sender:
        body["sender"] = {"email": ctx.args.sender, "name": ctx.args.from_name}
    sent = ctx.api.post(paths.under("/admin/templates", ctx.args.id, "test"), body)
    human = f"test sent to {', '.join(ctx.args.to)} ({len(sent['message_ids'])} mails)"
    ctx.out.result({"id": ctx.args.id, "to": ctx.args.to, **sent}, human)


def _delete(ctx: Context) -> None:
    ctx.api.delete(paths.under("/admin/templates", ctx.args.id))
    ctx.out.result({"id": ctx.args.id, "deleted": True}, f"template {ctx.args.id} deleted")
