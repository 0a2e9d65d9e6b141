"""Nearest street line of many points at once: a uniform grid over the lines' segments, in numba.

Every segment of every edge line is registered in the grid cells it passes through (long
segments in pieces no longer than a cell). A point looks at the cells around its own in growing
rings and stops once no unvisited cell can hold anything nearer than the best segment found, or
nothing within the snapping distance. Distances and positions along a line use the formulas of
GEOS (``Distance::pointToSegment``, ``LengthIndexedLine::project``), so the answers are those of
``shapely.distance`` / ``shapely.line_locate_point`` on the nearest line. Among lines at the same
distance the one listed first wins, and on it the first segment.

The grid is built once per network (:func:`edge_index`) and queried by chunks of points on the
search's thread pool (the kernel releases the GIL).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import shapely

from planning.network.kept import per_network
from planning.network.search import parallel_chunks

MIN_CELL_M = 5.0
MAX_CELLS_PER_SEGMENT = 4  # the grid has at most this many cells per segment (memory bound)


@dataclass(frozen=True, eq=False)
class EdgeIndex:
    """Segments of the edge lines (in line order) and the grid cells that list them."""

    ax: np.ndarray  # segment start
    ay: np.ndarray
    bx: np.ndarray  # segment end
    by: np.ndarray
    line: np.ndarray  # line (edge row) of each segment
    start_m: np.ndarray  # length along the line where the segment starts
    line_length: np.ndarray  # length of each line (sum of its segments, in order)
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    cell_ptr: np.ndarray
    cell_items: np.ndarray
    cell_segments: np.ndarray  # (ax, ay, bx, by) of each cell item, in cell order: a cell's segments in one read

    @classmethod
    def build(cls, lines: np.ndarray) -> "EdgeIndex":
        """Index the line geometries ``lines`` (edge order is kept: ties go to the lower row)."""
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        same = owner[1:] == owner[:-1]
        ax, ay = coords[:-1, 0][same], coords[:-1, 1][same]
        bx, by = coords[1:, 0][same], coords[1:, 1][same]
        line = owner[:-1][same].astype(np.int32)
        seg_len = np.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay))
        start_m, line_length = _measures(line, seg_len, len(lines))
        if len(ax) == 0:
            return cls(ax, ay, bx, by, line, start_m, line_length, 0.0, 0.0, 1.0, 1, 1,
                       np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros((0, 4)))
        x0 = float(min(ax.min(), bx.min()))
        y0 = float(min(ay.min(), by.min()))
        width = float(max(ax.max(), bx.max())) - x0
        height = float(max(ay.max(), by.max())) - y0
        cell = max(MIN_CELL_M, float(np.median(seg_len)) if len(seg_len) else MIN_CELL_M,
                   np.sqrt(width * height / (MAX_CELLS_PER_SEGMENT * len(ax))))
        nx, ny = int(width // cell) + 1, int(height // cell) + 1
        cell_ptr, cell_items = _register(ax, ay, bx, by, x0, y0, cell, nx, ny)
        cell_segments = np.column_stack([ax[cell_items], ay[cell_items], bx[cell_items], by[cell_items]])
        return cls(ax, ay, bx, by, line, start_m, line_length, x0, y0, cell, nx, ny, cell_ptr, cell_items,
                   cell_segments)

    def nearest(self, x: np.ndarray, y: np.ndarray, max_distance: float,
                n_threads: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(line, distance, length along the line) of each point's nearest line.

        ``line`` is -1 (distance ``inf``) where no line lies within ``max_distance``.
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        line = np.full(len(x), -1, np.int32)
        dist = np.full(len(x), np.inf)
        along = np.zeros(len(x))
        order = self._cell_order(x, y)

        def work(first: int, last: int) -> None:
            _nearest_chunk(x, y, order, first, last, float(max_distance), self.ax, self.ay, self.bx, self.by,
                           self.line, self.start_m, self.x0, self.y0, self.cell, self.nx, self.ny,
                           self.cell_ptr, self.cell_items, self.cell_segments, line, dist, along)

        parallel_chunks(len(x), work, n_threads)
        return line, dist, along

    def _cell_order(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The points by grid cell: neighbours query the same cells while they are in the cache
        (in input order the lookups jump across the whole grid; 2–3× slower on 50,000 points)."""
        i = np.clip((x - self.x0) // self.cell, 0, self.nx - 1)
        j = np.clip((y - self.y0) // self.cell, 0, self.ny - 1)
        return np.argsort(np.nan_to_num(j * self.nx + i), kind="stable")


def _measures(line: np.ndarray, seg_len: np.ndarray, n_lines: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each segment starts along its line and each line's length, summed in order (as GEOS)."""
    start = np.zeros(len(seg_len))
    total = np.zeros(n_lines)
    _cumulate(line, seg_len, start, total)
    return start, total


@numba.njit(nogil=True, cache=True)
def _cumulate(line, seg_len, start, total):
    for i in range(len(line)):
        start[i] = total[line[i]]
        total[line[i]] += seg_len[i]


@numba.njit(nogil=True, cache=True)
def _register(ax, ay, bx, by, x0, y0, cell, nx, ny):
    """CSR of cell → segments: each segment in every cell its pieces' boxes touch (a segment may
    be listed twice in a cell where two of its pieces meet: harmless, it is measured twice)."""
    n = len(ax)
    margin = 1e-6 * cell
    counts = np.zeros(nx * ny + 1, np.int64)
    for pass_ in range(2):
        if pass_ == 1:
            for c in range(nx * ny):
                counts[c + 1] += counts[c]
            items = np.empty(counts[nx * ny], np.int32)
            fill = counts[:-1].copy()
        for s in range(n):
            length = np.sqrt((bx[s] - ax[s]) ** 2 + (by[s] - ay[s]) ** 2)
            pieces = max(1, int(np.ceil(length / cell)))
            for k in range(pieces):
                t0, t1 = k / pieces, (k + 1) / pieces
                px0, px1 = ax[s] + t0 * (bx[s] - ax[s]), ax[s] + t1 * (bx[s] - ax[s])
                py0, py1 = ay[s] + t0 * (by[s] - ay[s]), ay[s] + t1 * (by[s] - ay[s])
                # boxes widened by a hair so rounding in the pieces never drops a cell the segment touches
                i0 = min(max(int((min(px0, px1) - margin - x0) // cell), 0), nx - 1)
                i1 = min(max(int((max(px0, px1) + margin - x0) // cell), 0), nx - 1)
                j0 = min(max(int((min(py0, py1) - margin - y0) // cell), 0), ny - 1)
                j1 = min(max(int((max(py0, py1) + margin - y0) // cell), 0), ny - 1)
                for i in range(i0, i1 + 1):
                    for j in range(j0, j1 + 1):
                        c = j * nx + i
                        if pass_ == 0:
                            counts[c + 1] += 1
                        else:
                            items[fill[c]] = s
                            fill[c] += 1
    return counts, items


@numba.njit(nogil=True, cache=True, inline="always")
def _point_to_segment(px, py, ax, ay, bx, by):
    """GEOS ``Distance::pointToSegment``."""
    if ax == bx and ay == by:
        return np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    if r >= 1.0:
        return np.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * np.sqrt(len2)


@numba.njit(nogil=True, cache=True, inline="always")
def _segment_measure(px, py, ax, ay, bx, by):
    """GEOS ``LengthIndexOfPoint::segmentNearestMeasure`` from the segment's start."""
    if px == ax and py == ay:
        return 0.0
    length = np.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay))
    if px == bx and py == by:
        return length
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return 0.0
    if r <= 1.0:
        return r * length
    return length


@numba.njit(nogil=True, cache=True)
def _nearest_chunk(x, y, order, first, last, max_distance, ax, ay, bx, by, line, start_m,
                   x0, y0, cell, nx, ny, cell_ptr, cell_items, cell_segments, out_line, out_dist, out_along):
    for q in range(first, last):
        p = order[q]
        px, py = x[p], y[p]
        # nothing to find when the grid's box itself is beyond the snapping distance
        gx = max(x0 - px, 0.0, px - (x0 + nx * cell))
        gy = max(y0 - py, 0.0, py - (y0 + ny * cell))
        if gx * gx + gy * gy > max_distance * max_distance:
            continue
        ci = int(np.floor((px - x0) / cell))
        cj = int(np.floor((py - y0) / cell))
        best_d = np.inf
        best_s = -1
        r = 0
        while True:
            for j in range(max(cj - r, 0), min(cj + r, ny - 1) + 1):
                step = 1 if j == cj - r or j == cj + r else 2 * r  # the ring: whole first/last row, else its ends
                for i in range(ci - r, ci + r + 1, step):
                    if 0 <= i < nx:
                        c = j * nx + i
                        for k in range(cell_ptr[c], cell_ptr[c + 1]):
                            s = cell_items[k]
                            d = _point_to_segment(px, py, cell_segments[k, 0], cell_segments[k, 1],
                                                  cell_segments[k, 2], cell_segments[k, 3])
                            if d < best_d or (d == best_d and s < best_s):
                                best_d = d
                                best_s = s
            # the nearest point outside the block of rings 0..r: nothing unvisited lies closer
            outside = min(px - (x0 + (ci - r) * cell), x0 + (ci + r + 1) * cell - px,
                          py - (y0 + (cj - r) * cell), y0 + (cj + r + 1) * cell - py)
            if best_d < outside or outside > max_distance:
                break
            if ci - r < 0 and cj - r < 0 and ci + r >= nx and cj + r >= ny:
                break  # the rings cover the whole grid
            r += 1
        if best_s >= 0 and best_d <= max_distance:
            out_line[p] = line[best_s]
            out_dist[p] = best_d
            out_along[p] = start_m[best_s] + _segment_measure(px, py, ax[best_s], ay[best_s], bx[best_s], by[best_s])


def edge_index(network) -> EdgeIndex:
    """The edge index of ``network``, built on first use and kept while the network lives."""
    return per_network(network, "edge_index", lambda: EdgeIndex.build(network.edges.geometry.to_numpy()))
