"""The facility-type catalogue (``data/facility_types.yaml``): names, tiers, tags, costs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from planning.base.errors import PlanningError
from planning.base.paths import DATA_DIR

CATALOGUE_PATH = DATA_DIR / "facility_types.yaml"
SERVES = ("all", "elderly", "car_households")


@dataclass(frozen=True)
class FacilityType:
    """One kind of facility and how it is planned."""

    key: str
    name_zh: str
    name_en: str
    tier_minutes: float
    standard: str
    serves: str
    capacity_unit: str
    default_capacity: float
    default_cost_yuan: float
    osm: dict[str, list[str]]
    icon: str = "info-sign"
    color: str = "blue"
    note: str = ""

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


def load_catalogue(path: str | Path = CATALOGUE_PATH) -> dict[str, FacilityType]:
    """Read the catalogue; raise a zh/en error naming the type and field that is wrong."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    types = {}
    for key, entry in raw.items():
        try:
            ftype = FacilityType(key=key, **entry)
        except TypeError as exc:
            raise PlanningError("catalogue_invalid", key=key, reason=str(exc)) from exc
        if ftype.serves not in SERVES or ftype.tier_minutes <= 0:
            raise PlanningError("catalogue_invalid", key=key, reason=f"serves={ftype.serves}, tier={ftype.tier_minutes}")
        types[key] = ftype
    return types


def resolve_types(keys: str | list[str] | None, catalogue: dict[str, FacilityType]) -> list[FacilityType]:
    """Facility types named by key (comma-separated string or list); all types when empty."""
    if not keys:
        return list(catalogue.values())
    names = [k.strip() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()]
    unknown = [k for k in names if k not in catalogue]
    if unknown:
        raise PlanningError("type_unknown", types=", ".join(unknown), known=", ".join(catalogue))
    return [catalogue[k] for k in names]
