"""Contacts: who the contacts are, what they agreed to, and what is never mailed again.

- `records`: the contact item, one per address (`from_submission`, `create_from_submission`,
  `join_topic`, `leave_topic_index`, `active_topics`, `profile_of`, `by_address`).
- `forms`: form definitions as data, as written (pydantic `Form`, `replace`, `page`).
- `form_view`: a stored form's plain values, as Capture and the import worker serve it (no
  pydantic, nothing that reaches AWS: the command line imports it) (`FormView`, `FieldView`);
- `form_store`: a form read from the table, cached (`load`), the version guard of a
  submission's transaction (`version_check`), the admin list's page (`page`).
- `form_plain`: a plainly valid definition read and saved without pydantic, as `forms.replace`
  saves the model (`definition`, `replace`), for the forms admin API's `PUT`.
- `submission`: a raw submission read against its form, every field validated (`read`,
  `bot_signals`).
- `subscription`: what a public submission may change for the address it names (`blind`,
  `informed`, `awaits_confirmation`).
- `profile_schema`: the profile fields, interests and topics customers see, as written
  (pydantic `ProfileSchema`, `save`); `profile_view`: the stored schema read back without
  pydantic, cached, as every function uses it (`ProfileView`, `load`, `topic_label`,
  `version_check`).
- `suppression`: addresses never mailed again, plain or keyed (`suppress`, `reasons`,
  `suppressed_among`, `for_erasure`).
- `export`: a segment's or a topic's contacts page by page, never a Scan (`page`, `row`).
- `lookup`: the contact an address leads to, as a marketer reads it (`by_email`).
- `date_index`: the contacts by the day of a date field, kept from the stream (`follow`), read
  a day's page at a time for journeys' date entries (`on_day`).
"""
