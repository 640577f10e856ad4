"""`siyu worker`: takes outbox rows, sends them through the channel adapters, records the outcome."""
