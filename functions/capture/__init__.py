"""Public form API: form definitions, submissions, double opt-in confirmation."""
