"""Telephony records (carrier call legs, recordings)."""
