"""The facility-type catalogue (``data/facility_types.yaml``): names, tiers, tags, costs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planning.base.errors import PlanningError
from planning.base.paths import DATA_DIR
from planning.base.text import pick, read_yaml

CATALOGUE_PATH = DATA_DIR / "facility_types.yaml"
SERVES = ("all", "elderly", "car_households")


@dataclass(frozen=True)
class OsmRule:
    """One way to recognise an OSM feature: any of ``tags`` and/or a ``name`` containing any text.

    A rule with both needs both; an empty part is not checked.
    """

    tags: dict[str, list[str]] = field(default_factory=dict)
    name: list[str] = field(default_factory=list)


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
    osm: tuple[OsmRule, ...]
    osm_not: tuple[OsmRule, ...] = ()
    counts_as: str | None = None
    life_circle: bool = True
    icon: str = "info-sign"
    color: str = "blue"
    note: str = ""
    aliases: tuple[str, ...] = ()  # other names offices give the type in their lists (助餐点, 停车场 …)

    def name(self, lang: str = "zh") -> str:
        return pick((self.name_zh, self.name_en), lang)


def load_catalogue(path: str | Path = CATALOGUE_PATH) -> dict[str, FacilityType]:
    """Read the catalogue; raise a zh/en error naming the type and field that is wrong."""
    with open(path, encoding="utf-8") as fh:
        raw = read_yaml(fh) or {}
    types = {}
    for key, entry in raw.items():
        try:
            ftype = FacilityType(key=key, **{**entry, "osm": _rules(entry.get("osm")),
                                             "osm_not": _rules(entry.get("osm_not")),
                                             "aliases": tuple(str(a) for a in _as_list(entry.get("aliases")))})
        except (TypeError, AttributeError) as exc:
            raise PlanningError("catalogue_invalid", key=key, reason=str(exc)) from exc
        if ftype.serves not in SERVES or ftype.tier_minutes <= 0:
            raise PlanningError("catalogue_invalid", key=key, reason=f"serves={ftype.serves}, tier={ftype.tier_minutes}")
        types[key] = ftype
    for ftype in types.values():
        if ftype.counts_as is not None and (ftype.counts_as not in types or ftype.counts_as == ftype.key):
            raise PlanningError("catalogue_counts_as", key=ftype.key, counts_as=ftype.counts_as,
                                known=", ".join(k for k in types if k != ftype.key))
    return types


def _rules(raw: Any) -> tuple[OsmRule, ...]:
    """OSM rules from the catalogue: a list of ``{tags, name}``, or one plain mapping of tags."""
    if not raw:
        return ()
    if isinstance(raw, dict):
        raw = [{"tags": raw}]
    rules = []
    for item in raw:
        tags = {str(k): [_tag_value(v) for v in _as_list(values)] for k, values in (item.get("tags") or {}).items()}
        rules.append(OsmRule(tags=tags, name=[str(v) for v in _as_list(item.get("name"))]))
        if not rules[-1].tags and not rules[-1].name:
            raise TypeError(f"OSM rule {item!r} has neither tags nor name")
    return tuple(rules)


def _tag_value(value: Any) -> str:
    """A tag value as OSM spells it (YAML reads a bare ``no`` or ``yes`` as a boolean)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def resolve_types(keys: str | list[str] | None, catalogue: dict[str, FacilityType]) -> list[FacilityType]:
    """Facility types named by key (comma-separated string or list); all types when empty."""
    if not keys:
        return list(catalogue.values())
    names = [k.strip() for k in (keys.split(",") if isinstance(keys, str) else keys) if k.strip()]
    unknown = [k for k in names if k not in catalogue]
    if unknown:
        raise PlanningError("type_unknown", types=", ".join(unknown), known=", ".join(catalogue))
    return [catalogue[k] for k in names]
