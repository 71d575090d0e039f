"""The lead definition: qualification criteria, points, bands and the qualified threshold."""
