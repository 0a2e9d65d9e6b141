"""The p-median's starting plan: swaps improve on greedy until no single swap helps, stranding nobody."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from optimize.p_median_start import greedy_nearest, improve_by_swaps


def people_seconds(reach: sp.csr_array, weights: np.ndarray, opened: np.ndarray) -> float:
    """People × seconds to the nearest open site, straight from the matrix (inf if a point is stranded)."""
    dense = np.where(reach.toarray() > 0, reach.toarray(), np.inf)[:, opened]
    return float(weights @ dense.min(axis=1))


def random_points(seed: int, n_points: int = 80, n_candidates: int = 14) -> tuple[sp.csr_array, np.ndarray]:
    """Points × candidates walking seconds on a random plane, reach cut at 900 s (some pairs missing)."""
    rng = np.random.default_rng(seed)
    points, sites = rng.uniform(0, 1500, (n_points, 2)), rng.uniform(0, 1500, (n_candidates, 2))
    seconds = np.hypot(*(points[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) / (4 / 3.6) + 1.0
    seconds[seconds > 900] = 0.0
    return sp.csr_array(seconds), rng.uniform(1, 50, n_points).round(1)


@pytest.mark.parametrize("seed", range(6))
def test_swaps_end_where_no_single_swap_helps_and_never_worse_than_greedy(seed):
    reach, weights = random_points(seed)
    p = 3
    greedy = greedy_nearest(reach, weights, p)
    assert greedy is not None
    opened, seconds = improve_by_swaps(reach, weights, greedy[0])
    assert opened.sum() == p
    best = people_seconds(reach, weights, opened)
    assert np.isfinite(best) and best == pytest.approx(float(weights @ seconds), rel=1e-12)
    assert best <= people_seconds(reach, weights, greedy[0]) + 1e-9
    for out, into in itertools.product(np.flatnonzero(opened), np.flatnonzero(~opened)):
        swapped = opened.copy()
        swapped[out], swapped[into] = False, True
        assert people_seconds(reach, weights, swapped) >= best - 1e-6 * best


def test_swaps_improve_greedy_somewhere():
    """Guards the search itself: on these instances greedy alone is not a local optimum."""
    improved = 0
    for seed in range(6):
        reach, weights = random_points(seed)
        greedy = greedy_nearest(reach, weights, 3)
        improved += people_seconds(reach, weights, improve_by_swaps(reach, weights, greedy[0])[0]) < \
            people_seconds(reach, weights, greedy[0]) - 1e-6
    assert improved >= 2


def test_a_swap_that_would_strand_a_resident_is_not_taken():
    # A reaches everyone, B and C one heavy point each; x (light) only from A.
    #            A      B     C
    seconds = [[1000,   0,    0],  # x, 0.01 people
               [900,   10,    0],  # h1, 100 people
               [900,    0,   10]]  # h2, 100 people
    reach, weights = sp.csr_array(np.array(seconds, dtype=float)), np.array([0.01, 100.0, 100.0])
    opened, seconds_after = improve_by_swaps(reach, weights, np.array([True, True, False]))
    # swapping A for C would save 88,910 people × seconds, but leave x with no site within reach
    assert opened.tolist() == [True, True, False]
    assert np.isfinite(people_seconds(reach, weights, opened))
