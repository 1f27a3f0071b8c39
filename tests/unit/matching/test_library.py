"""The library stands alone, and holds its hard rules on a generated pool."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from matching import HistoryEntry, hard_rule_violations, propose
from matching.synth import generate_pool
from tests.paths import REPO_ROOT


def test_imports_without_flask_or_sqlalchemy() -> None:
    code = (
        "import sys, matching, matching.cli, matching.synth, matching.evaluation\n"
        "matching.propose([], [])\n"
        "bad = [m for m in ('flask', 'sqlalchemy', 'avestavard') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_generated_pool_keeps_every_hard_rule() -> None:
    pool = generate_pool(300, 500, seed=3)
    history = [
        HistoryEntry(newcomer=n.id, host=h.id, decision="rejected")
        for n, h in zip(pool.newcomers[:100], pool.hosts[:100], strict=True)
    ]
    proposals = propose(pool.hosts, pool.newcomers, history, top_k=5)
    assert len(proposals) == 500
    assert hard_rule_violations(proposals, pool.hosts, pool.newcomers, history) == []
    taken = Counter(p.assigned for p in proposals if p.assigned is not None)
    free = {h.id: h.free_capacity - taken[h.id] for h in pool.hosts if h.status == "active"}
    assert taken and all(left >= 0 for left in free.values())
    for proposal in proposals:
        assert all(c.reasons for c in proposal.candidates)
        if proposal.assigned is None:
            # An optimal assignment never leaves a newcomer out while one of their
            # candidates still has a place: taking it would add fit.
            assert all(free[c.host] == 0 for c in proposal.candidates), proposal.newcomer
