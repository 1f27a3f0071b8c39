"""Optimal global assignment of newcomers to host capacity.

The candidate graph is sparse (each newcomer has a few candidate hosts). Each host is split
into one vertex per free place (capacity 1-3). The scarcer side (usually the places) are
the rows, and each row also gets a private "no partner" column, so a full matching always
exists and newcomers or places may stay unmatched. scipy's
``min_weight_full_bipartite_matching`` (LAPJVsp) then finds the matching of least cost, that
is, of greatest total fit. No greedy pass over newcomers is involved anywhere.

Costs are exact integers (well inside float64's 2**53) ordered lexicographically:

    fit quantised to 1e-4  >>  how long the newcomer has waited  >>  host id order

so a difference of 0.0001 in fit always wins, and between equal fits the newcomer who has
waited longest gets the place (then the host with the smaller id, for determinism).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

__all__ = ["FIT_QUANTUM", "HOST_BITS", "WAIT_BITS", "assign", "quantise"]

FIT_QUANTUM = 1e-4
WAIT_BITS = 14
HOST_BITS = 10
_FIT_UNIT = 1 << (WAIT_BITS + HOST_BITS)


def quantise(score: np.ndarray) -> np.ndarray:
    """Scores as integer multiples of FIT_QUANTUM (what "equal fit" means)."""
    return np.rint(np.asarray(score, dtype=np.float64) / FIT_QUANTUM).astype(np.int64)


def scale_rank(rank: np.ndarray, count: int, bits: int) -> np.ndarray:
    """Map ranks 0..count-1 onto 0..2**bits-1, keeping their order."""
    if count <= 1:
        return np.zeros_like(rank, dtype=np.int64)
    top = (1 << bits) - 1
    return (rank.astype(np.int64) * top) // (count - 1)


def assign(
    n_newcomers: int,
    rows: np.ndarray,
    hosts: np.ndarray,
    fit: np.ndarray,
    capacity: np.ndarray,
    waited: np.ndarray,
    host_order: np.ndarray,
) -> np.ndarray:
    """The host index assigned to each newcomer, or -1.

    ``rows``, ``hosts`` and ``fit`` (quantised, > 0) list the candidate edges; ``capacity``
    is each host's free places; ``waited`` is each newcomer's priority (higher = has waited
    longer) and ``host_order`` each host's tie priority (higher = preferred), both already
    scaled to WAIT_BITS and HOST_BITS.
    """
    result = np.full(n_newcomers, -1, dtype=np.int64)
    keep = (fit > 0) & (capacity[hosts] > 0)
    rows, hosts, fit = rows[keep], hosts[keep], fit[keep]
    if n_newcomers == 0 or len(rows) == 0:
        return result

    used, position = np.unique(hosts, return_inverse=True)
    # More places than candidate edges would be columns nobody can use.
    edges_per_host = np.bincount(position, minlength=len(used))
    places = np.minimum(capacity[used], edges_per_host).astype(np.int64)
    first_place = np.concatenate(([0], np.cumsum(places)[:-1]))
    n_places = int(places.sum())

    per_edge = places[position]
    edge = np.repeat(np.arange(len(rows)), per_edge)
    offset = np.arange(len(edge)) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    cols = first_place[position[edge]] + offset

    gain = fit[edge] * _FIT_UNIT + (waited[rows[edge]] << HOST_BITS) + host_order[hosts[edge]]
    ceiling = (int(fit.max()) + 1) * _FIT_UNIT
    # Everything positive (scipy treats zeros as missing edges); leaving a row without a
    # partner costs the ceiling, so any candidate with positive fit beats no partner.
    costs = np.concatenate(
        [(ceiling - gain).astype(np.float64), np.full(min(n_places, n_newcomers), float(ceiling))]
    )
    newcomer_of_edge = rows[edge]
    if n_places <= n_newcomers:
        # Places are scarce: rows are places, each with its own "stays empty" column, and
        # newcomers left over are simply unmatched columns. Same optimum as the other way
        # round, but LAPJVsp does work per row times columns, and scarce rows compete less.
        graph = sp.csr_matrix(
            (
                costs,
                (
                    np.concatenate([cols, np.arange(n_places)]),
                    np.concatenate([newcomer_of_edge, n_newcomers + np.arange(n_places)]),
                ),
            ),
            shape=(n_places, n_newcomers + n_places),
        )
        place_ind, newcomer_ind = min_weight_full_bipartite_matching(graph)
    else:
        graph = sp.csr_matrix(
            (
                costs,
                (
                    np.concatenate([newcomer_of_edge, np.arange(n_newcomers)]),
                    np.concatenate([cols, n_places + np.arange(n_newcomers)]),
                ),
            ),
            shape=(n_newcomers, n_places + n_newcomers),
        )
        newcomer_ind, place_ind = min_weight_full_bipartite_matching(graph)
    real = (place_ind < n_places) & (newcomer_ind < n_newcomers)
    place_host = np.repeat(used, places)
    result[newcomer_ind[real]] = place_host[place_ind[real]]
    return result
