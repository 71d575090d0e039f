"""Campaigns: source, message, dates, priority, calling hours, guide."""
