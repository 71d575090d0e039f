"""Telephony: placing calls through Twilio or the simulated line, and call-progress webhooks."""
