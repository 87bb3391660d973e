"""Automations: "when <event> then send <template> after <delay>", managed by marketers.

- `rules`: the rules (models, `create`, `update`, `load`, `all_rules`) and what the stream does
  with them: the event a record is (`happened`), whether a rule fires (`fires`), and the run
  items and due entries it writes (`schedule`).
- `runs`: one due run sent by the schedule tick, at most once whatever repeats (`run`), and its
  SES `Send` confirmation (`confirm_sent`).
"""
