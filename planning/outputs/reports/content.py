"""The report as plain data: sections of paragraphs, tables and figures, in one language.

Pure functions of :class:`~planning.outputs.reports.data.ReportData`; the renderers (PDF, HTML, Excel)
only lay these out. Headings and labels come from ``planning/locale/report.yaml``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planning.areas.build import Area
from planning.base.catalogue import FacilityType, load_catalogue
from planning.base.formatting import (
    UNKNOWN,
    count_text,
    is_known,
    value_text,
    yuan_text,
)
from planning.base.text import catalogue
from planning.outputs.formats import MEETS_SHARE
from planning.outputs.reports.data import ReportData

if TYPE_CHECKING:  # the scenario and poll functions import their modules when called: the app's first page
    from scenarios.scenario import Scenario  # (the OSM features table) does not wait for pydantic

TOP_CLUSTERS = 10


def label(key: str, lang: str, **params: Any) -> str:
    """Report text ``key`` in ``lang`` (``"zh"``/``"en"``) with ``params`` filled in (``report.yaml``)."""
    return catalogue("report").text(key, lang, **params)


def has_label(key: str) -> bool:
    return key in catalogue("report").table


def joined(items: Sequence[str], lang: str, sep: str = "list_sep") -> str:
    """Items joined the way the language lists them: 甲、乙、丙 · a, b, c (``sep``: a separator key)."""
    return label(sep, lang).join(items)


@dataclass(frozen=True)
class Table:
    """A table with localised headers; ``kinds`` says how each column is shown.

    Kinds: ``text``, ``int`` (people, counts), ``pct`` (share 0–1), ``minutes`` (``inf`` = none
    within 60 minutes), ``yuan`` and ``coord`` (degrees).

    ``key`` names the Excel sheet / CSV file. ``sheet=False``: printed only (it repeats rows
    of a sheet); ``printed=False``: exported only (too wide or too long for paper).
    """

    key: str
    title: str
    frame: pd.DataFrame
    kinds: dict[str, str]
    caption: str = ""
    sheet: bool = True
    printed: bool = True


@dataclass(frozen=True)
class Figure:
    """A map image (PNG bytes) with its caption; ``half``: printed beside the next half figure."""

    key: str
    caption: str
    png: bytes
    half: bool = False


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    page_break: bool = False


@dataclass(frozen=True)
class ReportContent:
    """Title block and sections of one report, in ``lang``."""

    lang: str
    title: str
    subtitle: list[str]
    sections: list[Section]
    attribution: str

    def sheets(self) -> list[Table]:
        """Tables that are exported one per Excel sheet / CSV file."""
        return [t for s in self.sections for t in s.tables if t.sheet]


def cell_text(value: Any, kind: str, lang: str) -> str:
    """A table value as printed: 12,345 · 85.0% · 12.3 · 超过 60 分钟 · 1,500,000 (see
    :func:`planning.formatting.value_text`; unknown figures read "—", unknown costs "未填写")."""
    return value_text(value, kind, lang)


def footnoted(table: Table, lang: str) -> Table:
    """``table`` with a caption explaining "—" when one of its cells prints as "—"."""
    printed = (cell_text(v, table.kinds[c], lang) for c in table.frame.columns for v in table.frame[c])
    if UNKNOWN not in printed:
        return table
    return replace(table, caption=joined([c for c in (table.caption, label("footnote_unknown", lang)) if c], lang,
                                         "sentence_sep"))


def source_text(layer: str, origin: str, lang: str) -> str:
    """"居民点：推算" for a layer and where it came from (file names are shown as they are)."""
    name = label(f"layer_{layer}", lang) if has_label(f"layer_{layer}") else layer
    where = label(f"origin_{origin}", lang) if has_label(f"origin_{origin}") else origin
    return label("labelled", lang, name=name, value=where)


def osm_features_table(area: Area, types: Sequence[FacilityType], lang: str) -> Table | None:
    """Which OSM feature became which facility type, and which were left out and why (None
    when the facilities did not come from OSM)."""
    features = area.osm_features
    if features is None or features.empty:
        return None
    names = {t.key: t.name(lang) for t in types}
    order = {key: i for i, key in enumerate(names)}
    rows = features[features["type"].isin(names)]
    if rows.empty:
        return None
    rows = rows.assign(_order=rows["type"].map(order), _counted=~rows["status"].isin(["used", "counts_as"]))
    rows = rows.sort_values(["_order", "_counted", "name", "osm_id"], kind="stable")
    status = [label(f"osm_status_{s}", lang, detail=d, type=names.get(d, d))
              for s, d in zip(rows["status"], rows["detail"])]
    lon_lat = rows.geometry.to_crs(4326)
    frame = pd.DataFrame({
        label("col_type", lang): rows["type"].map(names).to_numpy(),
        label("col_name", lang): rows["name"].to_numpy(),
        label("col_osm_id", lang): rows["osm_id"].to_numpy(),
        label("col_osm_match", lang): rows["osm_match"].to_numpy(),
        label("col_osm_status", lang): status,
        label("col_lon", lang): lon_lat.x.to_numpy(), label("col_lat", lang): lon_lat.y.to_numpy(),
    })
    kinds = dict(zip(frame.columns, ["text"] * 5 + ["coord", "coord"]))
    return Table("osm_features", label("osm_features_title", lang), frame, kinds,
                 caption=label("osm_features_caption", lang))


def _type_name(data: ReportData, key: str, lang: str) -> str:
    return next((t.name(lang) for t in data.types if t.key == key), key)


def _names(data: ReportData, keys: list[str], lang: str) -> str:
    return joined([_type_name(data, k, lang) for k in keys], lang)


def _meets_text(row: pd.Series, present: list[str], share: float, lang: str,
                reference: frozenset = frozenset()) -> str:
    if row["type"] in reference:
        return label("meets_reference", lang)
    if row["type"] not in present:
        return label("no_data", lang)
    if not is_known(row["covered_at_tier"]):
        return UNKNOWN
    return label("meets_yes" if row["covered_at_tier"] >= share else "meets_no", lang)


def coverage_table(data: ReportData, rows: pd.DataFrame, key: str, title: str, lang: str, share: float,
                   with_community: bool = False, sheet: bool = True, caption: str = "") -> Table:
    """Coverage rows (``Coverage.overall`` / ``by_community``) with localised headers."""
    tiers = data.coverage.tiers
    columns: dict[str, tuple[Any, str]] = {}
    if with_community:
        columns[label("col_community_code", lang)] = (rows["community"], "text")
        columns[label("col_community", lang)] = (rows["name"], "text")
        columns[label("col_population", lang)] = (rows["population"], "int")
        columns[label("col_elderly", lang)] = (rows["pop_60plus"], "int")
    columns[label("col_type", lang)] = (rows["type"].map(lambda k: _type_name(data, k, lang)), "text")
    columns[label("col_tier", lang)] = (rows["tier_minutes"], "int")
    columns[label("col_served", lang)] = (rows["served_population"], "int")
    for tier in tiers:
        columns[label("col_covered", lang, minutes=f"{tier:g}")] = (rows[f"covered_{tier:g}min"], "pct")
    columns[label("col_covered_tier", lang)] = (rows["covered_at_tier"], "pct")
    columns[label("col_median", lang)] = (rows["median_minutes"], "minutes")
    columns[label("col_p90", lang)] = (rows["p90_minutes"], "minutes")
    columns[label("col_meets", lang)] = (rows.apply(_meets_text, axis=1,
                                                    args=(data.present, share, lang, _reference(data))), "text")
    frame = pd.DataFrame({name: values.to_numpy() for name, (values, _) in columns.items()})
    return Table(key, title, frame, {name: kind for name, (_, kind) in columns.items()}, caption=caption, sheet=sheet)


def _meeting(rows: pd.DataFrame, present: list[str], share: float) -> pd.Series:
    return rows["type"].isin(present) & (rows["covered_at_tier"] >= share)


def _reference(data: ReportData) -> frozenset:
    """Types shown for reference only (not life-circle facilities, e.g. hospitals): no tier to meet."""
    return frozenset(t.key for t in data.types if not t.life_circle)


def _life_circle(data: ReportData, rows: pd.DataFrame) -> pd.DataFrame:
    return rows[~rows["type"].isin(_reference(data))]


def summary_section(data: ReportData, lang: str, share: float) -> Section:
    """Residents, facility types that meet their tier, facilities present and missing."""
    area, overall = data.area, _life_circle(data, data.coverage.overall)
    ok = overall[_meeting(overall, data.present, share)]["type"]
    counts = area.facilities["type"].value_counts()
    paragraphs = [
        label("summary_people", lang, communities=len(area.communities),
              population=count_text(area.demand["population"].sum()), elderly=count_text(area.demand["pop_60plus"].sum())),
        label("summary_meets", lang, n_ok=len(ok), n_types=len(overall),
              ok_list=_names(data, list(ok), lang) or label("summary_none", lang)),
        label("summary_facilities", lang, counts=joined(
            [label("facility_count", lang, name=t.name(lang), n=int(counts.get(t.key, 0))) for t in data.types], lang)),
    ]
    missing = [t.name(lang) for t in data.types if t.key not in data.present and t.life_circle]
    if missing:
        paragraphs.append(label("summary_missing", lang, types=joined(missing, lang)))
    return Section(label("sec_summary", lang), paragraphs)


def method_section(data: ReportData, lang: str, share: float, notes: Sequence[str] = ()) -> Section:
    """Walking speed, tiers, the threshold assumption, standards cited, data assumptions and ``notes``."""
    paragraphs = [
        label("method_walk", lang, speed=f"{data.speed_kmh:g}", tiers="/".join(f"{t:g}" for t in data.coverage.tiers)),
        label("method_threshold", lang, share=f"{share:.0%}"),
        label("method_served", lang),
        label("method_clusters", lang, cell=f"{data.cell_m:g}", top=TOP_CLUSTERS),
        label("method_standards", lang, items=joined(
            [label("standard_item", lang, type=t.name(lang), standard=t.standard) for t in data.types], lang,
            "clause_sep")),
    ]
    assumptions = [zh if lang == "zh" else en for zh, en in [*data.area.assumptions, *data.coverage.notes]]
    if assumptions:
        paragraphs.append(label("method_area_notes", lang, items=joined(assumptions, lang, "sentence_sep")))
    return Section(label("sec_method", lang), paragraphs + list(notes))


def location_text(row: pd.Series, lang: str) -> str:
    """"珠江路附近，区域中心东北方约 1.2 公里" from a cluster row (the community has its own column)."""
    parts = []
    if row["street"]:
        parts.append(label("near_street", lang, street=row["street"]))
    if row["direction"] == "centre":
        parts.append(label("centre", lang))
    else:
        parts.append(label("direction_of_centre", lang, direction=label(f"dir_{row['direction']}", lang),
                           km=f"{row['distance_km']:.1f}"))
    return joined(parts, lang, "clause_comma")


def clusters_table(data: ReportData, lang: str, top: int) -> Table:
    """The ``top`` largest uncovered clusters with a location a clerk can find on the ground."""
    rows = data.clusters.head(top)
    lon_lat = rows.geometry.to_crs(4326)
    frame = pd.DataFrame({
        label("col_rank", lang): np.arange(1, len(rows) + 1),
        label("col_lacking", lang): rows["types"].map(lambda keys: _names(data, keys.split(","), lang)).to_numpy(),
        label("col_uncovered", lang): rows["uncovered"].to_numpy(),
        label("col_elderly", lang): rows["uncovered_60plus"].to_numpy(),
        label("col_community", lang): rows["community_name"].to_numpy(),
        label("col_location", lang): rows.apply(location_text, axis=1, args=(lang,)).to_numpy(),
        label("col_lon", lang): lon_lat.x.to_numpy(),
        label("col_lat", lang): lon_lat.y.to_numpy(),
    })
    kinds = dict(zip(frame.columns, ["int", "text", "int", "int", "text", "text", "coord", "coord"]))
    return Table("clusters", "", frame, kinds)


def clusters_section(data: ReportData, lang: str, top: int) -> Section:
    """The largest clusters, or why there are none; types with no facility data are named."""
    paragraphs = [label("clusters_none", lang)] if data.clusters.empty else []
    missing = [_type_name(data, t.key, lang) for t in data.types if t.key not in data.present and t.life_circle]
    if missing:
        paragraphs.append(label("clusters_excluded", lang, types=joined(missing, lang)))
    return Section(label("sec_clusters", lang, top=top), paragraphs, [clusters_table(data, lang, top)])


def community_sections(data: ReportData, lang: str, share: float) -> list[Section]:
    """One section per community (社区): its people, the types below the threshold, its table."""
    table = data.coverage.by_community
    names = data.area.communities.set_index("code")["name"].astype(str)
    every = coverage_table(data, table, "communities", label("sheet_communities", lang), lang, share,
                           with_community=True)
    sections = [Section(label("sec_communities", lang), [], [replace(every, printed=False)], page_break=True)]
    for code, rows in table.groupby("community", sort=True):
        circle = _life_circle(data, rows)
        ok = _meeting(circle, data.present, share)
        gaps = [_type_name(data, k, lang) for k in circle.loc[~ok, "type"]]
        paragraphs = [label("community_people", lang, population=count_text(rows["population"].iloc[0]),
                            elderly=count_text(rows["pop_60plus"].iloc[0]), n_ok=int(ok.sum()), n_types=len(circle))]
        if gaps:
            paragraphs.append(label("community_gaps", lang, types=joined(gaps, lang)))
        title = label("named_code", lang, name=names.get(code, code), code=code)
        sections.append(Section(title, paragraphs, [
            coverage_table(data, rows, f"community_{code}", "", lang, share, sheet=False)]))
    return sections


def scenario_type_name(scenario: Scenario, key: str, lang: str) -> str:
    ftype = scenario.facility_types[key]
    return ftype.name_zh if lang == "zh" or not ftype.name_en else ftype.name_en


def model_words(name: str, lang: str) -> str:
    """A siting model as people call it (最大覆盖 …), never its code name."""
    return label(f"model_{name}", lang) if has_label(f"model_{name}") else label("model_other", lang)


def task_table(scenario: Scenario, lang: str) -> Table:
    """The 一表一图 task table: per site 项目、设施类型、位置、规模、投资估算、资金来源、责任单位、完成时限.

    Fields the organiser has not filled print blank; an unknown cost reads 未填写, never 0.
    """
    from scenarios.scenario import sites_frame

    sites = sites_frame(scenario)
    names = sites["type"].map(lambda k: scenario_type_name(scenario, k, lang))

    def text(column: str) -> list[str]:
        return ["" if value is None or value != value else str(value) for value in sites[column]]

    frame = pd.DataFrame({
        label("col_rank", lang): np.arange(1, len(sites) + 1), label("col_project", lang): text("project"),
        label("col_type", lang): names.to_numpy(), label("col_site_place", lang): text("location"),
        label("col_scale", lang): text("scale"), label("col_cost", lang): sites["cost_yuan"].to_numpy(),
        label("col_funding", lang): text("funding"), label("col_responsible", lang): text("responsible"),
        label("col_deadline", lang): text("deadline"),
    })
    kinds = dict(zip(frame.columns, ["int", "text", "text", "text", "text", "yuan", "text", "text", "text"]))
    return Table("scenario_tasks", label("scenario_tasks", lang), frame, kinds, caption=label("scenario_tasks_caption", lang))


def focus_tier(scenario: Scenario, kind: str) -> int | None:
    """The walking time a plan of ``kind`` is judged at: the type's life-circle tier in the catalogue, else
    the model's minutes, else the longest tier the scenario records (None: no row of that type)."""
    from scenarios.scenario import coverage_frame

    rows = coverage_frame(scenario)
    tiers = sorted(set(rows.loc[rows["type"] == kind, "tier_minutes"].astype(int)))
    known = load_catalogue().get(kind)
    for tier in (known.tier_minutes if known else None, scenario.model.minutes):
        if tier is not None and int(tier) in tiers:
            return int(tier)
    return tiers[-1] if tiers else None


