"""Static maps for reports: Chinese labels render, the scale bar is true, no network needed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from planning.base.errors import PlanningError
from planning.outputs.maps import static as staticmap
from planning.outputs.maps.layers import MapLabels
from planning.outputs.maps.static import ATTRIBUTION, cjk_font_family, draw_static_map
from tests.support.data import OUTPUT
from tests.support.map_layers import build_layers

LABELS = MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟")



@pytest.fixture(scope="module")
def layers():
    return build_layers()


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


def test_chinese_report_map_renders_without_missing_glyphs(layers):
    assert cjk_font_family() is not None, "install fonts-noto-cjk"
    fig = draw_static_map(layers.communities, LABELS, facilities=layers.facilities, sites=layers.sites,
                          demand=layers.demand, isochrones=layers.isochrones,
                          title="团城山街道 生活圈覆盖")
    OUTPUT.mkdir(exist_ok=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        fig.savefig(OUTPUT / "static_map.png", dpi=100)
    texts = _texts(fig)
    assert ATTRIBUTION in texts and "N" in texts and "覆盖比例" in texts and "社区 1" in texts
    assert (OUTPUT / "static_map.png").stat().st_size > 50_000


def test_names_and_titles_with_dollar_signs_are_drawn_as_text_not_tex(layers, tmp_path):
    """matplotlib reads "$…$" as TeX math: a 社区 or plan named with a broken formula stopped the printed
    map (and the PDF report) with a parse error, and "A$B$C" lost its dollar signs."""
    names = [r"社区$\frac{1}{$", "A$B$C 社区", *layers.communities["name"].iloc[2:]]
    communities = layers.communities.assign(name=names)
    fig = draw_static_map(communities, LABELS, title=r"方案 $\sqrt{$ 一", facilities=layers.facilities)
    fig.savefig(tmp_path / "dollars.png", dpi=60)  # raised ValueError (ParseSyntaxException) before
    drawn = {t.get_text(): t for t in fig.findobj(Text)}
    assert all(name in drawn and not drawn[name].get_parse_math() for name in names[:2])
    assert not drawn[r"方案 $\sqrt{$ 一"].get_parse_math()


def test_scale_bar_length_is_true_in_metres(layers):
    fig = draw_static_map(layers.communities, LABELS)
    ax = fig.axes[0]
    bar = max((p for p in ax.patches if isinstance(p, Rectangle)), key=lambda p: p.get_width())
    label = next(t for t in _texts(fig) if t.endswith(" m") or t.endswith(" km"))
    metres = float(label.split()[0]) * (1000 if label.endswith("km") else 1)
    assert bar.get_width() == pytest.approx(metres)
    # drawn in UTM zone 50N, so axis units are metres: the area is ~4.3 km wide
    assert 3000 < np.diff(ax.get_xlim())[0] < 6000


def test_chinese_labels_without_a_cjk_font_are_refused(layers, monkeypatch):
    monkeypatch.setattr(staticmap, "cjk_font_family", lambda: None)
    with pytest.raises(PlanningError) as err:
        draw_static_map(layers.communities, LABELS)
    assert err.value.code == "static_map_no_cjk_font" and "fonts-noto-cjk" in err.value.hint_en


def _name_boxes(fig, names: set[str]):
    """Window extents of the community names drawn (visible) once the figure is laid out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    shown = [t for t in ax.texts if t.get_text() in names and t.get_visible()]
    return ax.get_window_extent(renderer), [t.get_window_extent(renderer) for t in shown]


@pytest.mark.parametrize("legend", ["in the map", "moved below"])
def test_community_names_at_poster_size_stay_apart_and_inside_the_frame(layers, legend):
    from planning.outputs.reports.maps import map_png

    names = set(layers.communities["name"].astype(str))
    fig = draw_static_map(layers.communities, LABELS, sites=layers.sites, size_inches=(3.5, 3.5), label_size=14)
    if legend == "moved below":
        map_png(fig, dpi=60, columns=2)
    frame, boxes = _name_boxes(fig, names)
    assert boxes, "no community name left on the map"
    inside = [b for b in boxes if b.x0 >= frame.x0 - 0.5 and b.x1 <= frame.x1 + 0.5
              and b.y0 >= frame.y0 - 0.5 and b.y1 <= frame.y1 + 0.5]
    assert len(inside) == len(boxes), "a name runs past the map frame (cut off on paper)"
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
    assert overlapping == [], "two community names print over each other"
    # with room to spare every name is kept
    roomy = draw_static_map(layers.communities, LABELS, size_inches=(12, 12), label_size=6)
    assert len(_name_boxes(roomy, names)[1]) == len(names)
