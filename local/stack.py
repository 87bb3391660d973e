"""The whole local stack in this process: moto's server, the template's resources, the HTTP
gateway, the event source pumps, the outbox and the snapshots of local data.

moto keeps its state in module globals, so one EmbeddedStack runs per process at a time, and not
alongside `mock_aws` (which resets the same globals).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer

from local import clients
from local.activity import QUIET_FUNCTIONS
from local.authorizer import LocalAuthorizer
from local.clock import SkewedClock
from local.cognito import ConsolePool, add_console_users, create_pool
from local.cognito_invitations import invitations
from local.cognito_tokens import CognitoTokens
from local.event_sources import build_pumps
from local.gateway import Gateway, bind
from local.intrinsics import LocalNames, Resolver, local_names
from local.lambda_runtime import (
    LambdaRuntime,
    add_code_paths,
    apply_environment,
    functions_environment,
    local_aws_environment,
    restore_environment,
)
from local.mail_simulator import MailSimulator
from local.moto_backend import keep_email_tags
from local.moto_direct import answered_in_process
from local.moto_dispatch import cached_dispatch_lookups
from local.moto_fast import fast_moto
from local.moto_threads import thread_safe_moto
from local.openapi import merged_openapi
from local.outbox import Outbox
from local.private import private_dir, write_private
from local.pump import Pump
from local.resources import (
    create_resources,
    generate_key,
    generate_secret_string,
    secure_parameters,
)
from local.snapshot import TableSnapshots
from local.template import DEFAULT_TEMPLATE, REPO_ROOT, Template

log = logging.getLogger(__name__)

DEMO_FORM = Path(__file__).resolve().parent / "demo_form.json"
DEMO_PROFILE = Path(__file__).resolve().parent / "demo_profile.json"  # preference center fields
# Locally an edit is live at once: functions keep no copy of a definition or ruleset (in AWS
# they do, for DEFINITION_CACHE_SECONDS and RULESET_CACHE_SECONDS; see docs/cli.md).
LIVE_AT_ONCE = {"DEFINITION_CACHE_SECONDS": "0", "RULESET_CACHE_SECONDS": "0"}
SNAPSHOT_EVERY = 2.0  # seconds
OUTBOX_EVERY = 0.5


class EmbeddedStack:
    """`ecrm serve` embedded in this process: moto's server, the gateway and the pumps on
    threads of their own (not the LocalStack product: nothing here runs in a container)."""

    def __init__(
        self,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        fresh: bool = False,
        *,
        moto_port: int = 0,
        template_path: Path = DEFAULT_TEMPLATE,
        web_dir: Path = REPO_ROOT / "web",
        demo_form: Path | None = DEMO_FORM,
        schedule_every: float | None = None,
        keep_state: bool = True,
        quiet_function_logs: bool = False,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.host, self.port, self.fresh = host, port, fresh
        self.moto_port = moto_port
        self.template_path, self.web_dir, self.demo_form = template_path, web_dir, demo_form
        # Seconds between schedule ticks (None: each schedule's own rate, e.g. a minute).
        self.schedule_every = schedule_every
        # Snapshots of the table (every SNAPSHOT_EVERY s and on stop) let data survive a
        # restart. Each is a full Scan through moto's one-request-at-a-time server: a test
        # stack that is never restarted passes False (with 20,000 items, the scans every 2 s
        # starved an import and its stop took minutes).
        self.keep_state = keep_state
        # `ecrm serve`'s human logs: the functions' Powertools lines only for warnings, short.
        self.quiet_function_logs = quiet_function_logs
        self.api_url = self.moto_url = ""
        self.names: LocalNames | None = None
        self.template: Template | None = None
        self._moto: ThreadedMotoServer | None = None
        self._server: ThreadingHTTPServer | None = None
        self._gateway: Gateway | None = None
        self._pumps: list[Pump] = []
        self._outbox: Outbox | None = None
        self._snapshots: TableSnapshots | None = None
        self._previous_env: dict[str, str | None] = {}
        self._stop_housekeeping = threading.Event()
        self._housekeeping: threading.Thread | None = None
        self.authorizer: LocalAuthorizer | None = None
        self.console_pool: ConsolePool | None = None  # the template's user pool, in moto
        self._mail: MailSimulator | None = None
        self._patches = ExitStack()  # moto patches held while this stack runs
        self.clock = SkewedClock()  # `advance_clock`: waits fall due without waiting

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> EmbeddedStack:
        try:
            self._start()
        except BaseException:
            self.stop()  # whatever did start (moto's thread, the socket) must not linger
            raise
        return self

    def _start(self) -> None:
        if self.fresh and self.state_dir.exists():
            shutil.rmtree(self.state_dir)
        private_dir(self.state_dir)
        template = self.template = Template.load(self.template_path)
        self._start_moto()
        server = self._server = bind(self.host, self.port)  # its port is in PUBLIC_BASE_URL
        self.api_url = f"http://{self.host}:{server.server_address[1]}"
        overrides = {"PublicBaseUrl": self.api_url}
        names = self.names = local_names(template, overrides)
        self._set_environment(local_aws_environment(self.moto_url, names.region))
        create_resources(template, names, self._secret_values(template, names), self.moto_url)
        self._create_console_pool(template, names)
        environment = {**functions_environment(template, names), "PUBLIC_BASE_URL": self.api_url}
        # moto has no SES v2 GetAccount: the local stand-in for the account's max send rate.
        environment.setdefault("MAX_SEND_RATE", os.environ.get("MAX_SEND_RATE") or "50")
        environment |= LIVE_AT_ONCE
        if self.quiet_function_logs:
            environment |= QUIET_FUNCTIONS
        environment |= local_aws_environment(self.moto_url, names.region)
        self._set_environment(environment)
        add_code_paths(template)
        _forget_cached_configuration()
        self._restore_and_seed(template, names)
        resolver = Resolver(template, names)
        runtime = LambdaRuntime(template, names, quiet_logs=self.quiet_function_logs)
        # Pumps take their LATEST iterators only now: restored and seeded items are not replayed.
        self._pumps = build_pumps(
            resolver, runtime, self.moto_url, schedule_every=self.schedule_every
        )
        for pump in self._pumps:
            pump.start()
        self._outbox = Outbox(self.state_dir / "outbox", names.account_id, names.region)
        self._mail = MailSimulator(resolver, runtime, self._outbox, self._moto_client)
        pool = self.console_pool
        authorizer = self.authorizer = LocalAuthorizer(
            self.state_dir, CognitoTokens(pool) if pool else None
        )
        self._gateway = _gateway(
            server,
            resolver,
            runtime,
            outbox=self._outbox,
            web_dir=self.web_dir,
            authorizer=authorizer,
            mail=self._mail,
            console=pool,
        )
        self._start_housekeeping()
        self._gateway.serve_in_thread()
        self._write_endpoint(environment)

    def stop(self) -> None:
        if self._gateway is not None:
            self._gateway.stop()
        elif self._server is not None:
            self._server.server_close()
        for pump in self._pumps:
            pump.stop()
        self._stop_housekeeping.set()
        if self._housekeeping is not None:
            self._housekeeping.join(5)
        self._save()
        if self._moto is not None:
            self._moto.stop()
        self._patches.close()
        restore_environment(self._previous_env)
        self._previous_env = {}
        self._gateway = self._moto = self._server = None
        self._pumps = []

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- what tests use ------------------------------------------------------------------
    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every pump has delivered and settled every record written so far, including
        those that handlers wrote while the others drained. The timeout only bounds a failure
        (a record that keeps failing): generous, for a machine whose cores are busy."""
        deadline = _deadline(timeout)
        while True:
            before = sum(pump.delivered for pump in self._pumps)
            # Every pump woken at once, then each awaited (draining them one at a time waited
            # out each pump's idle rest in turn).
            targets = [pump.wake_for_drain() for pump in self._pumps]
            for pump, target in zip(self._pumps, targets, strict=True):
                pump.settled_since(target, max(0.001, deadline()))
            if sum(pump.delivered for pump in self._pumps) == before:
                break
        if self._outbox is not None:
            self._outbox.collect()

    def outbox(self) -> list[dict[str, Any]]:
        """Parsed outbox, newest first: {id, to, from, subject, date, text, html, links}."""
        if self._outbox is None:
            return []
        self._outbox.collect()
        return [message.as_json() for message in self._outbox.messages()]

    def simulate_ses_event(
        self, message_id: str, kind: str, *, link: str | None = None, scanner: bool = False
    ) -> dict[str, Any]:
        """SES reports `kind` (delivery, bounce, soft_bounce, complaint, open, click, reject)
        about an outbox message: the record is published to the configuration set's topic and
        the subscribed functions have run when this returns. Returns the SES record."""
        assert self._mail is not None, "start() first"
        if self._outbox is not None:
            self._outbox.collect()
        return self._mail.ses_event(message_id, kind, link=link, scanner=scanner)

    def advance_clock(self, seconds: float) -> None:
        """Move the stack's clock forward (test and demo only, `local.clock`): journey waits,
        automation delays and scheduled campaigns fall due; the next tick runs them."""
        self.clock.advance(seconds)

    def receive_mail(self, recipient: str, subject: str, sender: str = "ann@example.com") -> int:
        """A mail arrives at SES: the matching receipt rules' functions run (e.g. the
        `mailto:` unsubscribe). Returns how many ran successfully."""
        assert self._mail is not None, "start() first"
        return self._mail.receive_mail(recipient, subject, sender)

    @property
    def table_name(self) -> str:
        assert self.names is not None and self.template is not None, "start() first"
        first = next(self.template.resources("AWS::DynamoDB::Table"))
        return self.names.refs[first.logical_id]

    # --- pieces --------------------------------------------------------------------------
    def _start_moto(self) -> None:
        thread_safe_moto()  # requests arrive on threads: each runs alone, as AWS's do
        cached_dispatch_lookups()
        keep_email_tags()
        # moto copies the whole table for every item of a transaction, sorts it for every
        # Query and serializes every answer shape by shape: a long-running `ecrm serve` (or a
        # 5,000-row import) slows down as the table grows. Same answers, cheaper (moto_fast).
        self._patches.enter_context(fast_moto())
        self._patches.enter_context(self.clock)
        self._patches.enter_context(invitations())  # Cognito's invitation mail, to the outbox
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        # This process's own calls (functions, pumps) skip the socket: same app, same answers.
        app = DomainDispatcherApplication(create_backend_app)
        self._patches.enter_context(answered_in_process(app, self.moto_url))
        # moto's state is process-wide: a stack started earlier in this process left its own.
        reset = urllib.request.Request(  # noqa: S310 - our own loopback server
            f"{self.moto_url}/moto-api/reset", method="POST"
        )
        with urllib.request.urlopen(reset, timeout=10):  # noqa: S310
            pass

    def _create_console_pool(self, template: Template, names: LocalNames) -> None:
        """The template's user pool in moto, with an admin, a marketer and a viewer whose sign-in
        details go to `<state>/console-users.json` (the banner names the file)."""
        made = clients.factory(names.region, self.moto_url)
        self.console_pool = create_pool(template, names, made, self.moto_url)
        if self.console_pool is not None:
            add_console_users(self.console_pool, made, self.state_dir)

    def _moto_client(self, service: str) -> Any:
        assert self.names is not None
        return clients.client(service, self.names.region, self.moto_url)

    def _set_environment(self, values: dict[str, str]) -> None:
        for key, before in apply_environment(values).items():
            self._previous_env.setdefault(key, before)  # the value from before start()

    def _secret_values(self, template: Template, names: LocalNames) -> dict[str, str]:
        """Secrets are generated once and kept in the state folder: tokens mailed before a
        restart still verify after it."""
        path = self.state_dir / "secrets.json"
        values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        resolver = Resolver(template, names)
        for secret in template.resources("AWS::SecretsManager::Secret"):
            if secret.logical_id not in values:
                props = resolver.resolve(dict(secret.properties))
                values[secret.logical_id] = props.get("SecretString") or generate_secret_string(
                    props.get("GenerateSecretString", {})
                )
        for parameter in secure_parameters(template):
            values.setdefault(parameter, generate_key())
        write_private(path, json.dumps(values, indent=1))
        return values

    def _restore_and_seed(self, template: Template, names: LocalNames) -> None:
        tables = {
            t.logical_id: names.refs[t.logical_id]
            for t in template.resources("AWS::DynamoDB::Table")
        }
        dynamodb = clients.client("dynamodb", names.region, self.moto_url)
        self._snapshots = TableSnapshots(self.state_dir / "table.json", dynamodb, tables)
        restored = self._snapshots.restore()
        if restored:
            log.info("restored %d items from %s", restored, self._snapshots.path)
        if self.demo_form is not None and self.demo_form.is_file():
            # Only what is missing: a restart keeps the user's own form and schema.
            # The demo page embeds the form: the stack's own address, whatever its port.
            demo = {"site_url": f"{self.api_url}/"} | json.loads(self.demo_form.read_text("utf-8"))
            seed_form(demo, replace=False)
            seed_profile_schema(json.loads(DEMO_PROFILE.read_text(encoding="utf-8")), replace=False)

    def _start_housekeeping(self) -> None:
        def run() -> None:
            ticks = 0
            while not self._stop_housekeeping.wait(OUTBOX_EVERY):
                ticks += 1
                try:
                    if self._outbox is not None:
                        self._outbox.collect()
                    if ticks % round(SNAPSHOT_EVERY / OUTBOX_EVERY) == 0:
                        self._save_snapshot()
                except Exception:
                    log.exception("housekeeping failed")

        self._stop_housekeeping.clear()
        self._housekeeping = threading.Thread(target=run, name="housekeeping", daemon=True)
        self._housekeeping.start()

    def _save_snapshot(self) -> None:
        if self._snapshots is not None and self.keep_state:
            self._snapshots.save_if_changed()

    def _save(self) -> None:
        try:
            if self._outbox is not None:
                self._outbox.collect()
            self._save_snapshot()
        except Exception:
            log.exception("could not save local state to %s", self.state_dir)

    def _write_endpoint(self, environment: dict[str, str]) -> None:
        document = {
            "moto": self.moto_url,
            "api": self.api_url,
            "table": self.table_name,
            "environment": environment,
        }
        (self.state_dir / "endpoint.json").write_text(json.dumps(document, indent=1))


