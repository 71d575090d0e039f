"""Signing in and out, users and roles."""
