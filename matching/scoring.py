"""How well a host fits a newcomer: a weighted sum of six parts, each in [0, 1].

    score = 0.50 * interests    cosine of IDF-weighted interest vectors: canonical interests
                                (plus broader ones at half weight per level) and free tags
          + 0.15 * text         cosine of TF-IDF over the interview answers (past, present,
                                future, thoughts), Swedish and English stems plus the
                                interests the words name
          + 0.075 * age         exp(-(years apart / 12)^2); 0.5 when a birth year is unknown
          + 0.075 * household   families with children meet families (HOUSEHOLD_FIT)
          + 0.08 * area         1 when both live in the same area of the municipality
          + 0.12 * wishes       2/3 the share of the newcomer's wishes the host meets,
                                1/3 the share of the host's stated preferences ("gärna
                                familjer med barn") the newcomer meets

Age and household are the two halves of a stage of life (0.15 together); as separate parts a
coordinator's preference for closeness in age can be learned on its own
(``matching.learning``). ``COMPONENTS`` names the parts in this order.

Shared interests dominate because that is what coordinators matched on and what pairs keep
meeting for; rare interests count more than common ones through the IDF (two bandy fans say
more than two people who like music). The score never uses sensitive interests or words, or
where someone comes from.

Candidate generation is blocked: for a block of newcomers that speak the same languages,
one product with the hosts they share a language with gives the interest, text and area
parts at once (their feature blocks are scaled by the square roots of the weights; frequent
columns go through dense BLAS, rare ones through a sparse product), history pairs are
masked, and the best ``shortlist`` hosts are kept (``argpartition`` of the negated block).
Only those get the age, household and wish parts, so no step is quadratic in Python.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from matching.features import AGE_CODES, SAME_GENDER, PoolFeatures, SideFeatures
from matching.wishes import age_wish_holds

__all__ = [
    "COMPONENTS",
    "HOUSEHOLD_FIT",
    "Shortlist",
    "Weights",
    "age_fit",
    "components",
    "household_fit",
    "pair_dot",
    "rescore",
    "shortlist",
    "wish_fit",
]


# The score's parts, in the order the weights and the learner use them.
COMPONENTS: tuple[str, ...] = ("interests", "text", "age", "household", "area", "wishes")


@dataclass(frozen=True)
class Weights:
    """The weights of the score's parts (they sum to 1) and their shape parameters."""

    interests: float = 0.50
    text: float = 0.15
    age: float = 0.075
    household: float = 0.075
    area: float = 0.08
    wishes: float = 0.12
    # A broader interest (skiing for cross-country skiing) counts this much per level.
    parent_share: float = 0.5
    # An unrecognised word counts this much of a recognised interest.
    free_tag: float = 0.7
    # Years apart at which the age part has fallen to 1/e.
    age_scale: float = 12.0


# Household fit: rows newcomer, columns host, in the order single, couple, family, unknown.
HOUSEHOLD_FIT = np.array(
    [
        [0.8, 0.5, 0.2, 0.4],
        [0.5, 0.8, 0.3, 0.4],
        [0.2, 0.3, 1.0, 0.4],
        [0.4, 0.4, 0.4, 0.4],
    ],
    dtype=np.float32,
)

# Cells (newcomers x hosts) of one dense block in candidate generation: ~16 MB of float32,
# small enough to stay friendly to caches and the allocator.
_BLOCK_CELLS = 4_000_000
# Feature columns at least this share of the pool has are multiplied densely (BLAS).
DENSE_COLUMN_SHARE = 0.02
MAX_DENSE_COLUMNS = 512


