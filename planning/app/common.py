"""What every page shares: language, translated words, cached library calls, maps, errors.

Pages hold layout and widgets only; every computation here is one call into ``planning`` or
``optimize``, cached so that a widget change reruns in well under a second.
"""
from __future__ import annotations

import html
import re
import sys
import tempfile
from collections.abc import Callable, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from planning.areas.build import DEFAULT_AREA, Area, demo_area_digest, demo_areas, load_demo_area
from planning.areas.store import is_saved, load_area, saved_area_digest
from planning.base import paths
from planning.base.catalogue import FacilityType, load_catalogue
from planning.base.errors import PlanningError
from planning.base.formatting import (
    UNKNOWN,
    count_text,
    export_numbers,
    share_text,
    wan_yuan_text,
)
from planning.base.text import LANGUAGES, normalise_language, pick, ui_text
from planning.base.text import catalogue as words_catalogue
from planning.base.walking import DEFAULT_SPEED_KMH, TIERS_MINUTES, speed_mps
from planning.coverage.cache import kept_coverage
from planning.coverage.residents import compute_coverage, served_weight
from planning.outputs.maps.layers import MapLabels, printed_map_labels

if TYPE_CHECKING:
    from optimize.siting import SitingData
    from scenarios.voting import VotingService

# What only some pages use (the optimiser, the voting database, scenarios, isochrones, exports) is imported
# where it is used: the first page (区域与数据) is drawn without paying for those imports, and
# planning.app.warm imports them once that page is drawn.

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
# Every alert names its icon. Without one, Streamlit looks for an emoji at the start of the text: that
# loads its emoji catalogue (0.6-0.75 s, on the first page of a cold start) and would move an emoji a
# user's text begins with (a file or plan name) out of the text into the icon.
ALERT_ICONS = {"info": ":material/info:", "warning": ":material/warning:", "error": ":material/error:",
               "success": ":material/check_circle:"}
PAGES_DIR = Path(__file__).resolve().parent / "pages"

# Large, calm defaults for older readers on phones; the vote page adds even larger sizes.
BASE_CSS = """
<style>
  .stButton button, .stDownloadButton button, .stFormSubmitButton button {
      min-height: 3rem; font-size: 1.1rem; padding: 0.4rem 1.2rem; }
  [data-testid="stMetricValue"] { font-size: 2rem; }
</style>
"""


# -- language ---------------------------------------------------------------------------

def lang() -> str:
    """The chosen language, remembered in session state and in ``?lang=``."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = normalise_language(st.query_params.get("lang"))
    return normalise_language(st.session_state["lang"])


def t(key: str, /, **params) -> str:
    """The word for ``key`` in the chosen language (from ``planning/locale/ui.yaml``)."""
    return ui_text(key, lang(), **params)


def language_switch() -> None:
    """中文 / English in the sidebar; the choice follows the user from page to page."""
    lang()
    st.sidebar.radio("语言 / Language", LANGUAGES, key="lang", horizontal=True,
                     format_func=LANGUAGE_NAMES.get)
    if st.query_params.get("lang") != st.session_state["lang"]:
        st.query_params["lang"] = st.session_state["lang"]


def show_error(err: PlanningError) -> None:
    """The error in the chosen language, shown literally (a message may quote a file name, a title or an address)."""
    st.error(markdown_literal(err.message(lang())), icon=ALERT_ICONS["error"])


@contextmanager
def planning_errors():
    """Show a :class:`PlanningError` as a message in the user's language, never a traceback."""
    try:
        yield
    except PlanningError as err:
        show_error(err)


_MARKDOWN_SIGNS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")
# GitHub-flavoured Markdown turns bare addresses into links even when every sign is escaped
_BARE_LINKS = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")


def escape_markdown(text: str) -> str:
    """User text shown literally by Streamlit's Markdown: no emphasis, link, image, HTML, LaTeX or ``:colour[…]``.

    Prefer :func:`show_plain` and friends, which keep user text out of Markdown altogether;
    where Streamlit insists on Markdown (alert boxes, widget labels) use :func:`markdown_literal`.
    """
    return _MARKDOWN_SIGNS.sub(r"\\\1", str(text))


def markdown_literal(text: str) -> str:
    """:func:`escape_markdown`, and bare addresses (``http://``, ``www.``, ``a@b.cn``) kept from becoming
    links by a zero-width space the reader does not see."""
    return escape_markdown(_BARE_LINKS.sub("\u200b", str(text)))


