"""The local HTTP front door: the template's Api routes (each request becomes the proxy event
API Gateway would send, handed to that function's handler), plus the local stack's own pages.

Local-only routes: `/` (web/demo.html), `/web/<file>`, `/console/` (the marketer console,
`local.console_files`), `/openapi.json`, `/swagger`, and everything under `/_local/` (outbox,
health).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from local import activity
from local.authorizer import LocalAuthorizer
from local.cognito import ConsolePool
from local.console_files import COGNITO_PATH, cognito_proxy, console_response
from local.intrinsics import Resolver
from local.lambda_runtime import LambdaRuntime
from local.mail_simulator import MailSimulator
from local.outbox import Outbox
from local.outbox_page import MAIL_POLICY, PAGE_POLICY, STYLE, outbox_page
from local.pages import swagger_assets_dir, swagger_page
from local.proxy_event import (
    HttpRequest,
    HttpResponse,
    RouteMatch,
    RouteTable,
    http_response,
    json_response,
    preflight_response,
    proxy_event,
)

log = logging.getLogger(__name__)

_SIMULATE = re.compile(r"^/_local/outbox/([^/]+)/events$")
FORM = "application/x-www-form-urlencoded"
_TEXT_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css"}


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: twenty clients connecting at once overflowed
    # it and connections were reset (found by the load test, tests/security/test_load.py).
    request_queue_size = 128
    daemon_threads = True


def bind(host: str, port: int) -> ThreadingHTTPServer:
    """Listen before anything else starts: the port is part of the URLs handlers mail out."""
    return _Server((host, port), _RequestHandler)


class Gateway:
    def __init__(
        self,
        *,
        server: ThreadingHTTPServer,
        resolver: Resolver,
        runtime: LambdaRuntime,
        outbox: Outbox,
        web_dir: Path,
        openapi: Callable[[], dict[str, Any]],
        authorizer: LocalAuthorizer,
        mail: MailSimulator | None = None,
        console: ConsolePool | None = None,
    ) -> None:
        self.authorizer = authorizer
        self.console = console
        self.mail = mail
        self.resolver = resolver
        self.runtime = runtime
        self.outbox = outbox
        self.web_dir = web_dir.resolve()
        self.openapi = openapi
        self.routes = RouteTable(resolver.template.functions())
        self.server = server
        self.server.gateway = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        # Powertools keeps the request being resolved on a class attribute (`BaseRouter.
        # current_event`), one per process: two API invocations at once would swap requests.
        self._one_request_at_a_time = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def serve_in_thread(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="gateway", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() would wait forever for a loop never started
            self.server.shutdown()
            self._thread.join(5)
        self.server.server_close()

    def handle(self, request: HttpRequest) -> HttpResponse:
        local = self._local(request)
        if local is not None:
            return local
        match = self.routes.match(request.method, request.path)
        if match is not None:
            return self._invoke(request, match)
        candidates = self.routes.methods_for(request.path)
        if candidates and request.method == "OPTIONS":
            cors = self.resolver.template.api_cors(candidates[0].route.rest_api)
            return preflight_response(self.resolver.resolve(cors) if cors else None)
        if candidates:
            allowed = ", ".join(sorted({c.route.method for c in candidates}))
            refused = json_response(405, {"message": "Method Not Allowed"})
            return HttpResponse(405, [*refused.headers, ("Allow", allowed)], refused.body)
        return json_response(404, {"message": "Not Found"})

    def shown_path(self, method: str, path: str) -> str:
        """The path as the activity line shows it: a route's token parameters as `{token}`
        (confirmation and unsubscribe links carry one); the query is never shown."""
        match = self.routes.match(method, path)
        bound = match.bound if match else next(iter(self.routes.methods_for(path)), None)
        found = bound.pattern.fullmatch(path) if bound is not None else None
        if bound is None or found is None:  # any method: a preflight or 405 shows no token
            return path
        shown, end = "", 0
        for group, name in enumerate(bound.parameter_names, start=1):
            if "token" in name.lower():
                shown += path[end : found.start(group)] + "{" + name + "}"
                end = found.end(group)
        return shown + path[end:]

    def _invoke(self, request: HttpRequest, match: RouteMatch) -> HttpResponse:
        claims = None
        if match.bound.route.authorizer:  # API Gateway answers 401 before any Lambda runs
            claims = self.authorizer.claims(request.header("authorization"))
            if claims is None:
                return json_response(401, {"message": "Unauthorized"})
        stage = self._stage(match.bound.route.rest_api)
        event = proxy_event(request, match, stage, self.resolver.names.account_id, claims)
        try:
            with self._one_request_at_a_time:
                result = self.runtime.invoke(match.bound.function, event)
        except Exception:
            log.exception("%s raised", match.bound.function.logical_id)
            return json_response(502, {"message": "Internal server error"})
        return http_response(result)

    def _stage(self, rest_api: str | None) -> str:
        if rest_api is None:
            return "Prod"  # SAM's implicit API
        stage = self.resolver.template.resource(rest_api).properties.get("StageName", "Prod")
        return str(self.resolver.resolve(stage))

    def _local(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path
        if request.method == "POST":
            return self._local_post(request)
        if request.method not in ("GET", "HEAD"):
            return None
        pages: dict[str, Callable[[], HttpResponse]] = {
            "/": self._home,
            "/openapi.json": lambda: json_response(200, self.openapi()),
            "/swagger": lambda: _html(swagger_page()),
        }
        if path in pages:
            return pages[path]()
        # The console is served at /console/ only, under its own headers.
        if path.startswith("/web/") and not path.startswith("/web/console/"):
            return _static(self.web_dir, path.removeprefix("/web/"))
        if path.startswith("/_local/"):
            return self._local_tool(path.removeprefix("/_local/"), request.query)
        return console_response(path, self.web_dir / "console", self.console)  # or None

    def _local_post(self, request: HttpRequest) -> HttpResponse | None:
        simulated = _SIMULATE.match(request.path)
        if simulated:
            return self._simulate(request, simulated.group(1))
        if request.path in (COGNITO_PATH, COGNITO_PATH + "/"):
            return cognito_proxy(request, self.console)
        return None

    def _home(self) -> HttpResponse:
        demo = self.web_dir / "demo.html"
        return _file(demo) if demo.is_file() else _html(_index_page())

    def _local_tool(self, path: str, query: str = "") -> HttpResponse:
        if path == "health":
            return json_response(200, {"ok": True})
        if path.startswith("swagger-ui/"):
            folder = swagger_assets_dir()
            return _static(folder, path.removeprefix("swagger-ui/")) if folder else _not_found()
        if path.startswith("outbox"):
            self.outbox.collect()
            return self._outbox_tool(path.removeprefix("outbox"), query) or _not_found()
        return _not_found()

    def _outbox_tool(self, path: str, query: str) -> HttpResponse | None:
        """The outbox page, its stylesheet, the list as JSON, and each mail as an .eml file
        and as its HTML part (for the page's sandboxed frame, under a strict CSP of its own)."""
        if path == "":
            reported = dict(parse_qsl(query))  # after a button: which event on which mail
            messages = self.outbox.messages()
            page = outbox_page(messages, reported.get("reported"), reported.get("mail"))
            return _html(page, PAGE_POLICY)
        if path == ".css":
            return HttpResponse(200, [("Content-Type", "text/css; charset=utf-8")], STYLE.encode())
        if path == ".json":
            return json_response(200, [m.as_json() for m in self.outbox.messages()])
        message_id, dot, suffix = path.removeprefix("/").rpartition(".")
        if not path.startswith("/") or not dot:
            return None
        if suffix == "eml" and (raw := self.outbox.raw(message_id)) is not None:
            attachment = f'attachment; filename="{_safe_name(message_id)}.eml"'
            headers = [("Content-Type", "message/rfc822"), ("Content-Disposition", attachment)]
            return HttpResponse(200, headers, raw)
        found = self.outbox.message(message_id) if suffix == "html" else None
        return _html(found.html, MAIL_POLICY) if found and found.html else None

    def _simulate(self, request: HttpRequest, message_id: str) -> HttpResponse:
        """`POST /_local/outbox/<id>/events` with {"type": "open"} (JSON, or a form from the
        outbox page's buttons): SES reports that event about the message."""
        if self.mail is None:
            return _not_found()
        from_page = (request.header("content-type") or "").startswith(FORM)
        try:
            text = request.body.decode("utf-8") or "{}"
            fields = dict(parse_qsl(text)) if from_page else json.loads(text)
            kind = str(fields["type"])
            link = str(fields["link"]) if fields.get("link") else None
            scanner = fields.get("scanner") in (True, "1", "true")
        except (ValueError, KeyError, TypeError, AttributeError):
            return json_response(400, {"message": 'Send {"type": "delivery|open|click|..."}.'})
        try:
            record = self.mail.ses_event(message_id, kind, link=link, scanner=scanner)
        except KeyError:
            return json_response(404, {"message": f"No message {message_id} in the outbox."})
        except ValueError as error:
            return json_response(400, {"message": str(error)})
        if from_page:  # back to the page, at the mail, saying what was reported
            query = urlencode({"reported": kind, "mail": message_id})
            location = f"/_local/outbox?{query}#mail-{quote(message_id, safe='')}"
            return HttpResponse(303, [("Location", location)], b"")
        return json_response(202, record)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as browsers expect
    server_version = "ecrm-local"

    def _serve(self) -> None:
        started = time.monotonic()
        gateway: Gateway = self.server.gateway  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        path, _, query = self.path.partition("?")
        request = HttpRequest(
            method=self.command,
            path=path,
            query=query,
            headers=list(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
            source_ip=self.client_address[0],
            host=self.headers.get("Host", "localhost"),
        )
        shown = gateway.shown_path(self.command, path)
        try:
            response = gateway.handle(request)
        except Exception:  # a bug in a local page must not drop the connection unanswered
            log.exception("%s %s failed", self.command, shown)
            response = json_response(500, {"message": "Internal server error"})
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        activity.request(self.command, shown, response.status, started)

    # http.server dispatches on do_<METHOD>; every method takes the same path (one no route
    # has is answered 405 or 404 as API Gateway would, not http.server's 501).
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # any other method (TRACE, QUERY...)
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        """http.server's own line (client address, path with its query): `activity.request`
        writes ours instead."""


def _static(root: Path, relative: str) -> HttpResponse:
    root = root.resolve()
    target = (root / relative).resolve()
    # No path traversal: the resolved file must stay inside the served folder.
    if not target.is_relative_to(root) or not target.is_file():
        return _not_found()
    return _file(target)


def _file(path: Path) -> HttpResponse:
    content_type = _TEXT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    content_type = content_type or "application/octet-stream"
    if content_type.startswith("text/") or content_type == "application/json":
        content_type += "; charset=utf-8"
    return HttpResponse(200, [("Content-Type", content_type)], path.read_bytes())


def _html(text: str, policy: str | None = None) -> HttpResponse:
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if policy:
        headers += [
            ("Content-Security-Policy", policy),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ]
    return HttpResponse(200, headers, text.encode("utf-8"))


def _safe_name(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", message_id)[:128]


def _not_found() -> HttpResponse:
    return json_response(404, {"message": "Not Found"})


def _index_page() -> str:
    links = ["/swagger", "/openapi.json", "/_local/outbox", "/_local/outbox.json"]
    items = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    return f"<!DOCTYPE html><title>ecrm (local)</title><h1>ecrm (local)</h1><ul>{items}</ul>"
