"""Automations: "when <event> then send <template> after <delay>", managed by marketers.

- `rules`: the rules as marketers write them (pydantic models, `create`, `update`, `load`,
  `all_rules`);
- `triggers`: the stored rules read back as plain values (`Rule`, no pydantic) and what the
  stream does with them: the event a record is (`happened`), whether a rule fires (`fires`),
  and the run items and due entries it writes (`schedule`).
- `counts`: what each rule did, counted in the transaction of each move.
- `overview`: every rule with its counts, as the admin list answers it, read without pydantic
  (`counted_rules`, `CountedRule`).
- `runs`: one due run sent by the schedule tick, at most once whatever repeats (`run`), and its
  SES `Send` confirmation (`confirm_sent`).
- `timing`: when a due run may go under the send policy: now, delayed, or skipped (`judge`,
  `delay`, `counted`).
"""
