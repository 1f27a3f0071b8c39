"""AvestaVärd's matcher: propose host-newcomer pairs with reasons.

A pure library (numpy, scipy, scikit-learn, rapidfuzz; no Flask, no database). The web app
calls it through a thin adapter: profiles in, proposals out.

    from matching import HostProfile, NewcomerProfile, propose

    proposals = propose(hosts, newcomers, history=(), top_k=3)
    for p in proposals:
        print(p.newcomer, p.assigned, [(c.host, c.score, [r.text("sv") for r in c.reasons])
                                       for c in p.candidates])

Parts: ``InterestNormalizer`` (free-text interests -> canonical ids), ``taxonomy()`` (the
canonical interests with Swedish, English and Arabic labels), ``propose`` (scoring, hard
rules, optimal assignment, reasons), ``evaluate`` (quality against planted pairs) and
``learn_weights`` (the score's weights learned from coordinators' decisions, written and read
as ``LearnedWeights``).
"""

from matching.engine import Candidate, Proposal, propose
from matching.evaluation import Evaluation, evaluate, hard_rule_violations
from matching.learning import (
    MIN_DECISIONS,
    CoordinatorDecision,
    LearnedWeights,
    WeightsError,
    learn_weights,
    read_decisions,
    weights_from_mapping,
)
from matching.normalizer import InterestNormalizer, NormalizedInterest, default_normalizer
from matching.profiles import (
    HistoryEntry,
    HostProfile,
    NewcomerProfile,
    ProfileError,
    read_history,
    read_hosts,
    read_newcomers,
)
from matching.reasons import Reason
from matching.scoring import COMPONENTS, Weights
from matching.taxonomy import Category, Interest, Taxonomy, load_taxonomy, taxonomy
from matching.wishes import WishClause, WishReading, read_wishes, wish_outcomes

__all__ = [
    "COMPONENTS",
    "MIN_DECISIONS",
    "Candidate",
    "Category",
    "CoordinatorDecision",
    "Evaluation",
    "HistoryEntry",
    "HostProfile",
    "Interest",
    "InterestNormalizer",
    "LearnedWeights",
    "NewcomerProfile",
    "NormalizedInterest",
    "ProfileError",
    "Proposal",
    "Reason",
    "Taxonomy",
    "Weights",
    "WeightsError",
    "WishClause",
    "WishReading",
    "default_normalizer",
    "evaluate",
    "hard_rule_violations",
    "learn_weights",
    "load_taxonomy",
    "propose",
    "read_decisions",
    "read_history",
    "read_hosts",
    "read_newcomers",
    "read_wishes",
    "taxonomy",
    "weights_from_mapping",
    "wish_outcomes",
]
