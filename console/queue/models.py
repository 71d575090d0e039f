"""Queue records (none yet: the queue state lives on leads)."""
