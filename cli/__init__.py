"""The `ecrm` command line: the marketer's terminal client of the HTTP API (local or deployed),
plus the local stack's own commands (`ecrm serve`, `ecrm forms put`, ...). Never shipped to
Lambda. `docs/cli.md` is the reference."""
