"""Mail: sending mail, and what SES says about it afterwards.

Sending
- `outbound`: one transactional mail built with EmailMessage and sent through SES (`build`,
  `send`, `Envelope`, `RenderedMail`).
- `bulk`: campaign MIME at SES speed, a skeleton compiled once per campaign (`CampaignMail`,
  `send` and its `Send*` outcomes).
- `senders`: who a campaign's or an automation's mail comes from (`SenderIn`).
- `links`: the unsubscribe URL and `mailto:` a bulk mail carries (`unsubscribe_links`).
- `send_ledger`: a campaign's per-recipient ledger, owned by one batch (`claim`, `triage`,
  `tally`, `confirm_sent`).
- `pacing`: the token bucket every campaign worker shares (`campaign_rate`, `reserve`).
- `in_flight`: several SES calls of one worker in flight, each at its slot (`InFlight`).
- `sandbox_heap`: a sandbox's long-lived objects kept out of full GC passes.

The send policy of marketing mail (campaigns, automations; never transactional mail)
- `send_policy`: the policy as marketers edit it (`SendPolicyIn`, `load`, `save`).
- `send_policy_view`: the policy as senders read it, no pydantic, cached (`current`).
- `frequency_cap`: the rolling window and its count, conditional on the record read (`allows`,
  `free_at`, `counted`, `read`).
- `quiet_hours`: local wall-clock windows across zones and DST (`is_quiet`, `ends_at`,
  `instants`).
- `zones`: a recipient's time zone: their own, their single-zone country's, the account's
  (`zone_of`, `COUNTRY_ZONES`).

Templates
- `plain_templates`: our own transactional mails, `{{ name }}` substitutions rendered exactly as
  Jinja renders them, without importing it (`render`).
- `template_view`: a stored template read back without pydantic, compiled by Jinja once per
  process (`TemplateView`, `compiled`).
- `templates`: marketers' mail templates, checked when saved and previewed (`create`, `update`,
  `load`, `compiled`, `preview_for`).
- `personalisation`: what a template may say, checked on the parsed template (`check`,
  `render_context`).
- `render_limits`: a part rendered within its budget or not at all (`render`).
- `templating`: the sandboxed Jinja2 environments of our own pages and mails
  (`package_templates`).

After sending
- `ses_notifications`: SES event records read into `MailEvent`s (`parse`, `event_id`).
- `events`: each SES event applied once: interactions, suppressions, counters (`record`,
  `confirm_send`).
- `scanners`: opens and clicks no person made (`is_scanner`).
"""
