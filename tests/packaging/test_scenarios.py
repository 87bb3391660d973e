"""The packaging scenarios stay valid when replayed: the cold-start bench (bench/cold_start.py)
serves every function's scenario once per round, in the template's order, against one moto
server, so each scenario must prepare what it needs afresh and check only what its own events
did (not, say, "the table's only suppression", which an erasure served later adds to).

Here the handlers run in this process (the built artifacts are the packaging test's concern),
two rounds of every scenario on one server.
"""

from __future__ import annotations

import importlib

from bench.moto_env import as_function, server
from local.moto_fast import fast_moto
from tests.packaging.scenarios import SCENARIOS


def test_every_scenario_answers_right_in_every_round_on_one_server() -> None:
    with server() as stack, fast_moto():
        functions = [f for f in stack.template.functions() if f.logical_id in SCENARIOS]
        for _round in range(2):
            for function in functions:
                event_list, check = SCENARIOS[function.logical_id](stack, function)
                with as_function(stack, function.logical_id):
                    module = importlib.import_module(function.handler_module)
                    handler = getattr(module, function.handler_name)
                    answers = [handler(event, stack.context(function)) for event in event_list]
                check(answers)
