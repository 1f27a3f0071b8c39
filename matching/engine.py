"""``propose``: candidates with reasons for every newcomer, and one optimal assignment.

The pipeline for a pool:

1. drop hosts that may not get proposals (status not active, no free capacity);
2. build features for the pool (``matching.features``): normalised interests, interview
   text, area, household, age, wishes;
3. shortlist the best hosts per newcomer by blocked products over the hosts they share a
   language with, masking pairs in the history (``matching.scoring.shortlist``);
4. add age, household and wishes to the shortlist and rank it (``matching.scoring.rescore``);
5. assign newcomers to host places optimally (``matching.assignment.assign``);
6. explain the top candidates and the assigned host (``matching.reasons``).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from matching.assignment import (
    HOST_BITS,
    WAIT_BITS,
    assign,
    quantise,
    scale_rank,
)
from matching.features import (
    CONCEPT_PREFIX,
    GENDER_CODES,
    HOUSEHOLD_CODES,
    PoolFeatures,
    SideFeatures,
    build_features,
)
from matching.normalizer import InterestNormalizer, default_normalizer
from matching.profiles import HistoryEntry, HostProfile, NewcomerProfile, unique_ids
from matching.reasons import Fit, Reason, fit_of
from matching.scoring import Weights, components, rescore, shortlist
from matching.taxonomy import Taxonomy
from matching.wishes import age_wish_holds

__all__ = ["Candidate", "Proposal", "propose"]

# How many hosts per newcomer survive the sparse shortlist, and how many of the best the
# assignment may choose from. More costs time and memory, and hardly ever changes a result.
SHORTLIST = 40
ASSIGNMENT_CANDIDATES = 10
# Shown reasons per kind, so a reason stays a short sentence.
MAX_ITEMS = 3
# Text similarity above which the answers are called similar.
SIMILAR_ANSWERS = 0.2
CLOSE_IN_AGE = 10


@dataclass(frozen=True)
class Candidate:
    """A host proposed for a newcomer, with its score (0-1) and reasons.

    ``components`` holds the unweighted parts of the score (``interests``, ``text``, ``age``,
    ``household``, ``area``, ``wishes``), each in [0, 1].
    """

    host: str
    score: float
    reasons: list[Reason] = field(default_factory=list)
    components: dict[str, float] = field(default_factory=dict)

    @property
    def fit(self) -> Fit:
        """The score as a reader understands it: 0-100 and a band."""
        return fit_of(self.score)

    def to_dict(self, lang: str = "sv") -> dict[str, Any]:
        """``{"host", "score", "fit", "reasons": [text, ...], "reason_codes": [...]}``.

        ``reasons`` are worded in ``lang``; ``reason_codes`` carry the same reasons as data
        (``{"code", "params"}``) for a reader that words them itself.
        """
        return {
            "host": self.host,
            "score": self.score,
            "fit": self.fit.percent,
            "fit_band": self.fit.band,
            "components": dict(self.components),
            "reasons": [r.text(lang) for r in self.reasons],
            "reason_codes": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class Proposal:
    """The result for one newcomer: the assigned host (or None) and the best candidates.

    ``candidates`` are the ``top_k`` best hosts, best first. The assigned host is usually the
    first of them, but capacity can give the best host to someone else; its candidate entry
    is always in ``assigned_candidate``.
    """

    newcomer: str
    assigned: str | None
    candidates: list[Candidate] = field(default_factory=list)
    assigned_candidate: Candidate | None = None
    # Why the newcomer's best candidate went to someone else (``best_host_elsewhere``).
    why_not_best: Reason | None = None

    def to_dict(self, lang: str = "sv") -> dict[str, Any]:
        """The command line's JSON object for this newcomer."""
        out: dict[str, Any] = {
            "newcomer": self.newcomer,
            "assigned": self.assigned,
            "candidates": [c.to_dict(lang) for c in self.candidates],
        }
        if self.why_not_best is not None:
            out["why_not_best"] = self.why_not_best.text(lang)
            out["why_not_best_code"] = self.why_not_best.to_dict()
        return out


