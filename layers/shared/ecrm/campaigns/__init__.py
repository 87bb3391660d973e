"""Campaigns: a template sent to a segment of a topic's members, from a sender, now or at a time.

- `definitions`: the campaign itself: models, reading, creating, deleting (`create`, `load`,
  `item`, `page`, `delete`, `releases`).
- `states`: how its state moves: send, schedule, cancel, pause, resume, the due tick
  (`send_now`, `schedule`, `schedule_local`, `cancel`, `pause`, `resume`, `start_due`).
- `local_time`: a campaign sent at a time of each recipient's own zone, in waves (`LocalTime`,
  `moments`, `waves`).
- `plan`: the fan-out: topic shard pages -> batches on the campaign queue (`plan`, `fan_out`,
  `finish_if_complete`).
- `queue`: the campaign queue (SQS), the only module that sends to it (`send`).
- `sending`: one batch sent, each recipient exactly once whatever crashes (`send_batch`).
- `chunks`: a batch's ready recipients sent chunk by chunk, the next claimed and rendered
  ahead, paced, marked (`send_all`).
- `recipients`: who of a batch may be mailed at send time, under the send policy (`eligible`,
  `claim`).
- `waits`: a batch held for quiet hours, its local-time wave or an A/B winner, released by the
  due tick (`hold`, `release`).
- `content`: what a campaign sends, compiled once per process (`for_campaign`, `Content`).
- `health`: a campaign that hurts the sender's reputation pauses itself (`pause_if_unhealthy`).
- `proofs`: a test send to a few typed addresses, no ledger, no counters (`send`).
"""
