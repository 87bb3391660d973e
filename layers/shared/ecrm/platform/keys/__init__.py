"""The only place that spells a key. Every item's pk/sk/gsi values are built here.

Callers use the package as one namespace (`from ecrm.platform import keys`, `keys.contact(id)`);
its modules group the keys by capability:

- `contacts`: a contact and what hangs off it (profile, interactions, consents, topics and
  their shards, mails sent, suppressions), forms, the profile schema, erasures.
- `common`: idempotency markers, rate counters, used tokens, the listing index, definition
  holds, the due index and the schedule's watermark.
- `campaigns`: templates, segments, campaigns (content, audience pages, batches, waits, A/B
  decision), the send ledger, engagement markers, the send policy and pace.
- `automations`: automation rules, runs and counters; journeys, their versions, runs, counters.
- `scoring`: scores, score changes, the stage index, rulesets, rescore jobs; trends counters.
- `integrations`: contact imports, event sources' API keys, webhooks out.

Hashed parts (contact ids, email hashes, shards) come from `ecrm.platform.digests`.
Every item, its keys and who writes it: docs/design/data-model.md (a new key gets its row
there); how each is read and written: docs/architecture.md, "Data model and access patterns".
"""

from ecrm.platform.keys.automations import *  # noqa: F403
from ecrm.platform.keys.campaigns import *  # noqa: F403
from ecrm.platform.keys.common import *  # noqa: F403
from ecrm.platform.keys.contacts import *  # noqa: F403
from ecrm.platform.keys.integrations import *  # noqa: F403
from ecrm.platform.keys.scoring import *  # noqa: F403
