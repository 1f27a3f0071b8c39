"""Quality on the shared sample data (a quality bar, not a timing)."""

from __future__ import annotations

import json
from pathlib import Path

from matching import evaluate, propose, read_hosts, read_newcomers

DATA = Path(__file__).resolve().parents[2] / "data" / "matching"


def test_planted_pairs_are_found() -> None:
    hosts = read_hosts(DATA / "hosts.jsonl")
    newcomers = read_newcomers(DATA / "newcomers.jsonl")
    truth = json.loads((DATA / "truth.json").read_text(encoding="utf-8"))
    result = evaluate(propose(hosts, newcomers, top_k=3), truth, hosts, newcomers)
    assert result.newcomers == len(truth) == 150
    assert result.recall_at_1 >= 0.85
    assert result.recall_at_3 >= 0.97
    assert result.assigned_to_planted >= 0.85
    assert result.violations == 0
