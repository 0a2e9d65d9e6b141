"""Planning scenarios as versioned, tamper-evident YAML files in the user's ``scenarios`` folder.

A scenario records what was planned (area, data sources, facility types, model settings),
the sites chosen and the coverage they achieve. The file carries a sha256 digest of its
canonical JSON content so a file edited after saving is refused: residents must vote on
exactly what they were shown.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planning.base import paths
from planning.base.errors import PlanningError, error_reason
from planning.io.write import write_text

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSource(_Strict):
    """Where input data came from (e.g. OSM extract, census grid)."""

    name: str
    path: str = ""
    version: str = ""


class AreaRecord(_Strict):
    """The planning area as a scenario records it (a 街道 or a group of 社区): its name and extent."""

    name: str
    crs: str = "EPSG:4326"
    bbox: tuple[float, float, float, float] | None = None


class TypeRecord(_Strict):
    """A facility type as a scenario records it (names, tiers, model parameters), so the file stands alone."""

    name_zh: str
    name_en: str = ""
    tiers_minutes: list[int] = Field(default_factory=lambda: [5, 10, 15])
    params: dict[str, Any] = Field(default_factory=dict)


class ModelSettings(_Strict):
    """The optimisation model and the settings it was solved with."""

    name: str
    p: int | None = Field(default=None, ge=0)
    budget_yuan: float | None = Field(default=None, ge=0)
    minutes: float = Field(gt=0)
    speed_mps: float = Field(gt=0)
    solver: str = ""
    gap: float | None = Field(default=None, ge=0)
    time_limit_seconds: float | None = Field(default=None, gt=0)


# The columns of the 一表一图 task table the organiser fills per site (投资估算 is ``cost_yuan``).
TASK_FIELDS = ("project", "location", "scale", "funding", "responsible", "deadline")


class Site(_Strict):
    """One chosen site in WGS84 degrees; ``cost_yuan`` is None when nobody gave its cost.

    The task-table fields are free text the organiser fills for the 公示 (None: not filled, printed
    blank): ``project`` 项目, ``location`` 位置, ``scale`` 规模, ``funding`` 资金来源,
    ``responsible`` 责任单位, ``deadline`` 完成时限. Files saved before they existed load unchanged
    and keep their digest: an unfilled field is left out of the digest and the file.
    """

    id: str
    type: str
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    cost_yuan: float | None = Field(default=None, ge=0)
    capacity: float | None = Field(default=None, ge=0)
    project: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200)
    scale: str | None = Field(default=None, max_length=200)
    funding: str | None = Field(default=None, max_length=200)
    responsible: str | None = Field(default=None, max_length=200)
    deadline: str | None = Field(default=None, max_length=200)


class CoverageRow(_Strict):
    """People within ``tier_minutes`` of a facility of ``type`` before and after the plan.

    ``community`` is ``None`` for the whole area.
    """

    community: str | None = None
    type: str
    tier_minutes: int = Field(gt=0)
    population: int = Field(ge=0)
    population_60_plus: int = Field(ge=0)
    covered_before: int = Field(ge=0)
    covered_after: int = Field(ge=0)
    covered_60_plus_before: int = Field(ge=0)
    covered_60_plus_after: int = Field(ge=0)

    @model_validator(mode="after")
    def _counts_fit(self) -> CoverageRow:
        if self.population_60_plus > self.population:
            raise ValueError("population_60_plus exceeds population")
        if max(self.covered_before, self.covered_after) > self.population:
            raise ValueError("covered exceeds population")
        if max(self.covered_60_plus_before, self.covered_60_plus_after) > self.population_60_plus:
            raise ValueError("covered_60_plus exceeds population_60_plus")
        return self


class Metrics(_Strict):
    """Coverage for the whole area and per community."""

    overall: list[CoverageRow]
    communities: list[CoverageRow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _scopes(self) -> Metrics:
        if any(row.community is not None for row in self.overall):
            raise ValueError("overall rows must not name a community")
        if any(row.community is None for row in self.communities):
            raise ValueError("community rows must name a community")
        return self


class NeedsRecord(_Strict):
    """The 民情征集 (needs survey) a plan used, and how many of its stated needs the plan answers.

    ``total`` counts every need given; ``answered`` those within the tier of a new site of a type
    that answers them; ``by_type`` is need type → [answered, total]. ``need_weight`` and
    ``population_weight`` are the weights the model planned with (None: the needs were counted only).
    """

    survey_id: int = Field(ge=1)
    title: str = ""
    total: int = Field(ge=0)
    answered: int = Field(ge=0)
    by_type: dict[str, list[int]] = Field(default_factory=dict)
    need_weight: float | None = Field(default=None, ge=0)
    population_weight: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _counts_fit(self) -> NeedsRecord:
        if self.answered > self.total:
            raise ValueError("answered exceeds total")
        return self


class Scenario(_Strict):
    """A complete planning scenario (schema version 1).

    ``needs`` records the needs survey the plan used (None: none; such files read and digest as before).

    ``cost_yuan`` is the total cost, None when the cost of any site is not given (unknown is
    not 0; read it with :func:`plan_cost_yuan`).
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = Field(min_length=1)
    description: str = ""
    created_at: datetime
    area: AreaRecord
    data_sources: list[DataSource] = Field(default_factory=list)
    facility_types: dict[str, TypeRecord]
    model: ModelSettings
    sites: list[Site]
    metrics: Metrics
    cost_yuan: float | None = Field(default=None, ge=0)
    needs: NeedsRecord | None = None  # the survey used; absent from files saved without one
    digest: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        ids = [site.id for site in self.sites]
        if len(ids) != len(set(ids)):
            raise ValueError("site ids are not unique")
        known = self.facility_types.keys()
        for item in [*self.sites, *self.metrics.overall, *self.metrics.communities]:
            if item.type not in known:
                raise ValueError(f"facility type {item.type!r} is not in facility_types")
        return self

    def content(self) -> dict[str, Any]:
        """The scenario as plain data (what the file holds), task-table fields left out where not filled."""
        content = self.model_dump(mode="json")
        if content.get("needs") is None:
            content.pop("needs", None)  # files saved before surveys existed keep their digest
        for site in content["sites"]:
            for name in TASK_FIELDS:
                if site.get(name) is None:
                    site.pop(name, None)
        return content

    def content_digest(self) -> str:
        """sha256 of the canonical JSON of everything but the digest itself."""
        content = self.content()
        content.pop("digest")
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def sealed(self) -> Scenario:
        """A copy carrying its content digest."""
        return self.model_copy(update={"digest": self.content_digest()})


