"""Platform: the machinery every capability uses (AWS, time, keys, the store, tokens, errors).

- `settings`: read from the environment on first use (`settings()`), a frozen dataclass.
- `models`: `Model`, the base of every pydantic model: built on first use, not at import.
- `aws`: botocore clients, created lazily once per process (`dynamodb()`, `sesv2()`, `sqs()`...).
- `keys`: the only package that spells a key (`keys.contact(id)`), its modules by capability.
- `digests`: the plain SHA-256 that keys derive ids, hashes and shards from.
- `store`: the only module that talks to DynamoDB: `Put`/`Update`/`Check`/`Delete` values,
  `get`, `write`, `transact`, `query`, `batch_get`; AWS failures as domain outcomes.
- `errors`: domain errors, each with its HTTP status and stable code (`DomainError`).
- `clock`: time as the table stores it (`now()`, `iso()`).
- `entropy`: random identifiers from OS randomness read in blocks (`token_hex`, `token_urlsafe`).
- `idempotency`: a marker written in the operation's own transaction (`Marker`).
- `ratelimit`: fixed-window counters incremented in the guarded transaction (`Limit`).
- `tokens`: signed, expiring, purpose-bound tokens for links (`issue`, `verify`, `keyring`).
- `pseudonyms`: keyed HMACs of addresses that outlive an erasure (`of`, `erased_contact`).
- `normalise`: one canonical form per typed email, name and phone (`email`, `mailbox`).
- `definitions`: marketer-edited definitions stored version by version (`put_new`, `put_next`).
- `definition_holds`: who holds a template or segment, so it is not deleted from under them.
- `listing`: a page of a marketer's objects from the keys-only index, with a cursor (`page`).
- `csv_cells`: CSV cells safe to open in a spreadsheet (`writer`, `restore`).
- `records`: a batch of stream records or queue messages, each handled on its own (`each`);
- `bus`: an outbox interaction as an EventBridge event (`entry`, `put`).
- `plain`: values a pydantic field surely accepts, checked without it (`text`, `matches`,
  `integer`), for the plain readers of bodies (`ecrm.web.plain`).
"""