def _html(text) -> str:
    return html.escape(str(text)).replace("\n", "<br>")


def show_plain(text: str, tag: str = "div", css: str = "plain") -> None:
    """User text as text: an HTML block, which Markdown leaves alone (no link, image or emphasis is made)."""
    st.markdown(f'<{tag} class="{css}">{_html(text)}</{tag}>', unsafe_allow_html=True)


def show_title(text: str, level: int = 2) -> None:
    """A heading made of user text (a poll title, a plan's name), shown literally."""
    show_plain(text, f"h{level}", "plain-title")


def show_notice(text: str, kind: str = "note") -> None:
    """A boxed sentence holding user text (an outcome naming the plans): ``kind`` is ``ok``, ``tie`` or ``note``."""
    show_plain(text, "div", f"notice {kind}")


def show_list(items) -> None:
    """Sentences holding user text (a plan's description) as a bulleted list, shown literally."""
    st.markdown('<ul class="plain">' + "".join(f"<li>{_html(item)}</li>" for item in items) + "</ul>",
                unsafe_allow_html=True)


def show_table(frame: pd.DataFrame, css: str = "plain-table") -> None:
    """A table whose cells may hold user text, as a plain HTML table: shown literally, and found by the
    browser's Find (unlike the canvas grid of ``st.dataframe``)."""
    head = "".join(f"<th>{_html(c)}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f'<td class="{"n" if isinstance(v, (int, np.integer)) else ""}">{_html(v)}</td>'
                                    for v in row) + "</tr>" for row in frame.itertuples(index=False))
    st.markdown(f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>',
                unsafe_allow_html=True)


def show_notes(notes) -> None:
    """(zh, en) notices from the library, in the chosen language."""
    for zh, en in notes:
        st.info(pick((zh, en), lang()), icon=ALERT_ICONS["info"])


def remembered(key: str, default):
    """A value kept across pages (widget state is dropped when its page is not shown)."""
    return st.session_state.setdefault(f"saved_{key}", default)


def remember(key: str, value) -> None:
    st.session_state[f"saved_{key}"] = value


def stop_solve_elsewhere(page: str, state: MutableMapping | None = None) -> bool:
    """Every page run: on a page other than 设施选址 (``page`` is its url path), cancel the siting page's
    background solve — nobody watches it there. It ends with its best plan, shown as stopped on return.
    True when a running solve was cancelled."""
    state = st.session_state if state is None else state
    running = state.get("siting_job")
    if page == "siting" or running is None or running["job"].cancelled or running["job"].done():
        return False
    running["job"].cancel()
    running["left_page"] = True  # said on return: the user did not press 取消
    return True


# -- locations of data ------------------------------------------------------------------

def scenario_dir() -> Path:
    """Where scenarios are saved (the user folder's ``scenarios``, read at call time)."""
    return paths.scenario_dir()


@st.cache_resource(show_spinner=False)
def _voting_service(url: str) -> VotingService:
    from scenarios.voting import VotingService

    return VotingService.connect(url)


def database_url() -> str:
    """The voting database's address (:func:`scenarios.voting.db.database_url`)."""
    from scenarios.voting.db import database_url as url

    return url()


def voting_service() -> VotingService:
    """The voting service on ``DATABASE_URL`` / ``PLANNING_DB`` (default SQLite file)."""
    return _voting_service(database_url())


@st.cache_resource(show_spinner=False)
def _needs_service(url: str):
    from scenarios.voting.needs import NeedsService

    return NeedsService(_voting_service(url).engine)


def needs_service():
    """The 民情征集 service on the voting database (same engine, same organiser secret)."""
    return _needs_service(database_url())


def needs_text(key: str, /, **params) -> str:
    """A word of the 民情征集 pages in the chosen language (``planning/locale/needs.yaml``)."""
    return words_catalogue("needs").text(key, lang(), **params)


@st.cache_resource(show_spinner=False)
def _announce_setup_token(url: str) -> bool:
    """Once per server process: while no organiser secret is set, print a one-time setup token on
    the server's console (never on a page). Returns whether one was printed."""
    try:
        token = _voting_service(url).issue_setup_token()
    except PlanningError as err:  # the pages say it again; the console learns why there is no token
        print(err.one_line(), file=sys.stderr, flush=True)
        return False
    if token is not None:
        print(words_catalogue("poll").both("server_setup_token", token=token), flush=True)
    return token is not None