def _waiting_priority(newcomers: Sequence[NewcomerProfile]) -> np.ndarray:
    """Higher for newcomers who have waited longer; unknown dates count as waiting least."""
    order = sorted(
        range(len(newcomers)),
        key=lambda i: (newcomers[i].waiting_from or date.max, newcomers[i].id),
    )
    priority = np.empty(len(newcomers), dtype=np.int64)
    priority[order] = np.arange(len(newcomers) - 1, -1, -1)
    return scale_rank(priority, len(newcomers), WAIT_BITS)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, restoring its state afterwards.

    The pipeline creates hundreds of thousands of small acyclic objects (reasons,
    candidates); every few thousand allocations the collector would walk the whole heap,
    which at 50,000 newcomers costs more than building the reasons themselves. Reference
    counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def propose(
    hosts: Iterable[HostProfile],
    newcomers: Iterable[NewcomerProfile],
    history: Iterable[HistoryEntry] = (),
    top_k: int = 3,
    *,
    normalizer: InterestNormalizer | None = None,
    weights: Weights | None = None,
    min_score: float = 0.0,
) -> list[Proposal]:
    """Propose hosts for every newcomer and assign the pool optimally.

    Hard rules: a candidate shares a language with the newcomer; hosts that are paused,
    declined or at capacity get no proposals; pairs in ``history`` (rejected, declined,
    ended) are never proposed. Each host gets at most its free capacity of newcomers.
    Among optimal assignments, newcomers who have waited longest win ties.

    ``top_k`` is how many candidates each proposal shows; ``normalizer`` defaults to the
    shared ``default_normalizer()``; ``weights`` to ``Weights()``; a candidate must score
    above ``min_score`` to be shown or assigned.

    Returns one Proposal per newcomer, in the order given.
    """
    with _cyclic_gc_paused():
        return _propose(
            hosts,
            newcomers,
            history,
            top_k,
            normalizer=normalizer,
            weights=weights,
            min_score=min_score,
        )


