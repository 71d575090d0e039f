"""The call queue: which lead an agent gets next, and why a lead is or is not dialable now."""