def announce_setup_token() -> None:
    """Print the organiser setup token on the server's console the first time the app runs."""
    _announce_setup_token(database_url())


def result_link(poll_id: int, key: str = "vote_see_result") -> None:
    """A link to the poll's result page (public)."""
    st.page_link(PAGES_DIR / "results.py", label=t(key), icon=":material/campaign:", query_params={"poll": poll_id})


def show_hash(value: str | None) -> None:
    """A long hex value (digest, chain head, key) that wraps on a phone instead of scrolling sideways."""
    st.markdown(f'<div class="hash">{html.escape(value or "")}</div>', unsafe_allow_html=True)


def turnout_panel(service, poll_id: int):
    """A poll's stage, codes used of issued (per batch) and its chain head, as read now: the meeting
    screen on the results page and the organiser's page show the same panel. Returns the poll as read."""
    from scenarios.voting.chain import short

    live = service.poll(poll_id)
    st.write(t("results_state", state=t(f"state_{live.state}")))
    left, right = st.columns(2)
    left.metric(t("results_used"), live.codes_used)
    right.metric(t("results_issued"), live.codes_issued)
    if live.batches:
        show_table(pd.DataFrame({
            t("col_batch"): [f"{b.batch} {b.label}".strip() for b in live.batches],
            t("col_issued"): [b.issued for b in live.batches], t("col_used"): [b.used for b in live.batches],
            t("col_late"): [b.reason if b.late else "" for b in live.batches]}))
    st.write(t("results_chain_head", n=live.chain_length, short=short(live.chain_head)))
    show_hash(live.chain_head)
    return live


HASH_CSS = """
<style>
  .hash { font-family: monospace; font-size: 1.05rem; word-break: break-all; overflow-wrap: anywhere;
          background: #f3f4f6; border-radius: 6px; padding: 0.4rem 0.6rem; }
  .plain-title { overflow-wrap: anywhere; }
  table.plain-table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
  table.plain-table td, table.plain-table th { border: 1px solid #ccc; padding: 0.35rem 0.6rem; text-align: left;
                                               overflow-wrap: anywhere; }
  table.plain-table td.n { text-align: right; }
  .notice { border-radius: 8px; padding: 0.8rem 1rem; margin: 0.4rem 0; font-size: 1.3rem; overflow-wrap: anywhere; }
  .notice.ok { background: #e8f5e9; color: #14532d; font-weight: 700; }
  .notice.tie { background: #fff7e0; color: #713f12; font-weight: 700; }
  .notice.note { background: #eef4fb; color: #1e3a5f; }
</style>
"""


# -- area and catalogue -----------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def catalogue() -> dict[str, FacilityType]:
    return load_catalogue()


@st.cache_resource(show_spinner=False)
def demo_area(key: str) -> Area:
    return load_demo_area(key)


@st.cache_resource(show_spinner=False, max_entries=4)
def _saved_area(name: str, stamp: str) -> Area:
    return load_area(name)


def area_choice() -> str:
    """The name of the area in use: this session's choice, else ``?area=`` in the URL (so a
    refresh, a bookmark or another browser opens the same area), else the default demo."""
    if "area_name" not in st.session_state:
        st.session_state["area_name"] = st.query_params.get("area") or DEFAULT_AREA
    name = st.session_state["area_name"]
    if name not in demo_areas() and not _stamp(name):  # an old link, an area removed meanwhile
        st.session_state["area_gone"] = name
        choose_area(DEFAULT_AREA)
    return st.session_state["area_name"]


def choose_area(name: str) -> None:
    """Use the area ``name`` from now on, on every page, and say so in the URL."""
    st.session_state["area_name"] = name
    st.query_params["area"] = name


def area_in_url() -> None:
    """Keep ``?area=`` on every page (the navigation drops query parameters)."""
    name = area_choice()
    if st.query_params.get("area") != name:
        st.query_params["area"] = name


def _stamp(name: str) -> str:
    """Changes when a saved area is saved again (so its cached layers and results are renewed); "" when not saved."""
    return str((paths.areas_dir() / name / "area.yaml").stat().st_mtime_ns) if is_saved(name) else ""


