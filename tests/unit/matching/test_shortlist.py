"""Candidate generation: the blocked products give exactly the brute-force best hosts."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from matching import HistoryEntry, HostProfile, NewcomerProfile, default_normalizer, propose
from matching.features import build_features
from matching.scoring import Weights, shortlist
from matching.synth import generate_pool


def test_shortlist_equals_brute_force_over_compatible_hosts() -> None:
    pool = generate_pool(160, 240, seed=11)
    # Some newcomers speak only Tigrinya or Arabic, so their language group can talk with
    # a few hosts only (the group's product then runs over those hosts alone).
    newcomers = [
        dataclasses.replace(n, languages=(("ti",), ("ar",))[i % 2]) if i % 5 == 0 else n
        for i, n in enumerate(pool.newcomers)
    ]
    hosts = [
        dataclasses.replace(h, languages=(*h.languages, "ti", "ar")) if i % 4 == 0 else h
        for i, h in enumerate(pool.hosts)
        if h.status == "active" and h.free_capacity > 0
    ]
    w = Weights()
    features = build_features(hosts, newcomers, default_normalizer(), w.parent_share, w.free_tag)
    nc, hs = features.newcomers, features.hosts
    # Every fifth newcomer has rejected the first few hosts they could talk with.
    compatible = (nc.languages @ hs.languages.T).toarray() > 0
    blocked = {i: list(np.flatnonzero(compatible[i])[:3]) for i in range(0, len(newcomers), 5)}
    size = 12

    short = shortlist(features, w, blocked, size)

    brute = (
        w.interests * (nc.interests @ hs.interests.T).toarray()
        + w.text * (nc.text @ hs.text.T).toarray()
        + w.area * (nc.area_onehot @ hs.area_onehot.T).toarray()
    )
    for i in range(len(newcomers)):
        allowed = compatible[i].copy()
        allowed[blocked.get(i, [])] = False
        got = short.hosts[i][short.hosts[i] >= 0]
        assert allowed[got].all(), i
        assert len(got) == min(size, int(allowed.sum())), i
        expected = np.sort(brute[i, allowed])[::-1][:size]
        np.testing.assert_allclose(np.sort(brute[i, got])[::-1], expected, atol=1e-5)
        np.testing.assert_allclose(
            short.score[i][short.hosts[i] >= 0], brute[i, got], atol=1e-5, err_msg=str(i)
        )
    # The rare-language groups really were restricted to a few hosts.
    assert (compatible.sum(axis=1) < len(hosts) // 2).sum() >= len(newcomers) // 5


def test_a_rare_language_group_keeps_history_and_order() -> None:
    def host(host_id: str, languages: list[str], interests: list[str]) -> HostProfile:
        data: dict[str, Any] = {
            "id": host_id,
            "languages": languages,
            "interests": interests,
            "birth_year": 1970,
            "household": "couple",
        }
        return HostProfile.from_dict(data)

    hosts = [
        host("H1", ["sv"], ["fiske", "bandy", "jakt"]),
        host("H2", ["sv", "ti"], ["fiske", "bandy"]),
        host("H3", ["sv", "ti"], ["fiske"]),
        host("H4", ["ti"], ["bandy", "jakt"]),
        host("H5", ["sv", "en"], ["fiske", "bandy", "jakt"]),
    ]
    newcomer = NewcomerProfile.from_dict(
        {
            "id": "N1",
            "languages": ["ti"],
            "interests": ["fishing", "bandy", "hunting"],
            "birth_year": 1972,
            "household": "couple",
        }
    )
    history = [HistoryEntry(newcomer="N1", host="H2", decision="rejected")]

    [proposal] = propose(hosts, [newcomer], history, top_k=5)

    # H1 and H5 fit best but cannot talk with N1; H2 was rejected before.
    assert [c.host for c in proposal.candidates] == ["H4", "H3"]
    assert proposal.assigned == "H4"
