"""The optimal assignment against brute force on small random graphs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from matching.assignment import HOST_BITS, WAIT_BITS, assign, scale_rank


def brute_force_best(n: int, edges: dict[tuple[int, int], int], capacity: np.ndarray) -> int:
    """The largest total fit over every way to give each newcomer one candidate or none."""
    options = [[None] + [h for (i, h) in edges if i == row] for row in range(n)]
    best = 0
    for choice in itertools.product(*options):
        used = np.bincount([h for h in choice if h is not None], minlength=len(capacity))
        if (used <= capacity).all():
            best = max(best, sum(edges[(i, h)] for i, h in enumerate(choice) if h is not None))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_assignment_is_optimal_and_respects_capacity(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, hosts = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    capacity = rng.integers(0, 3, hosts)
    edges: dict[tuple[int, int], int] = {}
    for i in range(n):
        for h in rng.choice(hosts, size=int(rng.integers(0, hosts + 1)), replace=False):
            edges[(i, int(h))] = int(rng.integers(1, 6))  # small values: many ties
    rows = np.array([i for i, _ in edges], dtype=np.int64)
    cols = np.array([h for _, h in edges], dtype=np.int64)
    fit = np.array(list(edges.values()), dtype=np.int64)
    result = assign(
        n,
        rows,
        cols,
        fit,
        capacity,
        scale_rank(np.arange(n), n, WAIT_BITS),
        scale_rank(np.arange(hosts), hosts, HOST_BITS),
    )
    taken = [(i, int(h)) for i, h in enumerate(result) if h >= 0]
    assert all(pair in edges for pair in taken)
    assert (np.bincount([h for _, h in taken], minlength=hosts) <= capacity).all()
    assert sum(edges[p] for p in taken) == brute_force_best(n, edges, capacity)


def test_ties_go_to_the_higher_waiting_priority() -> None:
    # Two newcomers, one place, equal fit: the one with the higher priority gets it, whatever
    # the row order.
    for waited in ([0, 5], [5, 0]):
        result = assign(
            2,
            np.array([0, 1]),
            np.array([0, 0]),
            np.array([7, 7]),
            np.array([1]),
            np.array(waited),
            np.array([0]),
        )
        assert result[int(np.argmax(waited))] == 0
        assert result[int(np.argmin(waited))] == -1


def test_a_better_fit_beats_any_waiting_time() -> None:
    result = assign(
        2,
        np.array([0, 1]),
        np.array([0, 0]),
        np.array([7, 8]),
        np.array([1]),
        np.array([(1 << WAIT_BITS) - 1, 0]),
        np.array([0]),
    )
    assert list(result) == [-1, 0]


def test_more_places_than_newcomers() -> None:
    result = assign(
        2,
        np.array([0, 0, 1]),
        np.array([0, 1, 1]),
        np.array([3, 5, 4]),
        np.array([3, 3]),
        np.zeros(2, dtype=np.int64),
        np.zeros(2, dtype=np.int64),
    )
    assert list(result) == [1, 1]


def test_nothing_to_assign() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert list(assign(3, empty, empty, empty, np.array([1]), np.zeros(3, np.int64), empty)) == [
        -1,
        -1,
        -1,
    ]
