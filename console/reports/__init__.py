"""Campaign call outcomes for marketing."""
