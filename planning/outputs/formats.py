"""What the outputs can be, and the report's one threshold (standard library only: the CLI lists them at once)."""

REPORT_FORMATS = ("pdf", "html", "xlsx")
EXPORT_FORMATS = ("gpkg", "geojson", "csv", "xlsx")
MEETS_SHARE = 0.8  # assumption: a type "meets" its tier when ≥ 80 % of the residents it serves reach it
