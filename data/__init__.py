"""Data shipped with the package: the facility catalogue, column aliases, built-in demo areas and their OSM extracts."""
