"""Measure proposals against planted pairs, and check the hard rules independently.

The hard-rule check reads the raw profiles again instead of trusting the matcher's own
masks, so a bug in candidate generation shows up as a violation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from matching.engine import Proposal
from matching.profiles import HistoryEntry, HostProfile, NewcomerProfile
from matching.unseen import HeldOutWords

if TYPE_CHECKING:
    from matching.normalizer import InterestNormalizer

__all__ = [
    "READINGS",
    "Evaluation",
    "UnseenEvaluation",
    "evaluate",
    "evaluate_unseen",
    "hard_rule_violations",
    "reading",
]

# How an interest word was read, against the interest it stands for: as that interest, as
# a neighbouring one (one broader than the other, or both under the same broader interest),
# as another interest, or not at all.
READINGS: tuple[str, ...] = ("right", "neighbour", "other", "not understood")


@dataclass(frozen=True)
class Evaluation:
    """Quality figures of one run."""

    newcomers: int
    recall_at_1: float
    recall_at_3: float
    assigned_to_planted: float
    assigned: int
    violations: int

    def as_dict(self) -> dict[str, float | int]:
        """The figures as a plain dict (for ``--json``)."""
        return asdict(self)


def hard_rule_violations(
    proposals: Sequence[Proposal],
    hosts: Iterable[HostProfile],
    newcomers: Iterable[NewcomerProfile],
    history: Iterable[HistoryEntry] = (),
) -> list[str]:
    """Every broken hard rule, described; an empty list means none.

    Hard rules: a shared language, an active host with free capacity, no pair from the
    history, and a gender the newcomer asked for as a must.
    """
    from matching.normalizer import default_normalizer
    from matching.wishes import PreferenceParser

    host_by_id = {h.id: h for h in hosts}
    newcomer_by_id = {n.id: n for n in newcomers}
    parse = PreferenceParser(default_normalizer())
    forbidden = {(e.newcomer, e.host) for e in history}
    problems: list[str] = []
    load: Counter[str] = Counter()
    for proposal in proposals:
        newcomer = newcomer_by_id.get(proposal.newcomer)
        if newcomer is None:
            problems.append(f"{proposal.newcomer}: not a newcomer in the pool")
            continue
        pairs = [c.host for c in proposal.candidates]
        if proposal.assigned is not None:
            pairs.append(proposal.assigned)
            load[proposal.assigned] += 1
        for host_id in pairs:
            host = host_by_id.get(host_id)
            where = f"{newcomer.id}-{host_id}"
            if host is None:
                problems.append(f"{where}: unknown host")
                continue
            if not set(host.languages) & set(newcomer.languages):
                problems.append(f"{where}: no shared language")
            if host.status != "active":
                problems.append(f"{where}: host is {host.status}")
            if host.free_capacity <= 0:
                problems.append(f"{where}: host has no free capacity")
            if (newcomer.id, host_id) in forbidden:
                problems.append(f"{where}: pair is in the history")
            wish = parse(newcomer.wishes)
            if wish.gender_must:
                wanted = newcomer.gender if wish.gender == "same" else wish.gender
                if not wanted or host.gender != wanted:
                    problems.append(f"{where}: the newcomer requires a host who is {wish.gender}")
    for host_id, count in sorted(load.items()):
        host = host_by_id.get(host_id)
        if host is not None and count > host.free_capacity:
            problems.append(f"{host_id}: {count} newcomers for {host.free_capacity} places")
    return problems


def evaluate(
    proposals: Sequence[Proposal],
    truth: Mapping[str, str],
    hosts: Iterable[HostProfile],
    newcomers: Iterable[NewcomerProfile],
    history: Iterable[HistoryEntry] = (),
) -> Evaluation:
    """recall@1, recall@3, share assigned to the planted host, and hard-rule violations.

    Recall is over the newcomers that have a planted host in ``truth``.
    """
    judged = [p for p in proposals if p.newcomer in truth]
    count = len(judged)

    def share(hits: int) -> float:
        return round(hits / count, 4) if count else 0.0

    at_1 = sum(1 for p in judged if [c.host for c in p.candidates[:1]] == [truth[p.newcomer]])
    at_3 = sum(1 for p in judged if truth[p.newcomer] in [c.host for c in p.candidates[:3]])
    planted = sum(1 for p in judged if p.assigned == truth[p.newcomer])
    violations = hard_rule_violations(proposals, hosts, newcomers, history)
    return Evaluation(
        newcomers=count,
        recall_at_1=share(at_1),
        recall_at_3=share(at_3),
        assigned_to_planted=share(planted),
        assigned=sum(1 for p in proposals if p.assigned is not None),
        violations=len(violations),
    )


@dataclass(frozen=True)
class UnseenEvaluation:
    """Figures of the unseen-wording evaluation, averaged over folds and seeds."""

    runs: int
    recall_at_1: float
    recall_at_3: float
    assigned_to_planted: float
    violations: int
    per_run: tuple[Evaluation, ...] = ()
    # Reading (one of ``READINGS``) -> how many of the pools' interest words were read so.
    readings: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float | int]:
        """The averaged figures as a plain dict."""
        return {
            "runs": self.runs,
            "recall_at_1": self.recall_at_1,
            "recall_at_3": self.recall_at_3,
            "assigned_to_planted": self.assigned_to_planted,
            "violations": self.violations,
        }


def reading(normalizer: InterestNormalizer, word: str, meant: str) -> str:
    """How ``normalizer`` reads an interest ``word`` written for the interest ``meant``.

    One of ``READINGS``; a word read as several interests counts as right when one of them
    is the meant one.
    """
    taxonomy = normalizer.taxonomy
    found = [n.canonical_id for n in normalizer.normalize([word]) if n.canonical_id]
    if meant in found:
        return "right"
    if not found:
        return "not understood"
    meant_up = set(taxonomy.ancestors(meant))
    for interest in found:
        up = set(taxonomy.ancestors(interest))
        if interest in meant_up or meant in up or meant_up & up:
            return "neighbour"
    return "other"


def _relabelled(
    normalizer: InterestNormalizer,
    person: HostProfile | NewcomerProfile,
    intended: Mapping[str, Sequence[str]],
    wanted: Collection[str],
    readings: Counter[str],
) -> tuple[str, ...]:
    """A person's interest words, those read in a ``wanted`` way replaced by their label."""
    out: list[str] = []
    for meant, word in zip(intended[person.id], person.interests, strict=True):
        read = reading(normalizer, word, meant)
        readings[read] += 1
        out.append(normalizer.taxonomy[meant].label("sv") if read in wanted else word)
    return tuple(out)


