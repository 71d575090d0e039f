"""Accounts, contacts worked as leads, touches and the do-not-call list."""
