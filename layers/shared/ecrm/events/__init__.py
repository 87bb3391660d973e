"""Events in: custom events a site or a backend records for a contact (`POST /events`).

- `api_keys`: the event source keys marketers create, list and revoke; the check of a presented
  key (`create`, `page`, `revoke`, `presented`, `authenticate`).
- `payload`: a request's events read into bounded plain values, or refused naming each problem
  (`read`, `NAME_PATTERN`).
- `recording`: the events stored as interactions of known contacts, once each, rate limited per
  key, with the same answer for an unknown address (`record`).

What they feed (scoring, segments, automations) reads the interactions from the table and its
stream: docs/design/events.md.
"""
