"""Customer self-service: magic-link sign-in, preference center, unsubscribe, export, erasure."""
