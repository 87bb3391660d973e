"""Lead scoring: a ruleset marketers manage, evaluated from the table's stream.

- `rules`: the ruleset as read (plain values), the shipped default and free-mail list.
- `schema`: the ruleset as written (pydantic), validated on save only.
- `engine`: pure, precompiled evaluation: engagement with caps, decay, stages (`fit`: fit rules).
- `rulesets`: stored versions of the ruleset and the cached current one.
- `batch`: a stream batch grouped by contact, applied; the contacts to redeliver.
- `ledger`: one contact's scored events of a batch -> one conditional transaction.
- `report`: the score as a marketer reads it: explanation (adds up) and timeline.
- `rescore`: the resumable job that applies a changed ruleset to existing contacts.
- `stages`: stage transitions to EventBridge.
"""
