"""The team: users, their roles and their access, and the audit log page."""
