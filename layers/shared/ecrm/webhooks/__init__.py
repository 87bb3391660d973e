"""Webhooks out: contact events POSTed, signed, to https endpoints marketers register.

- `endpoints`: the endpoints (`/admin/webhooks…`): create with a secret shown once, list, show,
  update, rotate, delete; each one's last delivery attempt (`record_attempt`).
- `destinations`: which URLs and addresses may be reached (no SSRF), at registration and at
  every delivery.
- `sealing`: the endpoints' secrets, derived from a salt and the stack's webhook key.
- `signing`: `Ecrm-Signature` (HMAC-SHA256 of `t.body`), and the receiver's check (`verify`).
- `fanout`: new interactions from the stream -> events -> one queued message per endpoint.
- `delivery`, `transport`: one message POSTed to the checked address, once in effect.

docs/design/webhooks.md has the whole picture, for marketers and for receivers.
"""