def current_area() -> tuple[Area, str]:
    """The area in use and a key naming it for the caches (``demo:<key>`` or ``saved:<name>:<stamp>``).

    A name that is neither saved nor a demo (an old link, a removed area) falls back to the default
    demo with a message; so does a saved area that can no longer be read (its message says how to add
    it again). A saved area of a demo's name cannot exist (refused when saving).
    """
    name = area_choice()
    if "area_gone" in st.session_state:
        st.warning(t("area_gone", name=st.session_state.pop("area_gone")), icon=ALERT_ICONS["warning"])
    stamp = _stamp(name)
    if not stamp:
        return demo_area(name), f"demo:{name}"
    try:
        return _saved_area(name, stamp), f"saved:{name}:{stamp}"
    except PlanningError as err:  # area.yaml damaged, or its copied files no longer build
        show_error(err)
        choose_area(DEFAULT_AREA)
        return demo_area(DEFAULT_AREA), f"demo:{DEFAULT_AREA}"


def type_name(key: str) -> str:
    return catalogue()[key].name(lang())


def facility_icons() -> dict[str, dict[str, str]]:
    return {k: {"icon": f.icon, "color": f.color} for k, f in catalogue().items()}


# -- cached computations (library calls) --------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=8)
def coverage(_area: Area, area_id: str, speed_kmh: float = DEFAULT_SPEED_KMH):
    """Walking minutes to every catalogue type, per demand point and community, kept on disk by what the area is made of."""
    types = list(catalogue().values())

    def compute():
        return compute_coverage(_area.network, _area.demand, _area.facilities, types, _area.communities,
                                TIERS_MINUTES, speed_kmh)

    if area_id.startswith("demo:"):
        digest = demo_area_digest(area_id.removeprefix("demo:"))
    else:  # "saved:<name>:<stamp>" (a name holds no ":")
        digest = saved_area_digest(area_id.removeprefix("saved:").rsplit(":", 1)[0])
    return kept_coverage(digest, types, TIERS_MINUTES, speed_kmh, compute)


@st.cache_resource(show_spinner=False, max_entries=16)
def walk_areas(_area: Area, area_id: str, type_key: str, speed_kmh: float = DEFAULT_SPEED_KMH):
    """Isochrones (5/10/15 min) around the existing facilities of one type, or None."""
    from planning.coverage.isochrones import isochrones
    from planning.network.snapping import snap_points

    sites = _area.facilities_of(type_key)
    if sites.empty:
        return None
    snapped = snap_points(_area.network, sites)
    return isochrones(_area.network, snapped, TIERS_MINUTES, speed_mps(speed_kmh))


@st.cache_resource(show_spinner=False, max_entries=4)
def siting_data(_area: Area, area_id: str, speed_kmh: float = DEFAULT_SPEED_KMH) -> SitingData:
    """Residents and candidate sites on the network; reach sets are built once per tier."""
    from optimize.siting import SitingData

    return SitingData.prepare(_area.network, _area.demand, _area.candidates, _area.facilities, speed_kmh)


def write_coverage_gpkg(path: Path, result, communities, types) -> None:
    """:func:`planning.outputs.exports.write_coverage_gpkg` (imported when a download is asked for)."""
    from planning.outputs.exports import write_coverage_gpkg as write

    write(path, result, communities, types)


@st.cache_resource(show_spinner=False, max_entries=4)
def coverage_files(_area: Area, area_id: str) -> tuple[bytes, bytes]:
    """(GeoPackage bytes, per-community CSV bytes) of the coverage for download."""
    from planning.outputs.cells import csv_text

    result = coverage(_area, area_id)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "coverage.gpkg"
        write_coverage_gpkg(path, result, _area.communities, list(catalogue().values()))
        gpkg = path.read_bytes()
    return gpkg, csv_text(export_numbers(result.by_community)).to_csv(index=False).encode("utf-8-sig")


_LAYER_FILES: dict[str, bytes] = {}
LAYER_FILES_KEPT = 4


def layers_file(area: Area, area_id: str) -> bytes:
    """Every layer of the area (:func:`planning.outputs.reports.exports.write_gpkg`) as GeoPackage bytes.

    Made when the download button is pressed (Streamlit runs this outside the page script, so it
    uses no Streamlit cache) and kept for the last few areas.
    """
    if area_id not in _LAYER_FILES:
        from planning.outputs.reports import prepare_report_data
        from planning.outputs.reports.exports import write_gpkg

        if len(_LAYER_FILES) >= LAYER_FILES_KEPT:
            _LAYER_FILES.pop(next(iter(_LAYER_FILES)))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "layers.gpkg"
            write_gpkg(path, prepare_report_data(area))
            _LAYER_FILES[area_id] = path.read_bytes()
    return _LAYER_FILES[area_id]