def round_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Whole people for :class:`CoverageRow`: populations rounded, covered counts rounded down
    (so a covered count never exceeds its population)."""
    rows = rows.copy()
    for column in ("population", "population_60_plus"):
        rows[column] = rows[column].round().astype(int)
    for column in ("covered_before", "covered_after", "covered_60_plus_before", "covered_60_plus_after"):
        rows[column] = np.floor(rows[column]).astype(int)
    return rows


def build_scenario(
    name: str,
    area: Mapping[str, Any],
    facility_types: Mapping[str, Mapping[str, Any]],
    model: Mapping[str, Any],
    sites: pd.DataFrame | Iterable[Mapping[str, Any]],
    overall: pd.DataFrame | Iterable[Mapping[str, Any]],
    communities: pd.DataFrame | Iterable[Mapping[str, Any]] = (),
    data_sources: Iterable[Mapping[str, Any]] = (),
    description: str = "",
    cost_yuan: float | None = None,
    needs: Mapping[str, Any] | None = None,
) -> Scenario:
    """Assemble and validate a scenario from plain dicts and DataFrames.

    Parameters
    ----------
    sites
        Rows with ``id, type, lon, lat`` and optional ``cost_yuan`` (None/NaN: not given) and ``capacity``.
    overall, communities
        Coverage rows (see :class:`CoverageRow`); community rows add ``community``.
    cost_yuan
        Total cost in yuan; defaults to the sum of the site costs, or None when any is not given.
    needs
        The needs survey the plan used (:class:`NeedsRecord` fields), or None.

    Raises
    ------
    PlanningError
        ``scenario_invalid`` naming the first bad field.
    """
    site_rows = _records(sites)
    raw = {
        "name": name,
        "description": description,
        "created_at": datetime.now(timezone.utc).replace(microsecond=0),
        "area": dict(area),
        "data_sources": [dict(d) for d in data_sources],
        "facility_types": {k: dict(v) for k, v in facility_types.items()},
        "model": dict(model),
        "sites": site_rows,
        "metrics": {"overall": _records(overall), "communities": _records(communities)},
        "cost_yuan": cost_yuan if cost_yuan is not None else _total_cost(site_rows),
    }
    if needs is not None:
        raw["needs"] = dict(needs)
    return _validate(raw, "<build_scenario>")


def save_scenario(
    scenario: Scenario,
    directory: str | Path | None = None,
    filename: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the scenario with its digest; never replace a file unless ``overwrite``.

    Without ``filename`` the name is derived from the scenario name, and an existing
    file leads to ``<stem>-v2.yaml``, ``<stem>-v3.yaml`` … With ``filename`` an existing
    file is refused unless ``overwrite=True``.

    Returns
    -------
    Path
        The file written.
    """
    directory = Path(directory) if directory is not None else paths.scenario_dir()
    text = yaml.safe_dump(scenario.sealed().content(), allow_unicode=True, sort_keys=False)
    if filename is not None:
        path = directory / filename
        try:
            return write_text(path, text, replace=overwrite)
        except PlanningError as err:
            if err.code == "output_exists":
                raise PlanningError("scenario_exists", path=path) from None
            raise
    stem = _slug(scenario.name)
    for version in range(1, 10_000):
        path = directory / (f"{stem}.yaml" if version == 1 else f"{stem}-v{version}.yaml")
        if path.exists():
            continue
        try:
            # written whole, then linked into place only if the name is still free: two savers never collide
            return write_text(path, text, replace=False)
        except PlanningError as err:
            if err.code != "output_exists":
                raise
    raise PlanningError("scenario_exists", path=directory / f"{stem}.yaml")


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and digest-check a scenario file.

    Raises
    ------
    PlanningError
        ``file_not_found``, ``scenario_not_yaml``, ``scenario_schema_version``,
        ``scenario_invalid`` (with field and reason) or ``scenario_tampered``.
    """
    path = Path(path)
    if not path.is_file():
        raise PlanningError("file_not_found", path=path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:  # not YAML, or not text at all
        raise PlanningError("scenario_not_yaml", path=path, reason=error_reason(exc)) from None
    if not isinstance(raw, dict):
        raise PlanningError("scenario_not_yaml", path=path, reason="not a mapping")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise PlanningError(
            "scenario_schema_version", path=path, version=version, supported=SCHEMA_VERSION
        )
    scenario = _validate(raw, str(path))
    if not scenario.digest or scenario.digest != scenario.content_digest():
        raise PlanningError("scenario_tampered", path=path)
    return scenario


def scenarios_of_area(area_name: str, wanted: Iterable[str], directory: str | Path | None = None) -> list[Path]:
    """The scenario files ``wanted`` names for a poll on area ``area_name``: a file path, or a saved
    scenario's name (its newest version in ``directory``, the user folder by default).

    Raises
    ------
    PlanningError
        ``scenario_other_area`` for a plan of another area; ``scenario_name_not_found`` listing the
        names saved for this area.
    """
    directory = Path(directory) if directory is not None else paths.scenario_dir()
    saved: dict[str, tuple[tuple[datetime, int], Path]] = {}
    for path in directory.glob("*.yaml"):
        try:
            scenario = load_scenario(path)
        except PlanningError:
            continue  # a damaged or foreign file is not a candidate; naming it directly still says why
        # created_at is kept to the second: the file's write time orders versions saved within one
        newest = (scenario.created_at, path.stat().st_mtime_ns)
        if scenario.area.name == area_name and (scenario.name not in saved or newest > saved[scenario.name][0]):
            saved[scenario.name] = (newest, path)
    chosen = []
    for item in wanted:
        if Path(item).is_file():
            scenario = load_scenario(item)
            if scenario.area.name != area_name:
                raise PlanningError("scenario_other_area", path=item, found=scenario.area.name, area=area_name)
            chosen.append(Path(item))
        elif str(item) in saved:
            chosen.append(saved[str(item)][1])
        else:
            raise PlanningError("scenario_name_not_found", name=item, area=area_name,
                                names="、".join(sorted(saved)) or "—")
    return chosen


def plan_cost_yuan(scenario: Scenario) -> float | None:
    """The plan's total cost in yuan, or None when it is not given.

    Files saved before a cost could be "not given" recorded 0 yuan for p-median plans, whose
    model carries no cost; a 0 there means "not given" and reads so.
    """
    return None if _unpriced_legacy(scenario) else scenario.cost_yuan


def with_tasks(scenario: Scenario, tasks: Mapping[str, Mapping[str, Any]]) -> Scenario:
    """A copy with the task-table fields of the sites filled from ``tasks`` (site id → {field: text});
    blank text clears a field. The copy is unsealed: save it as a new version for the 公示.

    Raises
    ------
    PlanningError
        ``scenario_invalid`` for an unknown site or field, or text that is too long.
    """
    known = {site.id for site in scenario.sites}
    raw = scenario.model_dump(mode="python", exclude={"digest"})
    for site in raw["sites"]:
        for name, value in tasks.get(site["id"], {}).items():
            if name not in TASK_FIELDS:
                raise PlanningError("scenario_invalid", path="<tasks>", field=f"{site['id']}.{name}",
                                    reason="not a task-table field")
            text = "" if value is None or _is_missing(value) else str(value).strip()
            site[name] = text or None
    unknown = sorted(set(tasks) - known)
    if unknown:
        raise PlanningError("scenario_invalid", path="<tasks>", field=unknown[0], reason="no such site")
    return _validate(raw, "<tasks>")


def coverage_frame(scenario: Scenario) -> pd.DataFrame:
    """All coverage rows (overall rows have ``community`` = None) as one DataFrame."""
    rows = [r.model_dump() for r in [*scenario.metrics.overall, *scenario.metrics.communities]]
    return pd.DataFrame(rows, columns=list(CoverageRow.model_fields))


def sites_frame(scenario: Scenario) -> pd.DataFrame:
    """The chosen sites as a DataFrame (lon/lat in WGS84 degrees; ``cost_yuan`` NaN when not given)."""
    frame = pd.DataFrame([s.model_dump() for s in scenario.sites], columns=list(Site.model_fields))
    frame["cost_yuan"] = np.nan if _unpriced_legacy(scenario) else frame["cost_yuan"].astype(float)
    return frame


def _total_cost(site_rows: list[dict[str, Any]]) -> float | None:
    costs = [row.get("cost_yuan") for row in site_rows]
    return None if any(c is None or _is_missing(c) for c in costs) else float(sum(costs))


def _unpriced_legacy(scenario: Scenario) -> bool:
    return (scenario.model.name == "p_median" and bool(scenario.sites) and scenario.cost_yuan == 0
            and all(site.cost_yuan == 0 for site in scenario.sites))


def _validate(raw: dict[str, Any], where: str) -> Scenario:
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(file)"
        raise PlanningError("scenario_invalid", path=where, field=field, reason=first["msg"]) from None


def _records(data: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(data, pd.DataFrame):
        # NaN from optional DataFrame columns means "not given", which pydantic spells None
        return [
            {k: (None if _is_missing(v) else v) for k, v in row.items()}
            for row in data.to_dict(orient="records")
        ]
    return [dict(row) for row in data]


def _is_missing(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _slug(name: str) -> str:
    # keep Chinese characters: a 街道 officer should recognise the file by its name
    slug = re.sub(r"[^\w\-]+", "-", name, flags=re.UNICODE).strip("-_")
    return slug or "scenario"
