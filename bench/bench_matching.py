"""Benchmark the matcher: scale against a bare baseline, and quality on the shared data.

    .venv/bin/python bench/bench_matching.py                  # 1k x 1k, 10k x 5k, 50k x 20k
    .venv/bin/python bench/bench_matching.py --sizes 1k,10k   # smaller runs
    .venv/bin/python bench/bench_matching.py --no-quality

Each pool size runs in two fresh subprocesses (baseline, then full pipeline) on the same
generated pool (``matching.synth``), so each gets its own peak memory (ru_maxrss: the whole
process, including the pool itself and the imported libraries).

The bare baseline is what the issue calls "TF-IDF + dense top-10 similarity, plus sparse
assignment": scikit-learn's default TfidfVectorizer over each profile's interests and
interview text, cosine similarity of every newcomer with every host computed in dense
blocks of the same size the matcher uses, the top 10 hosts per newcomer, and
``min_weight_full_bipartite_matching`` on that graph with capacity expanded into places and
an "unassigned" column per newcomer (``matching.assignment.assign``). No normalising, no
language rule, no history, no reasons.

"pool MiB" is the process's peak before the measured step (interpreter, libraries and the
generated profiles); the full column includes it.

The full pipeline is ``matching.propose`` with top_k=3: normalising interests, features,
hard rules, scoring, optimal assignment and reasons. The normaliser is fitted before the
clock starts (a web process fits it once); its fitting time is printed separately.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.profiles import HostProfile, NewcomerProfile  # noqa: E402 (after sys.path)

SIZES = {"1k": (1_000, 1_000), "10k": (5_000, 10_000), "50k": (20_000, 50_000)}
SHARED_DATA = ROOT.parent / "shared" / "data" / "matching"
TARGET_RATIO = 3.0
TARGET_PEAK_MIB = 1536
TARGET_1K_SECONDS = 2.0


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(
    hosts: Sequence[HostProfile], newcomers: Sequence[NewcomerProfile]
) -> dict[str, float]:
    """Bare TF-IDF + dense top-10 similarity in blocks + sparse assignment."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from matching.assignment import HOST_BITS, WAIT_BITS, assign, quantise, scale_rank
    from matching.scoring import _BLOCK_CELLS

    start = time.perf_counter()
    hosts = [p for p in hosts if p.status == "active" and p.free_capacity > 0]
    docs = [" ".join(p.interests) + " " + p.interview for p in [*newcomers, *hosts]]
    matrix = TfidfVectorizer(dtype=np.float32).fit_transform(docs).tocsr()
    n, h = len(newcomers), len(hosts)
    features_n, hosts_t = matrix[:n], matrix[n:].T.tocsr()
    top = 10
    best_hosts = np.empty((n, top), dtype=np.int64)
    best_score = np.empty((n, top), dtype=np.float32)
    rows_per_block = max(1, _BLOCK_CELLS // h)
    for lo in range(0, n, rows_per_block):
        block = (features_n[lo : lo + rows_per_block] @ hosts_t).toarray()
        idx = np.argpartition(block, h - top, axis=1)[:, h - top :]
        best_hosts[lo : lo + len(block)] = idx
        best_score[lo : lo + len(block)] = np.take_along_axis(block, idx, axis=1)
    similarity = time.perf_counter()
    rows = np.repeat(np.arange(n), top)
    capacity = np.array([p.free_capacity for p in hosts], dtype=np.int64)
    assigned = assign(
        n,
        rows,
        best_hosts.ravel(),
        np.maximum(quantise(best_score.ravel()), 1),
        capacity,
        scale_rank(np.arange(n), n, WAIT_BITS),
        scale_rank(np.arange(h), h, HOST_BITS),
    )
    end = time.perf_counter()
    return {
        "seconds": end - start,
        "similarity_seconds": similarity - start,
        "assignment_seconds": end - similarity,
        "assigned": int((assigned >= 0).sum()),
    }


def full(hosts: Sequence[HostProfile], newcomers: Sequence[NewcomerProfile]) -> dict[str, float]:
    """The whole ``propose`` pipeline."""
    from matching import default_normalizer, propose

    fit_start = time.perf_counter()
    default_normalizer()
    fit = time.perf_counter() - fit_start
    start = time.perf_counter()
    proposals = propose(hosts, newcomers, top_k=3)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "fit_seconds": fit,
        "assigned": sum(1 for p in proposals if p.assigned is not None),
        "reasons": sum(len(c.reasons) for p in proposals for c in p.candidates),
    }


