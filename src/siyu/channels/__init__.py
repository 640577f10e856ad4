"""Channels: consent and opt-out, frequency caps, quiet hours, the outbox and the provider adapters."""
