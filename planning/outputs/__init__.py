"""Outputs: maps, reports, exports and the city-wide batch."""