# -- map layers -------------------------------------------------------------------------

def map_labels() -> MapLabels:
    """The map words in the chosen language; scale bar and north arrow as the printed maps say them (500 米, 北)."""
    paper = printed_map_labels(lang())
    return MapLabels(t("map_communities"), t("map_covered_share"), t("map_facilities"), t("map_sites"),
                     t("map_uncovered"), t("map_isochrones"), t("map_minutes"), metres=paper.metres,
                     kilometres=paper.kilometres, north=paper.north, colon=paper.colon, legend=t("map_legend"),
                     unknown=t("map_unknown"), heat_note=t("map_heat_note"), few=t("map_few"), many=t("map_many"),
                     cluster_note=t("map_cluster_note"))


def community_layer(area: Area, cov, type_key: str, tier: float | None) -> gpd.GeoDataFrame:
    """Community polygons with ``covered_share`` of one type at a tier (None: the type's own tier);
    NaN where it cannot be computed (nobody the type serves lives there)."""
    rows = cov.by_community[cov.by_community["type"] == type_key].set_index("community")
    column = "covered_at_tier" if tier is None else f"covered_{tier:g}min"
    layer = area.communities[["code", "name", "geometry"]].copy()
    layer["covered_share"] = layer["code"].map(rows[column]).to_numpy()
    return layer


def demand_layer(cov, type_key: str, tier: float) -> gpd.GeoDataFrame:
    """Demand points with the weight the type counts and whether they are covered at the tier."""
    ftype = catalogue()[type_key]
    layer = cov.demand[["geometry"]].copy()
    layer["weight"] = served_weight(cov.demand, ftype)
    layer["covered"] = cov.demand[f"minutes_to_{type_key}"].to_numpy() <= tier
    return layer


def map_sidebar():
    """Base-map picker in the sidebar; returns (base map, Tianditu key)."""
    from planning.app.map_widgets import basemap_picker

    with st.sidebar:
        return basemap_picker(lang())


def draw_map(communities, key: str, height: int = 520, **layers) -> None:
    """A folium map from :func:`planning.outputs.maps.webmap.build_map`, shown without rerunning on pan/zoom."""
    from planning.app.map_widgets import show_map
    from planning.outputs.maps.webmap import build_map

    basemap, tianditu_key = map_sidebar()
    with planning_errors():
        m = build_map(communities, map_labels(), facility_icons=facility_icons(),
                      type_names={k: type_name(k) for k in catalogue()}, basemap=basemap,
                      tianditu_key=tianditu_key, **layers)
        show_map(m, key=key, returned_objects=[], height=height)


# -- numbers as people read them (planning.base.formatting, in the chosen language) ----------------

def share(value) -> str:
    """42.7% — "—" when it cannot be computed."""
    return share_text(value, lang())