def worker(size: str, mode: str) -> None:
    """Run one measurement in this (fresh) process and print it as JSON."""
    import numpy  # noqa: F401  (import the libraries before measuring)
    import scipy.sparse  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401

    from matching.synth import generate_pool

    n_hosts, n_newcomers = SIZES[size]
    pool = generate_pool(n_hosts, n_newcomers, seed=42)
    before = _peak_mib()
    result = (baseline if mode == "baseline" else full)(pool.hosts, pool.newcomers)
    result["peak_mib"] = _peak_mib()
    result["pool_mib"] = before
    print(json.dumps(result))


def _measure(size: str, mode: str) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", size, mode],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def scale(sizes: list[str]) -> bool:
    """Print the scale table; True when every target is met."""
    print("Scale (generated pools, seconds and peak RSS in MiB):")
    print(
        f"{'pool':>14} {'baseline s':>11} {'full s':>8} {'ratio':>6} "
        f"{'base MiB':>9} {'full MiB':>9} {'pool MiB':>9} {'assigned':>9}"
    )
    ok = True
    for size in sizes:
        n_hosts, n_newcomers = SIZES[size]
        base = _measure(size, "baseline")
        result = _measure(size, "full")
        ratio = result["seconds"] / base["seconds"]
        label = f"{n_newcomers // 1000}k x {n_hosts // 1000}k"
        print(
            f"{label:>14} {base['seconds']:>11.2f} {result['seconds']:>8.2f} {ratio:>6.2f} "
            f"{base['peak_mib']:>9.0f} {result['peak_mib']:>9.0f} {result['pool_mib']:>9.0f} "
            f"{int(result['assigned']):>9}"
        )
        print(
            f"{'':>14} baseline: similarity {base['similarity_seconds']:.2f} s, "
            f"assignment {base['assignment_seconds']:.2f} s; "
            f"normaliser fit {result['fit_seconds']:.2f} s (once per process)"
        )
        if size == "50k" and ratio > TARGET_RATIO:
            print(f"  MISSED: full pipeline more than {TARGET_RATIO}x the baseline")
            ok = False
        if result["peak_mib"] > TARGET_PEAK_MIB:
            print(f"  MISSED: peak memory above {TARGET_PEAK_MIB} MiB")
            ok = False
        if size == "1k" and result["seconds"] > TARGET_1K_SECONDS:
            print(f"  MISSED: 1k x 1k slower than {TARGET_1K_SECONDS} s")
            ok = False
    return ok


def quality() -> bool:
    """Print quality on the shared data; True when every target is met."""
    from matching import evaluate, propose, read_hosts, read_newcomers

    hosts = read_hosts(SHARED_DATA / "hosts.jsonl")
    newcomers = read_newcomers(SHARED_DATA / "newcomers.jsonl")
    truth = json.loads((SHARED_DATA / "truth.json").read_text(encoding="utf-8"))
    result = evaluate(propose(hosts, newcomers, top_k=3), truth, hosts, newcomers)
    print(f"Quality on {SHARED_DATA} ({result.newcomers} newcomers):")
    print(f"  recall@1 {result.recall_at_1:.3f} (target >= 0.85)")
    print(f"  recall@3 {result.recall_at_3:.3f} (target >= 0.97)")
    print(f"  assigned to planted host {result.assigned_to_planted:.3f} (target >= 0.85)")
    print(f"  hard-rule violations {result.violations} (target 0)")
    return (
        result.recall_at_1 >= 0.85
        and result.recall_at_3 >= 0.97
        and result.assigned_to_planted >= 0.85
        and result.violations == 0
    )


def main() -> int:
    """Run the benchmark; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,50k", help="comma-separated: 1k,10k,50k")
    parser.add_argument("--no-quality", action="store_true", help="skip the quality section")
    parser.add_argument("--worker", nargs=2, metavar=("SIZE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    ok = True
    if not args.no_quality:
        ok = quality() and ok
        print()
    ok = scale(sizes) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
