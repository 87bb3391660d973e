"""`python -m bench [--only AREA ...]`: one JSON object on stdout, logs on stderr.

Product code logs to stdout (Powertools); while measuring, stdout points at stderr (or at
/dev/null without `--product-logs`), and only the report goes to the real stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from typing import TextIO

from bench import (
    account_calls,
    capture_calls,
    cold_start,
    console,
    cost_counts,
    cost_idle,
    experiments,
    form_load,
    journeys,
    local_ready,
    mailing,
    scoring,
    trends,
    workspace,
)
from bench.figures import Area, Figure, report

log = logging.getLogger("bench")


def _cost() -> list[Figure]:
    """Traffic counts (docs/cost.md prices them) and the idle month per environment."""
    return [*cost_counts.measure(), *cost_idle.measure()]


# Each area is a module with `measure()`; add scoring, mailing, ... here.
AREAS: dict[str, Area] = {
    "account": account_calls.measure,
    "capture": capture_calls.measure,
    "cold_start": cold_start.measure,
    "console": console.measure,
    "cost": _cost,
    "experiments": experiments.measure,
    "journeys": journeys.measure,
    "load": form_load.measure,
    "local": local_ready.measure,
    "mailing": mailing.measure,
    "report": trends.measure,
    "scoring": scoring.measure,
    "workspace": workspace.measure,
}


@contextmanager
def _report_stream(product_logs: bool) -> Iterator[TextIO]:
    """A stream on the real stdout; meanwhile file descriptor 1 and `sys.stdout` (children,
    handlers bound at import, prints) go to stderr or /dev/null."""
    sys.stdout.flush()
    saved = os.dup(1)
    target = os.dup(2) if product_logs else os.open(os.devnull, os.O_WRONLY)
    os.dup2(target, 1)
    try:
        with (
            os.fdopen(os.dup(saved), "w") as real_stdout,
            os.fdopen(target, "w") as elsewhere,
            redirect_stdout(elsewhere),
        ):
            yield real_stdout
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _log_progress() -> None:
    """The harness's own progress to stderr; product loggers are what `--product-logs` is for."""
    if not log.handlers:
        progress = logging.StreamHandler(sys.stderr)
        progress.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        log.addHandler(progress)
    log.setLevel(logging.INFO)
    log.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=sorted(AREAS), help="areas to measure")
    parser.add_argument("--product-logs", action="store_true", help="product logs to stderr")
    args = parser.parse_args(argv)
    _log_progress()
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    with _report_stream(args.product_logs) as out:
        for name in args.only or list(AREAS):
            log.info("measuring %s", name)
            try:
                figures += AREAS[name]()
            except Exception as error:  # one broken area must not hide the others
                log.exception("%s failed", name)
                errors[name] = f"{type(error).__name__}: {error}"
        json.dump(report(figures, errors), out, indent=2)
        out.write("\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