def _propose(
    hosts: Iterable[HostProfile],
    newcomers: Iterable[NewcomerProfile],
    history: Iterable[HistoryEntry],
    top_k: int,
    *,
    normalizer: InterestNormalizer | None,
    weights: Weights | None,
    min_score: float,
) -> list[Proposal]:
    if top_k < 0:
        raise ValueError("top_k must be 0 or more")
    host_list = list(hosts)
    newcomer_list = list(newcomers)
    unique_ids(host_list, "host")
    unique_ids(newcomer_list, "newcomer")
    if not newcomer_list:
        return []
    eligible = [h for h in host_list if h.status == "active" and h.free_capacity > 0]
    norm = normalizer if normalizer is not None else default_normalizer()
    w = weights if weights is not None else Weights()

    pool = build_features(eligible, newcomer_list, norm, w.parent_share, w.free_tag)
    host_row = {h.id: j for j, h in enumerate(eligible)}
    newcomer_row = {n.id: i for i, n in enumerate(newcomer_list)}
    blocked: dict[int, list[int]] = defaultdict(list)
    for entry in history:
        i, j = newcomer_row.get(entry.newcomer), host_row.get(entry.host)
        if i is not None and j is not None:
            blocked[i].append(j)

    # A gender wish asked for as a must is a hard rule: other hosts are never candidates.
    host_genders = [h.gender for h in eligible]
    for i, newcomer in enumerate(newcomer_list):
        pref = pool.newcomers.prefs[i]
        if pref.gender_must:
            wanted = newcomer.gender if pref.gender == "same" else pref.gender
            blocked[i].extend(j for j, g in enumerate(host_genders) if not wanted or g != wanted)

    short = shortlist(pool, w, blocked, SHORTLIST)
    total = rescore(pool, w, short)
    n_hosts = len(eligible)

    # Rank each newcomer's shortlist: higher fit first, then smaller host id.
    host_rank = np.empty(n_hosts, dtype=np.int64)
    host_rank[sorted(range(n_hosts), key=lambda j: eligible[j].id)] = np.arange(n_hosts)
    finite = np.isfinite(total)
    fit = np.where(finite, quantise(np.where(finite, total, 0.0)), 0)
    eligible_fit = finite & (fit > 0) & (total > min_score)
    ranks = host_rank[np.maximum(short.hosts, 0)]
    key = np.where(eligible_fit, -fit * (n_hosts + 1) + ranks, np.iinfo(np.int64).max)
    order = np.argsort(key, axis=1, kind="stable")
    ranked_hosts = np.take_along_axis(short.hosts, order, axis=1)
    ranked_fit = np.take_along_axis(fit, order, axis=1)
    ranked_ok = np.take_along_axis(eligible_fit, order, axis=1)

    width = min(max(top_k, ASSIGNMENT_CANDIDATES), ranked_hosts.shape[1])
    ok = ranked_ok[:, :width]
    rows, cols = np.nonzero(ok)
    edge_hosts = ranked_hosts[rows, cols].astype(np.int64)
    capacity = np.array([h.free_capacity for h in eligible], dtype=np.int64)
    host_priority = scale_rank(n_hosts - 1 - host_rank, n_hosts, HOST_BITS)
    assigned = assign(
        len(newcomer_list),
        rows.astype(np.int64),
        edge_hosts,
        ranked_fit[rows, cols],
        capacity,
        _waiting_priority(newcomer_list),
        host_priority,
    )

    # Pairs to explain: the top_k candidates plus the assigned host. The score shown is the
    # one the ranking used, so order and numbers always agree.
    ranked_total = np.take_along_axis(total, order, axis=1)
    pair_n: list[int] = []
    pair_h: list[int] = []
    pair_total: list[float] = []
    spans: list[tuple[int, int, int]] = []  # per newcomer: first pair, shown count, assigned pair
    hosts_rows = ranked_hosts.tolist()
    ok_rows = ranked_ok.tolist()
    total_rows = ranked_total.tolist()
    for i in range(len(newcomer_list)):
        first = len(pair_n)
        row_hosts, row_ok, row_total = hosts_rows[i], ok_rows[i], total_rows[i]
        for k in range(min(top_k, len(row_hosts))):
            if row_ok[k]:
                pair_n.append(i)
                pair_h.append(row_hosts[k])
                pair_total.append(row_total[k])
        shown_count = len(pair_n) - first
        chosen = int(assigned[i])
        at = -1
        if chosen >= 0:
            position = row_hosts.index(chosen)
            if position < shown_count:
                at = first + position
            else:
                at = len(pair_n)
                pair_n.append(i)
                pair_h.append(chosen)
                pair_total.append(row_total[position])
        spans.append((first, shown_count, at))
    explained = _explain(
        pool,
        w,
        norm.taxonomy,
        np.array(pair_n, np.int64),
        np.array(pair_h, np.int64),
        np.array(pair_total, np.float64),
        [h.id for h in eligible],
    )

    why_not = _why_not_best(
        assigned, ranked_hosts, ranked_ok, ranked_total, width, eligible, newcomer_list
    )
    proposals: list[Proposal] = []
    for i, newcomer in enumerate(newcomer_list):
        first, shown_count, at = spans[i]
        shown = explained[first : first + shown_count]
        picked = explained[at] if at >= 0 else None
        note = why_not.get(i)
        if note is not None and picked is not None:
            # The explanation belongs with the host actually proposed.
            marked = replace(picked, reasons=[note, *picked.reasons])
            shown = [marked if c is picked else c for c in shown]
            picked = marked
        proposals.append(
            Proposal(
                newcomer=newcomer.id,
                assigned=picked.host if picked is not None else None,
                candidates=shown,
                assigned_candidate=picked,
                why_not_best=note,
            )
        )
    return proposals