def seed_profile_schema(data: dict[str, Any], *, replace: bool = True) -> Any:
    """Save the preference center's profile schema through the domain
    (`ecrm.contacts.profile_schema`); with `replace=False` only when none is stored. Returns the
    stored schema."""
    schemas: Any = importlib.import_module("ecrm.contacts.profile_schema")
    views: Any = importlib.import_module("ecrm.contacts.profile_view")  # the read side
    if not replace and (stored := views.load(fresh=True)).version > 0:
        return stored
    return schemas.save(schemas.ProfileSchema.model_validate(data))


def seed_form(data: dict[str, Any], *, replace: bool = True) -> Any:
    """Save a form definition through the domain (`ecrm.contacts.forms`), into whatever table and
    endpoint the environment names; with `replace=False` only when no form has its id.
    Returns the stored form."""
    # Imported here: the domain reads its settings from the environment set just before.
    forms: Any = importlib.import_module("ecrm.contacts.forms")
    form = forms.Form.model_validate(data)
    if not replace:
        errors: Any = importlib.import_module("ecrm.platform.errors")
        try:
            return forms.load(form.id, fresh=True)
        except errors.NotFound:
            pass
    return forms.save(form)


def _gateway(
    server: ThreadingHTTPServer,
    resolver: Resolver,
    runtime: LambdaRuntime,
    *,
    outbox: Outbox,
    web_dir: Path,
    authorizer: LocalAuthorizer,
    mail: MailSimulator | None = None,
    console: ConsolePool | None = None,
) -> Gateway:
    openapi_cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not openapi_cache:  # handler modules import on first need, not at start-up
            openapi_cache.update(merged_openapi(resolver.template))
        return openapi_cache

    return Gateway(
        server=server,
        resolver=resolver,
        runtime=runtime,
        outbox=outbox,
        web_dir=web_dir,
        openapi=openapi,
        authorizer=authorizer,
        mail=mail,
        console=console,
    )


def _forget_cached_configuration() -> None:
    """The domain caches boto3 clients and settings; if it was imported before this stack set
    the environment (an earlier test, say), make it read the new one."""
    aws = sys.modules.get("ecrm.platform.aws")
    if aws is not None and hasattr(aws, "reset"):
        aws.reset()
    settings = sys.modules.get("ecrm.platform.settings")
    if settings is not None and hasattr(settings.settings, "cache_clear"):
        settings.settings.cache_clear()
    # Signing keys and definitions cached from an earlier stack belong to its secret and table.
    tokens = sys.modules.get("ecrm.platform.tokens")
    if tokens is not None and hasattr(tokens, "keyring"):
        tokens.keyring.forget()
    pseudonyms = sys.modules.get("ecrm.platform.pseudonyms")
    if pseudonyms is not None and hasattr(pseudonyms, "forget"):
        pseudonyms.forget()
    for name in ("ecrm.contacts.form_view", "ecrm.contacts.profile_view"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "forget_cached"):
            module.forget_cached()


def _deadline(timeout: float) -> Callable[[], float]:
    end = time.monotonic() + timeout
    return lambda: end - time.monotonic()