def scenario_gain(scenario: Scenario) -> tuple[int, int]:
    """Residents (all, 60+) the plan brings within walking reach: the whole area's rows of each type
    built, at its :func:`focus_tier` (with several types, a resident gaining two counts twice)."""
    from scenarios.scenario import coverage_frame

    rows = coverage_frame(scenario)
    overall = rows[rows["community"].isna()]
    picked = [overall[(overall["type"] == kind) & (overall["tier_minutes"] == focus_tier(scenario, kind))]
              for kind in dict.fromkeys(site.type for site in scenario.sites)]
    top = pd.concat(picked) if picked else overall.iloc[:0]
    return (int((top["covered_after"] - top["covered_before"]).sum()),
            int((top["covered_60_plus_after"] - top["covered_60_plus_before"]).sum()))


def scenario_section(scenario: Scenario, lang: str, figures: Mapping[str, Figure]) -> Section:
    """The plan for a meeting: what is built, by whom and when (task table), what it costs, the map
    before → after, who gains, and coverage before/after per community."""
    from scenarios.scenario import coverage_frame, plan_cost_yuan, sites_frame

    names = {k: scenario_type_name(scenario, k, lang) for k in scenario.facility_types}
    sites = sites_frame(scenario)
    coordinates = pd.DataFrame({
        label("col_rank", lang): np.arange(1, len(sites) + 1), label("col_type", lang): sites["type"].map(names),
        label("col_lon", lang): sites["lon"], label("col_lat", lang): sites["lat"],
        label("col_cost", lang): sites["cost_yuan"], label("col_capacity", lang): sites["capacity"],
    })
    rows = coverage_frame(scenario)
    rows = rows.assign(gain=rows["covered_after"] - rows["covered_before"],
                       gain60=rows["covered_60_plus_after"] - rows["covered_60_plus_before"])
    per_community = rows[rows["community"].notna()]
    people = per_community["population"].where(per_community["population"] > 0)
    before_after = pd.DataFrame({
        label("col_community", lang): per_community["community"],
        label("col_type", lang): per_community["type"].map(names),
        label("col_tier", lang): per_community["tier_minutes"],
        label("col_population", lang): per_community["population"],
        label("col_before", lang): per_community["covered_before"] / people,
        label("col_after", lang): per_community["covered_after"] / people,
        label("col_gain", lang): per_community["gain"], label("col_gain_elderly", lang): per_community["gain60"],
    })
    gains = before_after[before_after[label("col_gain", lang)] > 0].sort_values(label("col_gain", lang),
                                                                                ascending=False, kind="stable")
    kinds_ba = dict(zip(before_after.columns, ["text", "text", "int", "int", "pct", "pct", "int", "int"]))
    gain, gain60 = scenario_gain(scenario)
    paragraphs = [label("scenario_summary", lang, n_sites=len(sites), cost=yuan_text(plan_cost_yuan(scenario), lang),
                        model=model_words(scenario.model.name, lang), minutes=f"{scenario.model.minutes:g}",
                        gain=count_text(gain), gain_elderly=count_text(gain60)),
                  label("scenario_other_area", lang, name=scenario.area.name)]
    if scenario.description:
        paragraphs.append(label("scenario_places", lang, places=scenario.description))
    return Section(
        label("sec_scenario", lang, name=scenario.name), paragraphs,
        [task_table(scenario, lang),
         Table("scenario_sites", label("scenario_sites", lang), coordinates,
               dict(zip(coordinates.columns, ["int", "text", "coord", "coord", "yuan", "int"])), printed=False),
         Table("scenario_gains", label("scenario_gains", lang), gains, kinds_ba, sheet=False),
         Table("scenario_communities", label("scenario_before_after", lang), before_after, kinds_ba)],
        [f for key, f in figures.items() if key.startswith("map_scenario")], page_break=True)


