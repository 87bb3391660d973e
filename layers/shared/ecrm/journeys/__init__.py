"""Journeys (issue 18): multi-step automated mailings, one run per contact and journey, with
waits (a duration, a time of day in the contact's zone, or until an event with a timeout),
branches on what the contact did with an earlier mail or on segment conditions, random
splits, contact updates, notices (EventBridge, webhooks) and a goal (docs/design/journeys.md).

- `model`: the journey as marketers write it (pydantic) and the graph checks (`check_graph`);
- `definitions`: drafts, publishing versions, stopping, reading (`create`, `update`,
  `publish`, `stop`, `load`, `listed`, `published`);
- `graph`: a published version read back plainly (`version`, `live_journeys`) and the walk of
  its instant steps (`walk`, `leave`);
- `entry`: what the stream does: enter contacts, convert runs on their goal, wake waiting runs
  (`handle`, `on_event`);
- `local_wait`: a `wait_until` step's moment in the contact's zone (`moment`);
- `facts`: what a walk reads of its contact when a step needs it (`Facts`);
- `notify_step`, `notices`: a notify step's notice in the run's move; its EventBridge entry;
- `wake`: a `wait_for` step's event wakes the contact's runs listening for it (`on_event`);
- `engine`: a due run moved on, each move once (`advance`);
- `send_step`: one send step: checks by kind, claim, SES, settle (`send`);
- `update_step`: one update step: the contact changed in the run's move (`apply`);
- `stats`: counters per version and step (`add`, `of`);
- `engagement`: SES events of a journey's mail (`record`, `confirm_sent`);
- `runs`: a contact's run item and its conditional moves;
- `steps_queue`: the journey queue, sending only (the tick's due runs, enrollment pages);
- `queue_worker`: its consumer (`consume`): a due run moved, or a segment page entered;
- `enrollment`: a segment entry's members entered page by page, without a Scan;
- `joiners`: the stream enters those who join a segment later (`on_change`, entry `joiners`);
- `joiners_pass`: their daily pass, for what the stream cannot see (`put`, `run_due`);
- `dates`, `date_entry`: a date entry's calendar, and its daily run (`scheduled` at publish,
  `run_day` by the tick, `page` by the queue's consumer), from the contacts' date index;
- `migration`: an automation rule made a one-step journey (`migrate`).
"""