def numeric_or_text(values: pd.Series, text: Callable[..., str], scale: float = 1.0,
                    decimals: int = 1) -> pd.Series:
    """``values × scale`` rounded to ``decimals`` when every value is known (the column sorts as
    numbers), else every value as ``text(value, lang)``: a table cell never shows None, NaN or
    Infinity ("—", "超过 60 分钟" or "未填写" instead)."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all() and np.isfinite(numbers).all():
        rounded = (numbers * scale).round(decimals)
        return rounded.astype("int64") if decimals == 0 else rounded
    return pd.Series([text(v, lang()) for v in values], index=values.index, dtype=object)


def unknown_footnote(*tables: pd.DataFrame) -> None:
    """A caption explaining "—" under tables that show one."""
    if any((table.astype(str) == UNKNOWN).any(axis=None) for table in tables):
        st.caption(t("footnote_unknown"))


# -- scenarios in plain words (vote and results pages) ------------------------------------------

def scenario_sentences(scenario) -> list[str]:
    """Three plain sentences: what is built, where, who gains."""
    from scenarios.scenario import plan_cost_yuan

    names = {k: pick((v.name_zh, v.name_en or v.name_zh), lang()) for k, v in scenario.facility_types.items()}
    counts = pd.Series([s.type for s in scenario.sites]).value_counts()
    built = t("list_sep").join(t("vote_built_item", n=int(n), name=names[k]) for k, n in counts.items())
    what = t("vote_built", items=built or "—", cost=wan_yuan_text(plan_cost_yuan(scenario), lang()))
    where = t("vote_where", places=scenario.description) if scenario.description else t("vote_where_unknown")
    gains = t("list_sep").join(
        t("vote_gain_item", m=row.tier_minutes, name=names[row.type], n=count_text(row.covered_after - row.covered_before),
          n60=count_text(row.covered_60_plus_after - row.covered_60_plus_before))
        for row in scenario.metrics.overall if row.covered_after > row.covered_before
    )
    return [what, where, t("vote_gain", items=gains or "—")]


@st.cache_data(show_spinner=False, max_entries=32)
def scenario_map_png(_scenario, digest: str, area_key: str, language: str) -> bytes | None:
    """A small static map of a scenario's sites over the demo area's communities, or None."""
    import io

    from planning.outputs.maps.static import draw_static_map

    area, scenario = demo_area(area_key), _scenario
    first = scenario.metrics.overall[0].type if scenario.metrics.overall else None
    rows = [r for r in scenario.metrics.communities if r.type == first]
    share = {r.community: r.covered_after / r.population if r.population else 0.0 for r in rows}
    layer = area.communities[["code", "name", "geometry"]].copy()
    layer["covered_share"] = layer["name"].map(share)
    if layer["covered_share"].isna().all() or not scenario.sites:
        return None
    layer["covered_share"] = layer["covered_share"].fillna(0.0)
    sites = gpd.GeoDataFrame({"id": [s.id for s in scenario.sites], "type": [s.type for s in scenario.sites]},
                             geometry=gpd.points_from_xy([s.lon for s in scenario.sites], [s.lat for s in scenario.sites]),
                             crs=4326)
    fig = draw_static_map(layer, map_labels(), sites=sites, size_inches=(5.0, 5.0))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def labels(keys, text) -> callable:
    """A ``format_func`` with the words fixed now (AppTest replays it outside the script run)."""
    table = {k: text(k) for k in keys}
    return table.__getitem__


# -- printed outputs: report PDF, Excel tables, 公示 poster ------------------------------------------

PRINT_FILES = {"pdf": ("print_pdf", "生活圈评估报告.pdf", "application/pdf"),
               "xlsx": ("print_xlsx", "生活圈评估表格.xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
               "poster": ("print_poster", "公示海报.pdf", "application/pdf")}


@st.cache_data(show_spinner=False, max_entries=8)
def _report_files(_area: Area, area_id: str, _scenario, digest: str, language: str) -> dict[str, bytes]:
    """The report as PDF and its tables as Excel (with the plan's section when a plan is given)."""
    from planning.outputs.reports.build import render
    from planning.outputs.reports.data import prepare_report_data

    data = prepare_report_data(_area, list(catalogue().values()), scenario=_scenario)
    return {"pdf": render(data, "pdf", language), "xlsx": render(data, "xlsx", language)}


@st.cache_data(show_spinner=False, max_entries=8)
def _poster_file(_area: Area, area_id: str, _scenario, digest: str, language: str, _poll, poll_key: tuple) -> bytes:
    from planning.outputs.poster import render_poster

    return render_poster(_area, _scenario, lang=language, poll=_poll)


def _app_address() -> str:
    """This app's address as the browser sees it (the QR code's default), e.g. ``http://192.168.1.5:8501``."""
    from urllib.parse import urlsplit

    from scenarios.voting.slips import DEFAULT_BASE_URL

    url = urlsplit(st.context.url or "")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{url.scheme}://{url.netloc}/{base}".rstrip("/") if url.netloc else DEFAULT_BASE_URL


def _poster_poll_fields(scenario, key: str, poll_id: int = 0):
    """The vote the poster calls for, typed beside the buttons: poll number (0: none), its dates and the
    app's public address for the QR code. Returns a :class:`~planning.outputs.poster.PosterPoll` or None."""
    from planning.outputs.poster import poster_poll

    left, right = st.columns([1, 2])
    poll_id = int(left.number_input(t("print_poll_id"), min_value=0, step=1, value=poll_id, key=f"{key}_poll",
                                    help=t("print_poll_id_help")))
    dates = right.text_input(t("print_poll_dates"), key=f"{key}_dates", placeholder=t("print_poll_dates_example"),
                             max_chars=60, help=t("print_poll_dates_help"))
    if not poll_id:
        return None
    base_url = st.text_input(t("org_base_url"), value=_app_address(), key=f"{key}_base", help=t("org_base_url_help"))
    return poster_poll(voting_service(), poll_id, scenario, base_url, dates)


def print_downloads(area: Area, area_id: str, scenario=None, key: str = "print", poll_id: int = 0) -> None:
    """Download buttons for the PDF report, its Excel tables and, with a plan, the A3 公示 poster.

    With a plan, the organiser may name a poll (and type its dates) for the poster's QR code, or the
    published result it prints (``poll_id``: the poll filled in). The files take a while to draw, so
    they are made on request and kept for the page's next runs.
    """
    st.subheader(t("print_title"))
    digest = (scenario.digest or scenario.content_digest()) if scenario is not None else ""
    poll, note = None, ""
    if scenario is not None:
        try:
            poll = _poster_poll_fields(scenario, key, poll_id)
        except PlanningError as err:
            note = err.message(lang())
    poll_key = (poll.poll_id, poll.state, poll.url, poll.dates, (poll.published or {}).get("ballots_digest")) \
        if poll is not None else ()
    ident = (area_id, digest, lang(), poll_key, note)
    stored = st.session_state.get(f"print_{key}")
    if stored is None or stored[0] != ident:
        st.caption(t("print_help") if scenario is not None else t("print_help_no_plan"))
        if note:
            st.warning(note, icon=ALERT_ICONS["warning"])
        if not st.button(t("print_prepare"), key=f"{key}_prepare"):
            return
        with planning_errors(), st.spinner(t("print_preparing")):
            files = dict(_report_files(area, area_id, scenario, digest, lang()))
            if scenario is not None:
                try:
                    files["poster"] = _poster_file(area, area_id, scenario, digest, lang(), poll, poll_key)
                except PlanningError as err:  # e.g. a plan of another area: the report still prints
                    note = err.message(lang())
            st.session_state[f"print_{key}"] = (ident, files, note)
        stored = st.session_state.get(f"print_{key}")
        if stored is None:
            return
    _, files, note = stored
    columns = st.columns(len(files))
    for column, (kind, payload) in zip(columns, files.items()):
        word, file_name, mime = PRINT_FILES[kind]
        column.download_button(t(word), payload, file_name=file_name, mime=mime, key=f"{key}_{kind}",
                               on_click="ignore")  # a download does not run the page again
    if note:
        st.info(note, icon=ALERT_ICONS["info"])


# -- the 一表一图 task table of a plan ------------------------------------------------------------

def task_editor(scenario, key: str) -> dict[str, dict[str, str]]:
    """The task fields of a plan's sites (项目、位置、规模、资金来源、责任单位、完成时限) in an editable table;
    returns site id → {field: text} as typed, for :func:`scenarios.scenario.with_tasks`."""
    from scenarios.scenario import TASK_FIELDS

    names = {k: pick((v.name_zh, v.name_en or v.name_zh), lang()) for k, v in scenario.facility_types.items()}
    headers = {name: t(f"task_{name}") for name in TASK_FIELDS}
    frame = pd.DataFrame({
        t("task_number"): range(1, len(scenario.sites) + 1),
        t("col_type"): [names.get(site.type, site.type) for site in scenario.sites],
        **{header: [getattr(site, name) or "" for site in scenario.sites] for name, header in headers.items()},
    })
    digest = scenario.digest or scenario.content_digest()  # another plan, another table (and its edits)
    edited = st.data_editor(
        frame, hide_index=True, num_rows="fixed", width="stretch", key=f"{key}_{digest[:12]}",
        disabled=[t("task_number"), t("col_type")],
        column_config={header: st.column_config.TextColumn(header, max_chars=200) for header in headers.values()})
    return {site.id: {name: edited[header].iloc[i] for name, header in headers.items()}
            for i, site in enumerate(scenario.sites)}


def task_form(scenario, key: str) -> None:
    """The plan's task table, filled here and saved as a new version of the scenario (the old file stays:
    a poll refers to it by its digest)."""
    from scenarios.scenario import save_scenario, with_tasks

    st.subheader(t("tasks_title"))
    st.caption(t("tasks_help"))
    tasks = task_editor(scenario, key)
    if st.button(t("tasks_save"), key=f"{key}_save"):
        with planning_errors():
            path = save_scenario(with_tasks(scenario, tasks), scenario_dir())
            st.success(t("tasks_saved", path=path.name), icon=ALERT_ICONS["success"])
