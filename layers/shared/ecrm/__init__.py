"""ecrm: the domain package shared by every function (shipped as the Lambda layer).

One package per capability, each `__init__` docstring its map (no imports in any of them):

- `platform`: the machinery every capability uses (settings, AWS clients, keys, the store,
  errors, time, tokens, idempotency, rate limits).
- `web`: the HTTP edge shared by the API functions (request bodies, the error body, OpenAPI).
- `contacts`: who the contacts are, their forms, consent and suppression; exports.
- `capture`: a public form submission, end to end, and its double opt-in.
- `account`: what a customer does with their own account (sign-in, preferences, unsubscribe,
  address change, personal data).
- `mail`: sending mail (transactional and bulk, templates, pacing) and SES's events after.
- `segments`: who among a topic's members a campaign goes to.
- `campaigns`: a campaign's definition, states, fan-out and sending.
- `automations`: "when <event> then send <template> after <delay>" rules and their runs.
- `imports`: contacts added in bulk from an uploaded CSV file.
- `scoring`: lead scoring from the table's stream.
- `trends`: counters maintained from the stream, read by the reports.
- `due`: the schedule tick's dispatcher across campaigns and automations; `due_legacy`: the
  due entries written before the due index was kept by hour, read until none is left.
"""
