"""Account: what a customer does with their own account (the account function's domain).

- `sign_in`: a magic link mailed to the address on file, exchanged once for a short session
  (`request_link`, `start_session`, `session_subject`).
- `view`: what a signed-in customer sees of themselves and its ETag (`view`, `etag`).
- `preferences`: a preference-center change in one version-guarded transaction (`update`).
- `preference_changes`: the body of `PATCH /account` read against the schema and the contact
  (`read` -> `Changes`).
- `email_change`: a new address recorded as pending, effective when its link returns (`confirm`).
- `personal_data`: a copy of everything held about a person, and erasure (`export`, `erase`).
- `unsubscribe`: one way to unsubscribe for the link, `mailto:` and complaints (`unsubscribe`,
  `unsubscribe_contact`, `link_token`, `unsubscribe_url`).
- `mails`: the sign-in and address-change mails, sent from the stream (`send_sign_in_mail`,
  `send_email_change_mail`).
"""
