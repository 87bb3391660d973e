"""Team: the people who sign in to the console, managed by admins (the console's Team screen,
`ecrm team`). They live in the stack's Cognito user pool, never in the table; a role is one of
the pool's three groups.

- `members`: list them with role and status, invite by address with a role (Cognito mails the
  temporary password), set the role, disable (and sign out) or enable (`page`, `invite`,
  `set_role`, `disable`, `enable`).
"""
