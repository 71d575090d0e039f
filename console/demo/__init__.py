"""Demo data for a console that runs out of the box."""