def pair_dot(a: sp.csr_matrix, b: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Row ``rows[i]`` of ``a`` dotted with row ``cols[i]`` of ``b``, for every i."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.float32)
    product = a[rows].multiply(b[cols])
    return np.asarray(product.sum(axis=1), dtype=np.float32).ravel()


def age_fit(born_a: np.ndarray, born_b: np.ndarray, scale: float) -> np.ndarray:
    """exp(-(years apart / scale)^2); 0.5 when a birth year is unknown."""
    diff = (born_a - born_b) / scale
    out = np.exp(-(diff * diff)).astype(np.float32)
    out[np.isnan(out)] = 0.5
    return out


def household_fit(
    newcomers: SideFeatures, hosts: SideFeatures, ni: np.ndarray, hj: np.ndarray
) -> np.ndarray:
    """HOUSEHOLD_FIT for pairs (newcomer ni[i], host hj[i]); an unknown household is -1,
    the table's last row and column."""
    return np.asarray(HOUSEHOLD_FIT[newcomers.household[ni], hosts.household[hj]], np.float32)


def _age_wish(code: np.ndarray, wisher_born: np.ndarray, other_born: np.ndarray) -> np.ndarray:
    gap = wisher_born - other_born  # > 0 when the other is older
    older = (code == AGE_CODES["older"]) & age_wish_holds("older", gap)
    younger = (code == AGE_CODES["younger"]) & age_wish_holds("younger", gap)
    same = (code == AGE_CODES["same"]) & age_wish_holds("same", gap)
    return (older | younger | same).astype(np.float32)


def _gender_wish(code: np.ndarray, wisher: np.ndarray, other: np.ndarray) -> np.ndarray:
    # A gender not given never meets a gender wish.
    given = (code > 0) & (code < SAME_GENDER) & (other == code)
    same = (code == SAME_GENDER) & (wisher > 0) & (other == wisher)
    return (given | same).astype(np.float32)


def _one_side(
    wisher: SideFeatures, other: SideFeatures, wi: np.ndarray, oj: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Share of the wisher's preferences the other meets, and whether there were any."""
    out = np.zeros(len(wi), dtype=np.float32)
    has = wisher.pref_count[wi] > 0
    if not has.any():
        return out, has
    w, o = wi[has], oj[has]
    met = (pair_dot(wisher.pref_household, other.household_onehot, w, o) > 0).astype(np.float32)
    met += pair_dot(wisher.pref_area, other.area_onehot, w, o) > 0
    met += pair_dot(wisher.pref_language, other.languages, w, o) > 0
    wanted = np.asarray(wisher.pref_interests.sum(axis=1), dtype=np.float32).ravel()[w]
    hits = pair_dot(wisher.pref_interests, other.interest_binary, w, o)
    met += np.divide(hits, wanted, out=np.zeros_like(hits), where=wanted > 0)
    met += _age_wish(wisher.pref_age[w], wisher.birth[w], other.birth[o])
    met += _gender_wish(wisher.pref_gender[w], wisher.gender[w], other.gender[o])
    out[has] = met / wisher.pref_count[w]
    return out, has


def wish_fit(
    newcomers: SideFeatures, hosts: SideFeatures, ni: np.ndarray, hj: np.ndarray
) -> np.ndarray:
    """2/3 the share of the newcomer's wishes the host meets, 1/3 the share of the host's
    stated preferences the newcomer meets (a side without any contributes 0).

    The newcomer's wishes weigh more: the newcomer is the one being helped, and a host's
    general "gärna familjer" already overlaps the household part.
    """
    from_newcomer, _ = _one_side(newcomers, hosts, ni, hj)
    from_host, _ = _one_side(hosts, newcomers, hj, ni)
    return np.asarray((2.0 * from_newcomer + from_host) / 3.0, dtype=np.float32)


def _stacked(side: SideFeatures, pool: PoolFeatures, w: Weights) -> sp.csr_matrix:
    blocks = [
        side.interests * np.float32(math.sqrt(w.interests)),
        side.text * np.float32(math.sqrt(w.text)),
        side.area_onehot * np.float32(math.sqrt(w.area)),
    ]
    return sp.hstack(blocks, format="csr", dtype=np.float32)


@dataclass
class Shortlist:
    """Candidate hosts per newcomer: ``hosts[i, k]`` (-1 = none) with ``score[i, k]``."""

    hosts: np.ndarray
    score: np.ndarray


def _batches(items: Sequence[int], size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(items), size):
        yield np.asarray(items[start : start + size], dtype=np.int64)


def _split_columns(
    features_n: sp.csr_matrix, features_h: sp.csr_matrix
) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix, sp.csr_matrix]:
    """Frequent feature columns as dense arrays, the rest sparse.

    A column most people have (a common word, a broad interest) makes a sparse product do
    as much work as a dense one, only slower; those go through BLAS. Rare columns stay
    sparse, where they cost almost nothing.
    """
    width = features_n.shape[1]
    df = np.bincount(features_n.indices, minlength=width) + np.bincount(
        features_h.indices, minlength=width
    )
    people = features_n.shape[0] + features_h.shape[0]
    frequent = np.flatnonzero(df >= DENSE_COLUMN_SHARE * people)
    if len(frequent) > MAX_DENSE_COLUMNS:
        frequent = frequent[np.argsort(-df[frequent], kind="stable")[:MAX_DENSE_COLUMNS]]
    dense = np.zeros(width, dtype=bool)
    dense[frequent] = True
    dense_n = np.ascontiguousarray(features_n[:, dense].toarray())
    dense_h_t = np.ascontiguousarray(features_h[:, dense].toarray().T)
    sparse_n = features_n[:, ~dense].tocsr()
    sparse_h_t = features_h[:, ~dense].T.tocsr()
    return dense_n, dense_h_t, sparse_n, sparse_h_t


def shortlist(
    pool: PoolFeatures,
    w: Weights,
    blocked: Mapping[int, Sequence[int]],
    size: int,
) -> Shortlist:
    """The ``size`` best hosts per newcomer by the sparse parts of the score.

    Hard rules are applied here: a host shares no language with the newcomer, or the pair is
    in the history (``blocked``: newcomer row -> host rows), and the host is never a
    candidate.
    """
    newcomers, hosts = pool.newcomers, pool.hosts
    n, h = len(newcomers), len(hosts)
    m = min(size, h)
    out_hosts = np.full((n, max(m, 0)), -1, dtype=np.int32)
    out_score = np.full((n, max(m, 0)), -np.inf, dtype=np.float32)
    if n == 0 or h == 0 or m == 0:
        return Shortlist(out_hosts, out_score)
    dense_n, dense_h_t, sparse_n, sparse_h_t = _split_columns(
        _stacked(newcomers, pool, w), _stacked(hosts, pool, w)
    )
    # One BLAS thread: the blocks are mid-sized, and OpenBLAS threads that spin while the
    # machine is busy (web workers, other jobs) made them up to 50 times slower.
    with threadpool_limits(limits=1, user_api="blas"):
        _fill_shortlist(
            newcomers,
            hosts,
            blocked,
            m,
            (dense_n, dense_h_t, sparse_n, sparse_h_t),
            out_hosts,
            out_score,
        )
    return Shortlist(out_hosts, out_score)


def _fill_shortlist(
    newcomers: SideFeatures,
    hosts: SideFeatures,
    blocked: Mapping[int, Sequence[int]],
    m: int,
    features: tuple[np.ndarray, np.ndarray, sp.csr_matrix, sp.csr_matrix],
    out_hosts: np.ndarray,
    out_score: np.ndarray,
) -> None:
    dense_n, dense_h_t, sparse_n, sparse_h_t = features
    n, h = len(newcomers), len(hosts)
    host_languages = hosts.languages.tocsc()

    groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
    lang = newcomers.languages
    for row in range(n):
        cols = tuple(lang.indices[lang.indptr[row] : lang.indptr[row + 1]].tolist())
        groups[cols].append(row)

    for languages, members in groups.items():
        compatible = np.zeros(h, dtype=bool)
        starts, indices = host_languages.indptr, host_languages.indices
        for col in languages:
            compatible[indices[starts[col] : starts[col + 1]]] = True
        allowed = np.flatnonzero(compatible)
        if allowed.size == 0:
            continue  # nobody can talk with these newcomers: no candidates
        if allowed.size == h:
            group_dense, group_sparse = dense_h_t, sparse_h_t
        else:
            # Only hosts the group can talk with take part in the products: newcomers who
            # speak only a less common language have a few hundred hosts, not all of them.
            group_dense = np.ascontiguousarray(dense_h_t[:, allowed])
            group_sparse = sparse_h_t[:, allowed].tocsr()
        local = np.full(h, -1, dtype=np.int64)
        local[allowed] = np.arange(allowed.size)
        width = allowed.size
        keep = min(m, width)
        rows_per_block = max(1, _BLOCK_CELLS // width)
        for rows in _batches(members, rows_per_block):
            block = dense_n[rows] @ group_dense
            rare = sparse_n[rows] @ group_sparse
            # Add the rare part through flat indices (a canonical CSR has no duplicates).
            flat = np.repeat(np.arange(len(rows)) * width, np.diff(rare.indptr)) + rare.indices
            block.reshape(-1)[flat] += rare.data
            # Negated, so the best are the smallest: selecting the first m is several times
            # faster than selecting the last m, where many equal low scores pile up.
            np.negative(block, out=block)
            for k, row in enumerate(rows.tolist()):
                cut = blocked.get(row)
                if cut:
                    cut_cols = local[np.asarray(cut, dtype=np.int64)]
                    block[k, cut_cols[cut_cols >= 0]] = np.inf
            if keep < width:
                top = np.argpartition(block, keep - 1, axis=1)[:, :keep]
            else:
                top = np.broadcast_to(np.arange(width), (len(rows), width))
            values = -np.take_along_axis(block, top, axis=1)
            out_hosts[rows, :keep] = np.where(np.isfinite(values), allowed[top], -1)
            out_score[rows, :keep] = values


def rescore(pool: PoolFeatures, w: Weights, short: Shortlist) -> np.ndarray:
    """Full scores for the shortlist (same shape; -inf where there is no candidate)."""
    valid = short.hosts >= 0
    ni, k = np.nonzero(valid)
    hj = short.hosts[ni, k].astype(np.int64)
    total = np.full(short.hosts.shape, -np.inf, dtype=np.float32)
    if len(ni) == 0:
        return total
    nc, hs = pool.newcomers, pool.hosts
    extra = w.age * age_fit(nc.birth[ni], hs.birth[hj], w.age_scale)
    extra += w.household * household_fit(nc, hs, ni, hj)
    extra += w.wishes * wish_fit(pool.newcomers, pool.hosts, ni, hj)
    total[ni, k] = short.score[ni, k] + extra
    return total


def components(
    pool: PoolFeatures, w: Weights, ni: np.ndarray, hj: np.ndarray
) -> dict[str, np.ndarray]:
    """The unweighted parts of the score (``COMPONENTS``) for pairs (ni[i], hj[i])."""
    nc, hs = pool.newcomers, pool.hosts
    return {
        "interests": pair_dot(nc.interests, hs.interests, ni, hj),
        "text": pair_dot(nc.text, hs.text, ni, hj),
        "age": age_fit(nc.birth[ni], hs.birth[hj], w.age_scale),
        "household": household_fit(nc, hs, ni, hj),
        "area": ((nc.area[ni] == hs.area[hj]) & (nc.area[ni] >= 0)).astype(np.float32),
        "wishes": wish_fit(nc, hs, ni, hj),
    }
