"""What the outputs can be, and the report's one threshold (light imports only: the CLI checks them at once)."""
from __future__ import annotations

from pathlib import PurePath

from planning.base.errors import PlanningError

REPORT_FORMATS = ("pdf", "html", "xlsx")
EXPORT_FORMATS = ("gpkg", "geojson", "csv", "xlsx")
EXPORT_FOLDER_FORMATS = ("geojson", "csv")  # one file per layer or table, written into a folder
MEETS_SHARE = 0.8  # assumption: a type "meets" its tier when ≥ 80 % of the residents it serves reach it


def export_format(path: str | PurePath, fmt: str | None = None) -> str:
    """The export format named by ``fmt`` or by the suffix of ``path`` (.gpkg, .xlsx)."""
    fmt = fmt or {".gpkg": "gpkg", ".xlsx": "xlsx"}.get(PurePath(path).suffix.lower())
    if fmt not in EXPORT_FORMATS:
        raise PlanningError("export_format_unknown", path=path, known=", ".join(EXPORT_FORMATS))
    return fmt