def ballot_text(ballot: Mapping[str, Any]) -> str:
    """A ballot as a voter wrote it: ``B > A > C``, ``A, C`` or ``A=5, B=3``."""
    if "ranking" in ballot:
        return " > ".join(ballot["ranking"])
    if "approve" in ballot:
        return ", ".join(ballot["approve"])
    return ", ".join(f"{k}={v}" for k, v in ballot["scores"].items())


def poll_section(published: Mapping[str, Any], lang: str) -> Section:
    """The published (公示) result: options with digests, the outcome, the count, and every receipt.

    A shared first place is told as a tie with the meeting's rule, never as a win; a ranked
    count adds IRV beside Schulze (:mod:`scenarios.voting.outcome`).
    """
    from scenarios.voting.outcome import irv_lines, outcome_lines

    tally, options = published["tally"], published["options"]
    titles = {o["key"]: o["title"] for o in options}
    quorum = published["quorum"]
    quorum_text = label("poll_quorum_none", lang) if quorum is None else label(
        "poll_quorum_met" if published["quorum_met"] else "poll_quorum_missed", lang, quorum=quorum)
    paragraph = label("poll_summary", lang, poll_id=published["poll_id"],
                      electorate=label(f"electorate_{published['electorate']}", lang),
                      method=label(f"method_{tally['method']}", lang), ballots=tally["ballots"], quorum=quorum_text)

    def name(key: str) -> str:
        return f"{key} {titles.get(key, '')}".strip()

    outcome = outcome_lines(tally, lang, name) + irv_lines(tally, lang, name)
    option_table = pd.DataFrame({
        label("col_option", lang): [o["key"] for o in options], label("col_title", lang): [o["title"] for o in options],
        label("col_scenario_file", lang): [Path(o["scenario_file"]).name for o in options],
        label("col_digest", lang): [o["scenario_digest"][:16] for o in options],
    })
    places = {key: place for place, group in enumerate(tally["ranking"], start=1) for key in group}
    count = pd.DataFrame({
        label("col_place", lang): [places[k] for k in tally["options"]], label("col_option", lang): tally["options"],
        label("col_title", lang): [titles.get(k, "") for k in tally["options"]],
        label("col_total", lang): [tally["totals"].get(k, 0) for k in tally["options"]],
    }).sort_values(label("col_place", lang), kind="stable")
    receipts = pd.DataFrame({
        label("col_receipt", lang): [b.get("receipt", "") for b in published["ballots"]],  # none when not published
        label("col_ballot", lang): [ballot_text(b["ballot"]) for b in published["ballots"]],
    })
    return Section(
        label("sec_poll", lang, title=published["title"]),
        [paragraph, *outcome, label("poll_receipts_note", lang, digest=published["ballots_digest"])],
        [Table("poll_options", label("poll_options", lang), option_table, dict.fromkeys(option_table.columns, "text"),
               sheet=False),
         Table("poll_tally", label("poll_tally", lang), count,
               dict(zip(count.columns, ["int", "text", "text", "int"]))),
         Table("poll_receipts", label("poll_receipts", lang), receipts, dict.fromkeys(receipts.columns, "text"))],
        page_break=True)


