"""Capture: a public form submission, end to end (the capture function's domain).

- `intake`: one submission validated, normalised, deduplicated and stored with its consent in
  one transaction (`submit`, `Client`, `Receipt`, `check_origin`).
- `confirmation`: double opt-in: the confirmation mail sent from the stream
  (`send_confirmation_mail`) and the signed single-use link that confirms (`confirm`,
  `already_subscribed`).
"""
