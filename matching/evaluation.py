"""Measure proposals against planted pairs, and check the hard rules independently.

The hard-rule check reads the raw profiles again instead of trusting the matcher's own
masks, so a bug in candidate generation shows up as a violation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from matching.engine import Proposal
from matching.profiles import HistoryEntry, HostProfile, NewcomerProfile

__all__ = ["Evaluation", "evaluate", "hard_rule_violations"]


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
    """Every broken hard rule, described; an empty list means none."""
    host_by_id = {h.id: h for h in hosts}
    newcomer_by_id = {n.id: n for n in newcomers}
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
