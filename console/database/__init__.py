"""Database plumbing every area shares: engine settings, SQLite's writer turn, and what a process remembers."""