def _why_not_best(
    assigned: np.ndarray,
    ranked_hosts: np.ndarray,
    ranked_ok: np.ndarray,
    ranked_total: np.ndarray,
    width: int,
    eligible: Sequence[HostProfile],
    newcomers: Sequence[NewcomerProfile],
) -> dict[int, Reason]:
    """For each newcomer not given their best candidate: who got that host, and why.

    The host's places went to other newcomers; of those, the one for whom the host mattered
    most is named: someone with no other possible host (``only_language`` when they share
    a language other than Swedish and English with this host, else ``no_other_host``), or
    else the one whose loss without this host would have been largest (``larger_loss``).
    """
    holders: dict[int, list[int]] = defaultdict(list)
    for k, host in enumerate(assigned.tolist()):
        if host >= 0:
            holders[host].append(k)
    out: dict[int, Reason] = {}
    if ranked_hosts.shape[1] == 0 or not holders:
        return out
    languages = [set(n.languages) for n in newcomers]
    host_languages = [set(h.languages) for h in eligible]
    for i in range(len(newcomers)):
        if not ranked_ok[i, 0]:
            continue
        best = int(ranked_hosts[i, 0])
        chosen = int(assigned[i])
        if chosen == best or best not in holders:
            continue
        best_total = float(ranked_total[i, 0])
        own_total = (
            float(ranked_total[i][ranked_hosts[i].tolist().index(chosen)]) if chosen >= 0 else 0.0
        )
        options: list[tuple[int, Reason]] = []
        for k in holders[best]:
            row = ranked_hosts[k, :width].tolist()
            ok = ranked_ok[k, :width].tolist()
            others = [h for h, good in zip(row, ok, strict=True) if good and h != best]
            params: dict[str, Any] = {
                "host": eligible[best].id,
                "newcomer": newcomers[i].id,
                "other_newcomer": newcomers[k].id,
            }
            rare = sorted(languages[k] & host_languages[best] - {"sv", "en"})
            if not others and rare:
                params["because"] = "only_language"
                params["language"] = rare[0]
                rank = 0
            elif not others:
                params["because"] = "no_other_host"
                rank = 0
            else:
                position = row.index(best)
                their_loss = float(ranked_total[k, position]) - max(
                    float(ranked_total[k][row.index(h)]) for h in others
                )
                params["because"] = "larger_loss"
                params["their_loss"] = round(their_loss, 4)
                params["our_loss"] = round(best_total - own_total, 4)
                rank = 2
            options.append((rank, Reason("best_host_elsewhere", params)))
        options.sort(key=lambda item: (item[0], -float(item[1].params.get("their_loss", 0))))
        out[i] = options[0][1]
    return out


def _explain(
    pool: PoolFeatures,
    w: Weights,
    tax: Taxonomy,
    ni: np.ndarray,
    hj: np.ndarray,
    totals: np.ndarray,
    host_ids: Sequence[str],
) -> list[Candidate]:
    """Candidates for the given pairs: score, score parts (vectorised) and reasons."""
    if len(ni) == 0:
        return []
    parts = components(pool, w, ni, hj)
    text = parts["text"]
    rounded = {name: np.round(v.astype(np.float64), 4).tolist() for name, v in parts.items()}
    scores = np.round(totals, 4).tolist()
    texts = text.tolist()
    explainer = _Explainer(pool, tax)
    return [
        Candidate(
            host=host_ids[j],
            score=scores[k],
            reasons=explainer.reasons(i, j, texts[k]),
            components={name: values[k] for name, values in rounded.items()},
        )
        for k, (i, j) in enumerate(zip(ni.tolist(), hj.tolist(), strict=True))
    ]


@lru_cache(maxsize=4)
def _related_map(tax: Taxonomy) -> dict[str, frozenset[str]]:
    """For each interest, the interests a reason may call related to it.

    One is broader than the other, or both sit under the same interest that is not itself
    top-level (guitar and piano under "playing an instrument", not football and bandy
    under "sports").
    """
    related: dict[str, set[str]] = {i.id: set() for i in tax}
    for interest in tax:
        for ancestor in tax.ancestors(interest.id):
            related[interest.id].add(ancestor)
            related[ancestor].add(interest.id)
        parent = interest.parent
        if parent is not None and tax[parent].parent is not None:
            for sibling in tax:
                if sibling.parent == parent and sibling.id != interest.id:
                    related[interest.id].add(sibling.id)
    return {k: frozenset(v) for k, v in related.items()}


