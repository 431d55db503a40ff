"""Digest rendering (Slack, e-mail, text) and delivery through apprise, with the outbox in state/."""
