"""What `ecrm serve` prints while it runs: one short line per HTTP request and per event a
function was handed, so the banner's URLs and token stay in view.

    12:01:02 POST /forms/newsletter/submissions 202 41 ms
    12:01:03 stream -> ScoringFunction 3 records ok 12 ms

The lines carry no personal data: a path without its query, a token in a path shown as
`{token}`, never an address or a record's content. Schedule ticks that succeed are not
printed (their effects are). The functions' own Powertools lines (JSON, with their metrics)
are what `ecrm serve --log-format json` prints; by default they are quiet but for warnings,
printed in the same short form.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, TextIO

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

ACTIVITY = logging.getLogger("local.activity")
FORMATS = ("human", "json")
CLOCK = "%H:%M:%S"
# The functions' environment under human logs: Powertools logs warnings only, no EMF metrics.
QUIET_FUNCTIONS = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
# Lambda's event sources, by a record's eventSource (EventSource for SNS and SES).
_SOURCES = {"aws:dynamodb": "stream", "aws:sqs": "queue", "aws:sns": "sns", "aws:ses": "ses"}


def request(method: str, path: str, status: int, started: float) -> None:
    """One answered HTTP request; `path` already shown as `shown_path` makes it."""
    ACTIVITY.info("%s %s %d %d ms", method, path, status, _ms(started))


def invocation(function: str, event: Any, outcome: Any, started: float) -> None:
    """One event handed to `function`: `outcome` is what the handler returned or raised. API
    requests are left to `request` (the gateway knows the status)."""
    source = event_source(event)
    if source is None:
        return
    kind, records = source
    failed = _failed(outcome)
    if kind == "schedule" and failed is None:
        return  # every minute, or every few seconds with --schedule-every: noise
    what = "tick" if kind == "schedule" else f"{records} record{'s' * (records != 1)}"
    result = "ok" if failed is None else failed
    ACTIVITY.info("%s -> %s %s %s %d ms", kind, function, what, result, _ms(started))


def event_source(event: Any) -> tuple[str, int] | None:
    """(kind, records) of a Lambda event, None for an API Gateway request."""
    if not isinstance(event, Mapping) or "httpMethod" in event:
        return None
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        first = records[0]
        name = first.get("eventSource") or first.get("EventSource")
        return _SOURCES.get(str(name), "invoke"), len(records)
    if event.get("detail-type") == "Scheduled Event":
        return "schedule", 1
    return "invoke", 1


def _failed(outcome: Any) -> str | None:
    if isinstance(outcome, BaseException):
        return f"failed ({type(outcome).__name__})"
    failures = outcome.get("batchItemFailures") if isinstance(outcome, Mapping) else None
    return f"{len(failures)} failed" if failures else None


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


# --- how `ecrm serve` prints --------------------------------------------------------------
def human_line(record: logging.LogRecord, formatter: logging.Formatter) -> str:
    """`12:01:02 <activity>`, or `12:01:02 WARNING <logger>: <message>` for anything else."""
    when = formatter.formatTime(record, CLOCK)
    if record.name == ACTIVITY.name:
        line = f"{when} {record.getMessage()}"
    else:
        line = f"{when} {record.levelname} {record.name}: {record.getMessage()}"
    if record.exc_info:
        line += "\n" + formatter.formatException(record.exc_info)
    return line


class HumanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return human_line(record, self)


class ShortPowertoolsFormatter(LambdaPowertoolsFormatter):
    """A Powertools formatter (the Logger appends and clears keys on it) printing short lines."""

    def format(self, record: logging.LogRecord) -> str:
        return human_line(record, self)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, beside the functions' Powertools lines."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "timestamp": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document)


class WholeLines(io.TextIOBase):
    """A text stream that writes each line whole, whichever thread writes it. `print` writes
    a line's text and its line break in two calls: the functions' metrics (Powertools prints
    them) and another thread's line came out as one line with two JSON documents."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._started = threading.local()  # this thread's line so far

    def write(self, text: str) -> int:
        pending = getattr(self._started, "text", "") + text
        end = pending.rfind("\n") + 1
        self._started.text = pending[end:]
        if end:
            with self._lock:
                self._stream.write(pending[:end])
                self._stream.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding


def configure(log_format: str) -> None:
    """The serving process's output, a whole line at a time: activity lines, and warnings of
    everything else."""
    if not isinstance(sys.stdout, WholeLines):
        sys.stdout = WholeLines(sys.stdout)
        sys.stderr = WholeLines(sys.stderr)
    handler = logging.StreamHandler()
    handler.setFormatter(HumanFormatter() if log_format == "human" else JsonFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    ACTIVITY.setLevel(logging.INFO)
    # werkzeug (moto's server) sets its own logger to INFO: a line per call to moto.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def quiet_function_logs() -> None:
    """Print the functions' Powertools warnings in the short form, not as JSON. Their loggers
    appear as handler modules import: called again on each invocation (a cheap walk)."""
    for logger in list(logging.Logger.manager.loggerDict.values()):
        handler = getattr(logger, "powertools_handler", None)
        if isinstance(handler, logging.Handler) and not isinstance(
            handler.formatter, ShortPowertoolsFormatter
        ):
            handler.setFormatter(ShortPowertoolsFormatter())