def _language_order(code: str) -> tuple[bool, bool, str]:
    # Other languages first (the notable fact), then English, then Swedish.
    return (code in ("sv", "en"), code == "sv", code)


class _Explainer:
    """Builds reasons pair by pair, caching what belongs to one person.

    Reasons are built for every shown candidate, so this is the one per-pair Python loop of
    the pipeline; everything that belongs to one person is computed once.
    """

    def __init__(self, pool: PoolFeatures, tax: Taxonomy) -> None:
        self.pool = pool
        self.tax = tax
        self.related = _related_map(tax)
        self.items = {i.id: {"id": i.id, "sv": i.label("sv"), "en": i.label("en")} for i in tax}
        # Rarest first: a rank per interest key, used as a C-level sort key.
        order = sorted(pool.idf, key=lambda k: (-pool.idf[k], k))
        self.rarity = {key: rank for rank, key in enumerate(order)}
        self.topic_ok = {
            i.id for i in tax if not i.sensitive and i.category != "family" and i.id in pool.idf
        }
        prefix = len(CONCEPT_PREFIX)
        self._concept_name = {
            c: pool.text_vocabulary[c][prefix:] for c in np.flatnonzero(pool.text_concepts).tolist()
        }
        nc, hs = pool.newcomers, pool.hosts
        self.sides = (nc, hs)
        self._ranked: tuple[list[list[str] | None], ...] = ([None] * len(nc), [None] * len(hs))
        self._topics: tuple[list[frozenset[str] | None], ...] = (
            [None] * len(nc),
            [None] * len(hs),
        )
        self._broad: tuple[list[frozenset[str] | None], ...] = ([None] * len(nc), [None] * len(hs))
        self._reason_cache: dict[tuple[Any, ...], Reason] = {}
        # Nearly every person takes part in some shown pair: per-person facts are built
        # once up front, so the per-pair loop only indexes lists.
        self.language_sets = (self._language_sets(nc), self._language_sets(hs))
        self.has_prefs = ([bool(p) for p in nc.prefs], [bool(p) for p in hs.prefs])
        self.area = (nc.area.tolist(), hs.area.tolist())
        self.household = (nc.household.tolist(), hs.household.tolist())
        self.birth = (nc.birth.tolist(), hs.birth.tolist())
        names = {code: name for name, code in GENDER_CODES.items()}
        self.gender = (
            [names[c] for c in nc.gender.tolist()],
            [names[c] for c in hs.gender.tolist()],
        )

    def ranked(self, side: int, row: int) -> list[str]:
        """The person's interests, rarest first."""
        found = self._ranked[side][row]
        if found is None:
            found = sorted(self.sides[side].interest_sets[row], key=self.rarity.__getitem__)
            self._ranked[side][row] = found
        return found

    def topics(self, side: int, row: int) -> frozenset[str]:
        """Interests the person's interview answers name."""
        found = self._topics[side][row]
        if found is None:
            text = self.sides[side].text
            cols = text.indices[text.indptr[row] : text.indptr[row + 1]].tolist()
            names = self._concept_name
            found = frozenset(names[c] for c in cols if c in names)
            self._topics[side][row] = found
        return found

    def _language_sets(self, side: SideFeatures) -> list[frozenset[str]]:
        lang, names = side.languages, self.pool.languages
        by_set: dict[tuple[int, ...], frozenset[str]] = {}
        out: list[frozenset[str]] = []
        indices, starts = lang.indices.tolist(), lang.indptr.tolist()
        for row in range(len(starts) - 1):
            cols = tuple(indices[starts[row] : starts[row + 1]])
            found = by_set.get(cols)
            if found is None:
                found = by_set[cols] = frozenset(names[c] for c in cols)
            out.append(found)
        return out

    def _reason(self, key: tuple[Any, ...], make: Callable[[], Reason]) -> Reason:
        """One shared Reason per distinct content.

        Most reasons repeat across pairs ("Båda talar svenska", "Båda bor i Krylbo"); one
        instance each keeps 50,000 newcomers' proposals from holding hundreds of thousands
        of equal objects (memory, and the garbage collector's time walking them).
        Reasons are frozen and their params read-only, so sharing them is invisible.
        """
        found = self._reason_cache.get(key)
        if found is None:
            found = make()
            self._reason_cache[key] = found
        return found

    def _guesses(
        self, i: int, j: int, interest_ids: tuple[str, ...]
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The words behind interests that were only guessed, as newcomer ``i`` and host
        ``j`` wrote them."""
        nc, hs = self.sides
        mine, theirs = nc.guessed[i], hs.guessed[j]
        return tuple(
            (k, tuple(dict.fromkeys(w for w in (mine.get(k), theirs.get(k)) if w)))
            for k in interest_ids
            if k in mine or k in theirs
        )

    def _guessed_param(self, guesses: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, Any]:
        if not guesses:
            return {}
        return {"guessed": [[self.items[k], list(words)] for k, words in guesses]}

    def reasons(self, i: int, j: int, text_similarity: float) -> list[Reason]:
        """The reasons newcomer row ``i`` and host row ``j`` fit, most telling first."""
        pool, items, reason = self.pool, self.items, self._reason
        nc, hs = self.sides
        reasons: list[Reason] = []

        mine_ranked, theirs_ranked = self.ranked(0, i), self.ranked(1, j)
        mine, theirs = nc.interest_sets[i], hs.interest_sets[j]
        shared = [k for k in mine_ranked if k in theirs]
        if shared:
            top = tuple(shared[:MAX_ITEMS])
            guesses = self._guesses(i, j, top)
            reasons.append(
                reason(
                    ("shared_interests", top, guesses),
                    lambda: Reason(
                        "shared_interests",
                        {"items": [items[k] for k in top]} | self._guessed_param(guesses),
                    ),
                )
            )
        mentioned = set(shared)
        pairs: list[tuple[str, str]] = []
        for a in mine_ranked:
            if a in mentioned:
                continue
            near = self.related[a]
            for b in theirs_ranked:
                if b in near and b not in mine and b not in mentioned:
                    pairs.append((a, b))
                    mentioned.add(a)
                    mentioned.add(b)
                    break
            if len(pairs) == 2:
                break
        if pairs:
            found = tuple(pairs)
            related_guesses = self._guesses(i, j, tuple(k for pair in found for k in pair))
            reasons.append(
                reason(
                    ("related_interests", found, related_guesses),
                    lambda: Reason(
                        "related_interests",
                        {"pairs": [[items[a], items[b]] for a, b in found]}
                        | self._guessed_param(related_guesses),
                    ),
                )
            )
        tags_n, tags_h = nc.free_tags[i], hs.free_tags[j]
        if tags_n and tags_h:
            tags = sorted(tags_n.keys() & tags_h.keys())
            if tags:
                written = tuple(tags_n[t] for t in tags[:2])
                reasons.append(
                    reason(
                        ("shared_tags", written),
                        lambda: Reason("shared_tags", {"tags": list(written)}),
                    )
                )

        if self.has_prefs[0][i]:
            reasons.extend(self._wishes("wish_met", 0, i, j))
        if self.has_prefs[1][j]:
            reasons.extend(self._wishes("host_wish_met", 1, j, i))

        common = self.topics(0, i) & self.topics(1, j)
        if common:
            # Family words in an interview ("bor med familjen och barnen") describe the
            # household, which has its own reason.
            topics = sorted(
                (k for k in common if k in self.topic_ok and k not in mentioned),
                key=self.rarity.__getitem__,
            )
        else:
            topics = []
        if topics:
            named = tuple(topics[:MAX_ITEMS])
            reasons.append(
                reason(
                    ("text_topics", named),
                    lambda: Reason("text_topics", {"items": [items[k] for k in named]}),
                )
            )
        elif text_similarity >= SIMILAR_ANSWERS:
            similarity = round(text_similarity, 2)
            reasons.append(
                reason(
                    ("similar_answers", similarity),
                    lambda: Reason("similar_answers", {"similarity": similarity}),
                )
            )

        both = self.language_sets[0][i] & self.language_sets[1][j]
        if both:
            reasons.append(
                reason(
                    ("shared_language", both),
                    lambda: Reason(
                        "shared_language",
                        {"languages": sorted(both, key=_language_order)[:3]},
                    ),
                )
            )
        area_n = self.area[0][i]
        if area_n >= 0 and area_n == self.area[1][j]:
            reasons.append(
                reason(
                    ("same_area", area_n),
                    lambda: Reason("same_area", {"area": pool.areas[area_n]}),
                )
            )
        household = self.household[0][i]
        if household >= 0 and household == self.household[1][j]:
            reasons.append(reason(("household", household), lambda: _household_reason(household)))
        born_n, born_h = self.birth[0][i], self.birth[1][j]
        if born_n == born_n and born_h == born_h:  # not NaN
            years = abs(int(born_n) - int(born_h))
            if years <= CLOSE_IN_AGE:
                reasons.append(
                    reason(
                        ("close_in_age", years),
                        lambda: Reason("close_in_age", {"years": years}),
                    )
                )
        return reasons

    def _broader(self, side: int, row: int) -> frozenset[str]:
        """The person's interests with their broader interests (for interest wishes)."""
        found = self._broad[side][row]
        if found is None:
            have = set(self.sides[side].interest_sets[row])
            for interest in list(have):
                have.update(self.tax.ancestors(interest))
            found = frozenset(have)
            self._broad[side][row] = found
        return found

    def _wish(self, code: str, kind: str, value: str) -> Reason:
        """The shared ``wish_met``/``host_wish_met`` reason of one kind and value."""
        key = (code, kind, value)
        found = self._reason_cache.get(key)
        if found is None:
            found = Reason(code, {"kind": kind, kind: value})
            self._reason_cache[key] = found
        return found

    def _wishes(self, code: str, wisher_side: int, wi: int, oj: int) -> list[Reason]:
        pool, tax = self.pool, self.tax
        other_side = 1 - wisher_side
        pref = self.sides[wisher_side].prefs[wi]
        out: list[Reason] = []
        household = self.household[other_side][oj]
        for name in sorted(pref.households):
            if household == HOUSEHOLD_CODES[name]:
                out.append(self._wish(code, "household", name))
        born_w, born_o = self.birth[wisher_side][wi], self.birth[other_side][oj]
        known = born_w == born_w and born_o == born_o  # not NaN
        if pref.age is not None and known and age_wish_holds(pref.age, born_w - born_o):
            out.append(self._wish(code, "age", pref.age))
        other_area = self.area[other_side][oj]
        if other_area >= 0 and pool.areas[other_area] in pref.areas:
            out.append(self._wish(code, "area", pool.areas[other_area]))
        if pref.gender is not None:
            theirs = self.gender[other_side][oj]
            mine = self.gender[wisher_side][wi]
            if theirs and (theirs == pref.gender or (pref.gender == "same" and theirs == mine)):
                out.append(self._wish(code, "gender", pref.gender))
        for language in sorted(pref.languages & self.language_sets[other_side][oj]):
            out.append(self._wish(code, "language", language))
        if pref.interests:
            met = sorted(
                k
                for k in pref.interests & self._broader(other_side, oj)
                if k in tax and not tax[k].sensitive
            )
            if met:
                named = tuple(met[:MAX_ITEMS])
                out.append(
                    self._reason(
                        (code, "interests", named),
                        lambda: Reason(
                            code,
                            {"kind": "interests", "items": [self.items[k] for k in named]},
                        ),
                    )
                )
        return out


def _household_reason(household: int) -> Reason:
    """ "Familj med barn (båda)" or the shared household kind."""
    if household == HOUSEHOLD_CODES["family"]:
        return Reason("families", {})
    name = "couple" if household == HOUSEHOLD_CODES["couple"] else "single"
    return Reason("same_household", {"household": name})
