"""The packaging scenarios stay valid when replayed: the cold-start bench (bench/cold_start.py)
serves every function's scenario once per round against one moto server, in the template's
order rotated by a different amount each round, so each scenario must prepare what it needs
afresh and check only what its own events did (not, say, "the table's only suppression", which
an erasure served later adds to), whichever scenarios ran before it.

Here the handlers run in this process (the built artifacts are the packaging test's concern),
two rounds of every scenario on one server: the template's order, then rotated by half.
"""

from __future__ import annotations

import importlib

from bench.moto_env import as_function, server
from tests.packaging.scenarios import SCENARIOS


def test_every_scenario_answers_right_in_every_round_on_one_server() -> None:
    with server() as stack:
        functions = [f for f in stack.template.functions() if f.logical_id in SCENARIOS]
        half = len(functions) // 2
        for order in (functions, functions[half:] + functions[:half]):
            for function in order:
                event_list, check = SCENARIOS[function.logical_id](stack, function)
                with as_function(stack, function.logical_id):
                    module = importlib.import_module(function.handler_module)
                    handler = getattr(module, function.handler_name)
                    answers = [handler(event, stack.context(function)) for event in event_list]
                check(answers)