def evaluate_unseen(
    held_out: HeldOutWords,
    folds: Sequence[int],
    seeds: Sequence[int],
    *,
    n_newcomers: int = 150,
    n_hosts: int = 250,
    oracle: bool = False,
    relabel: Collection[str] = (),
    **propose_options: Any,
) -> UnseenEvaluation:
    """Propose on pools worded only with held-out words, one normaliser per fold.

    For each fold the fold's words (and every taxonomy term that stems the same) are taken
    out of the taxonomy, so no profile word is a listed term. ``oracle`` replaces every
    interest word by its interest's Swedish label: what a perfect normaliser would reach.
    ``relabel`` replaces only the words read in one of the given ``READINGS``: with
    ``("other", "not understood")`` the figures say what reading those words right would
    be worth. The result counts how every interest word was read.
    """
    from matching.engine import propose
    from matching.normalizer import InterestNormalizer
    from matching.unseen import generate_unseen

    runs: list[Evaluation] = []
    readings: Counter[str] = Counter()
    wanted = set(READINGS) if oracle else set(relabel)
    for fold in folds:
        excluded = tuple(w for words in held_out.folds[fold].values() for w in words)
        normalizer = InterestNormalizer(exclude_terms=excluded).fit()
        for seed in seeds:
            pool = generate_unseen(held_out, fold, seed, n_newcomers=n_newcomers, n_hosts=n_hosts)
            hosts = [
                replace(h, interests=_relabelled(normalizer, h, pool.intended, wanted, readings))
                for h in pool.hosts
            ]
            newcomers = [
                replace(n, interests=_relabelled(normalizer, n, pool.intended, wanted, readings))
                for n in pool.newcomers
            ]
            proposals = propose(hosts, newcomers, normalizer=normalizer, **propose_options)
            runs.append(evaluate(proposals, pool.truth, hosts, newcomers))

    def mean(values: Iterable[float]) -> float:
        items = list(values)
        return round(sum(items) / len(items), 4) if items else 0.0

    return UnseenEvaluation(
        runs=len(runs),
        recall_at_1=mean(r.recall_at_1 for r in runs),
        recall_at_3=mean(r.recall_at_3 for r in runs),
        assigned_to_planted=mean(r.assigned_to_planted for r in runs),
        violations=sum(r.violations for r in runs),
        per_run=tuple(runs),
        readings={r: readings[r] for r in READINGS},
    )
