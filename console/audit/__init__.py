"""The audit trail: who did what to which record, and from where."""