def assemble_report(data: ReportData, lang: str = "zh", figures: Mapping[str, Figure] | None = None,
                    share: float = MEETS_SHARE, top: int = TOP_CLUSTERS, today: date | None = None,
                    notes: Sequence[str] = ()) -> ReportContent:
    """The whole report in ``lang``.

    Parameters
    ----------
    figures
        Maps by key: ``map_<type>`` for the coverage maps, ``map_scenario`` for the scenario sites.
    share
        Share of served residents within the tier for a type to "meet" it (0–1).
    top
        Number of uncovered clusters listed.
    today
        Date printed on the report (default: today).
    notes
        Extra sentences for the method section (e.g. why the maps are missing).
    """
    figures = figures or {}
    area = data.area
    sources = joined([source_text(k, v, lang) for k, v in area.sources.items()], lang, "clause_sep")
    sections = [summary_section(data, lang, share), method_section(data, lang, share, notes),
                Section(label("sec_overall", lang), [], [coverage_table(
                    data, data.coverage.overall, "overall", "", lang, share,
                    caption=label("overall_caption", lang))])]
    maps = [figures[f"map_{t.key}"] for t in data.types if f"map_{t.key}" in figures]
    if maps:
        sections.append(Section(label("sec_maps", lang), [], [], maps, page_break=True))
    sections += [clusters_section(data, lang, top), *community_sections(data, lang, share)]
    if data.scenario is not None:
        sections.append(scenario_section(data.scenario, lang, figures))
    if data.poll is not None:
        sections.append(poll_section(data.poll, lang))
    listing = osm_features_table(area, data.types, lang)
    if listing is not None:
        sections.append(Section(label("sec_osm_features", lang), [listing.caption],
                                [replace(listing, title="", caption="")], page_break=True))
    sections = [replace(s, tables=[footnoted(t, lang) for t in s.tables]) for s in sections]
    return ReportContent(
        lang=lang, title=label("report_title_area", lang, area=area.name(lang)),
        subtitle=[label("generated", lang, date=(today or date.today()).isoformat()),
                  label("data_sources", lang, sources=sources)],
        sections=sections, attribution=area.attribution or "© OpenStreetMap contributors")
