"""The JSON API under /api/v1: tokens, leads in, hand-offs and outcomes out (docs/api.md)."""
