"""Benchmark the matcher: scale against a bare baseline, and quality on the shared data.

    .venv/bin/python bench/bench_matching.py                  # 1k x 1k, 10k x 5k, 50k x 20k
    .venv/bin/python bench/bench_matching.py --sizes 1k,10k   # smaller runs
    .venv/bin/python bench/bench_matching.py --runs 3 --no-quality

Every measurement runs in a fresh subprocess on the same generated pool
(``matching.synth.generate_pool``, seed 42), so each gets its own peak memory (ru_maxrss: the
whole process, including the pool itself and the imported libraries) and no run profits from
caches warmed by another. The machine is shared, so each measurement is repeated (``--runs``,
default 2) and the table shows the fastest run (the least disturbed one) and the highest peak.

BLAS. On some machines OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are set in the environment
(older OpenBLAS builds crash without them), which makes the current numpy use a slower kernel
(Haswell instead of SkylakeX here: a float32 block product takes ~2x as long). The
subprocesses of both sides run with both variables removed, so the comparison is fair and
each side gets the fastest kernel; the table header prints the kernel that ran
(threadpoolctl). ``--keep-blas-env`` keeps them.

The bare baseline is the fastest plain version of "TF-IDF + dense top-10 similarity, plus
optimal sparse assignment" we could write, without anything of the matcher:

1. TF-IDF: scikit-learn's TfidfVectorizer (defaults, float32) over each profile's interests
   and interview text, fitted on newcomers and eligible hosts together (rows L2-normalised,
   so a dot product is the cosine).
2. Similarity: exact cosine of every newcomer with every host, in row blocks of ~4M cells
   (16 MB), keeping the 10 best hosts per newcomer. Terms that both sides use are split: the
   ``BASELINE_DENSE_TERMS`` terms with the most newcomer-host pairs (99.5% of the work at
   50k) are multiplied as dense float32 matrices by BLAS, the long tail as a sparse product
   added into the block. The top 10 are ``np.argpartition(-block, 9)``.
3. Assignment: scipy's ``min_weight_full_bipartite_matching`` on the top-10 graph, each host
   expanded into one vertex per free place; places are the rows (the scarcer side), each
   with a private "stays empty" column so a full matching exists; cost ``1 + 1e-6 - cosine``.

The BLAS thread count is part of the baseline's search: it runs with 1 and with 2 threads
and the faster counts (the matcher always uses 1 thread, see ``matching.scoring``).

Variants measured at 50k x 20k while choosing (2 cores shared with other work, so rough):

    similarity                                              seconds (TF-IDF ~1.3 s apart)
    sparse @ sparse, densify the product (the old baseline)   ~30
    hosts as dense (shared terms x hosts, 350 MB), csr @ it    ~4.4   peak ~950 MiB
    dense BLAS for 32 / 64 / 128 / 256 frequent terms + sparse ~3.2 / 2.9 / 3.0 / 3.4
      ... 128 terms, 2 BLAS threads                            ~2.6 quiet, ~4-8 busy
    top 10 by argpartition(block, h - 10) instead of (-block)  +15 (ties among low scores
                                                               make the tail selection slow)
    assignment
    place rows + "empty" column per place (chosen)             ~6-12
    newcomer rows + "empty" column per newcomer                ~25-58
    square form (newcomers + place dummies both ways)          ~28
    linprog (HiGHS dual simplex / IPM) on the b-matching LP     ~14 / ~24

The issue quotes "under 0.2 s" for the assignment; we could not reproduce that. On this
top-10 graph (50,000 newcomers, ~33,000 places, ~1M expanded edges, popular hosts in up to
~500 lists) scipy's LAPJVsp needs ~6 s: each augmenting path resets arrays over all ~83,000
columns, and each search step without a tied column scans all of them. The matcher uses the
same solver, on its own top-10 graph, which is less contended (~2 s). So the table also
prints the full pipeline against the baseline's TF-IDF + similarity alone (column
``excl.``): the figure for a reader who discounts the baseline's assignment entirely.

The full pipeline is ``matching.propose`` with top_k=3: normalising interests, features,
hard rules, scoring, optimal assignment and reasons. The normaliser is fitted before the
clock starts (a web process fits it once); its fitting time is printed separately.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.profiles import HostProfile, NewcomerProfile  # noqa: E402 (after sys.path)

SIZES = {"1k": (1_000, 1_000), "10k": (5_000, 10_000), "50k": (20_000, 50_000)}
TEST_DATA = ROOT / "tests" / "data" / "matching"
TARGET_RATIO = 3.0
TARGET_PEAK_MIB = 1536
TARGET_1K_SECONDS = 2.0
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
BASELINE_TOP = 10
BASELINE_DENSE_TERMS = 128
BASELINE_BLOCK_CELLS = 4_000_000
BASELINE_BLAS_THREADS = (1, 2)


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _blas() -> str:
    from threadpoolctl import threadpool_info

    found = [
        f"{i['internal_api']} {i.get('version', '?')} {i.get('architecture', '?')}"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    return ", ".join(sorted(set(found))) or "none"


def baseline(
    hosts: Sequence[HostProfile], newcomers: Sequence[NewcomerProfile], blas_threads: int = 1
) -> dict[str, Any]:
    """Bare TF-IDF + exact top-10 cosine in BLAS blocks + plain sparse assignment."""
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching
    from sklearn.feature_extraction.text import TfidfVectorizer
    from threadpoolctl import threadpool_limits

    cpu = time.process_time()
    start = time.perf_counter()
    hosts = [p for p in hosts if p.status == "active" and p.free_capacity > 0]
    n, h = len(newcomers), len(hosts)
    docs = [" ".join(p.interests) + " " + p.interview for p in [*newcomers, *hosts]]
    matrix = TfidfVectorizer(dtype=np.float32).fit_transform(docs).tocsr()
    tfidf = time.perf_counter()

    # Split the terms both sides use: the most productive ones dense (BLAS), the rest sparse.
    features_n, features_h = matrix[:n], matrix[n:]
    width = matrix.shape[1]
    pairs = np.bincount(features_n.indices, minlength=width).astype(np.float64) * np.bincount(
        features_h.indices, minlength=width
    )
    order = np.argsort(-pairs, kind="stable")
    dense_terms = order[:BASELINE_DENSE_TERMS]
    rare_terms = order[BASELINE_DENSE_TERMS:]
    rare_terms = rare_terms[pairs[rare_terms] > 0]
    dense_n = np.ascontiguousarray(features_n[:, dense_terms].toarray())
    dense_h_t = np.ascontiguousarray(features_h[:, dense_terms].toarray().T)
    rare_n = features_n[:, rare_terms].tocsr()
    rare_h_t = features_h[:, rare_terms].T.tocsr()

    top = min(BASELINE_TOP, h)
    best_hosts = np.empty((n, top), dtype=np.int64)
    best_score = np.empty((n, top), dtype=np.float32)
    rows_per_block = max(1, BASELINE_BLOCK_CELLS // max(h, 1))
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        for lo in range(0, n if top else 0, rows_per_block):
            block = dense_n[lo : lo + rows_per_block] @ dense_h_t
            rare = rare_n[lo : lo + rows_per_block] @ rare_h_t
            flat = np.repeat(np.arange(len(block)) * h, np.diff(rare.indptr)) + rare.indices
            block.reshape(-1)[flat] += rare.data
            np.negative(block, out=block)
            idx = np.argpartition(block, top - 1, axis=1)[:, :top]
            best_hosts[lo : lo + len(block)] = idx
            best_score[lo : lo + len(block)] = -np.take_along_axis(block, idx, axis=1)
    similarity = time.perf_counter()

    # Places are rows (the scarcer side); each has its own "stays empty" column.
    capacity = np.array([p.free_capacity for p in hosts], dtype=np.int64)
    first_place = np.concatenate(([0], np.cumsum(capacity)[:-1]))
    n_places = int(capacity.sum())
    edge_hosts = best_hosts.ravel()
    per_edge = capacity[edge_hosts]
    edge = np.repeat(np.arange(len(edge_hosts)), per_edge)
    offset = np.arange(len(edge)) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    place = first_place[edge_hosts[edge]] + offset
    newcomer = edge // max(top, 1)
    empty = 1.0 + 1e-6
    graph = sp.csr_matrix(
        (
            np.concatenate([empty - best_score.ravel()[edge], np.full(n_places, empty)]),
            (
                np.concatenate([place, np.arange(n_places)]),
                np.concatenate([newcomer, n + np.arange(n_places)]),
            ),
        ),
        shape=(n_places, n + n_places),
    )
    _, matched = min_weight_full_bipartite_matching(graph)
    end = time.perf_counter()
    return {
        "seconds": end - start,
        "cpu_seconds": time.process_time() - cpu,
        "tfidf_seconds": tfidf - start,
        "similarity_seconds": similarity - tfidf,
        "assignment_seconds": end - similarity,
        "assigned": int((matched < n).sum()),
        "blas_threads": blas_threads,
    }


def full(hosts: Sequence[HostProfile], newcomers: Sequence[NewcomerProfile]) -> dict[str, Any]:
    """The whole ``propose`` pipeline."""
    from matching import default_normalizer, propose

    fit_start = time.perf_counter()
    default_normalizer()
    fit = time.perf_counter() - fit_start
    cpu = time.process_time()
    start = time.perf_counter()
    proposals = propose(hosts, newcomers, top_k=3)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "fit_seconds": fit,
        "assigned": sum(1 for p in proposals if p.assigned is not None),
        "reasons": sum(len(c.reasons) for p in proposals for c in p.candidates),
    }


def worker(size: str, mode: str, blas_threads: int) -> None:
    """Run one measurement in this (fresh) process and print it as JSON."""
    import numpy  # noqa: F401  (import the libraries before measuring)
    import scipy.sparse  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401

    from matching.synth import generate_pool

    n_hosts, n_newcomers = SIZES[size]
    pool = generate_pool(n_hosts, n_newcomers, seed=42)
    before = _peak_mib()
    if mode == "baseline":
        result = baseline(pool.hosts, pool.newcomers, blas_threads)
    else:
        result = full(pool.hosts, pool.newcomers)
    result["peak_mib"] = _peak_mib()
    result["pool_mib"] = before
    result["blas"] = _blas()
    print(json.dumps(result))


def _measure(size: str, mode: str, blas_threads: int, keep_env: bool) -> dict[str, Any]:
    env = dict(os.environ)
    if not keep_env:
        for name in BLAS_ENV:
            env.pop(name, None)
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", size, mode, str(blas_threads)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run, with the highest peak memory of all runs."""
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["peak_mib"] = max(r["peak_mib"] for r in runs)
    best["all_seconds"] = [r["seconds"] for r in runs]
    return best


def scale(sizes: list[str], runs: int, keep_env: bool) -> bool:
    """Print the scale table; True when every target is met."""
    print(
        f"Scale (generated pools; seconds are the fastest of {runs} runs per side in fresh "
        f"processes, MiB the highest peak RSS of those runs):"
    )
    ok = True
    header_done = False
    for size in sizes:
        n_hosts, n_newcomers = SIZES[size]
        # Interleave the two sides so a burst of load on the shared machine hits both.
        base_runs: list[dict[str, Any]] = []
        full_runs: list[dict[str, Any]] = []
        for _ in range(runs):
            for threads in BASELINE_BLAS_THREADS:
                base_runs.append(_measure(size, "baseline", threads, keep_env))
            full_runs.append(_measure(size, "full", 1, keep_env))
        base, result = _best(base_runs), _best(full_runs)
        if not header_done:
            print(f"BLAS: {result['blas']} (OPENBLAS_* {'kept' if keep_env else 'unset'})")
            print(
                f"{'pool':>14} {'baseline s':>11} {'full s':>8} {'ratio':>6} {'excl.':>6} "
                f"{'base MiB':>9} {'full MiB':>9} {'pool MiB':>9} {'assigned':>9}"
            )
            header_done = True
        ratio = result["seconds"] / base["seconds"]
        bare_similarity = base["tfidf_seconds"] + base["similarity_seconds"]
        label = f"{n_newcomers // 1000}k x {n_hosts // 1000}k"
        print(
            f"{label:>14} {base['seconds']:>11.2f} {result['seconds']:>8.2f} {ratio:>6.2f} "
            f"{result['seconds'] / bare_similarity:>6.2f} "
            f"{base['peak_mib']:>9.0f} {result['peak_mib']:>9.0f} {result['pool_mib']:>9.0f} "
            f"{int(result['assigned']):>9}"
        )
        print(
            f"{'':>14} baseline: TF-IDF {base['tfidf_seconds']:.2f} s, similarity "
            f"{base['similarity_seconds']:.2f} s, assignment {base['assignment_seconds']:.2f} s "
            f"({base['blas_threads']} BLAS thread(s)), assigned {base['assigned']}; "
            f"normaliser fit {result['fit_seconds']:.2f} s (once per process)"
        )
        print(
            f"{'':>14} all runs: baseline "
            + ", ".join(f"{s:.2f}" for s in base["all_seconds"])
            + "; full "
            + ", ".join(f"{s:.2f}" for s in result["all_seconds"])
            + f"; CPU s of the fastest runs: baseline {base['cpu_seconds']:.2f}, "
            f"full {result['cpu_seconds']:.2f} (ratio "
            f"{result['cpu_seconds'] / base['cpu_seconds']:.2f})"
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

    hosts = read_hosts(TEST_DATA / "hosts.jsonl")
    newcomers = read_newcomers(TEST_DATA / "newcomers.jsonl")
    truth = json.loads((TEST_DATA / "truth.json").read_text(encoding="utf-8"))
    result = evaluate(propose(hosts, newcomers, top_k=3), truth, hosts, newcomers)
    print(f"Quality on {TEST_DATA} ({result.newcomers} newcomers):")
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
    parser.add_argument("--runs", type=int, default=2, help="runs per side and size (min taken)")
    parser.add_argument(
        "--keep-blas-env", action="store_true", help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE"
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("SIZE", "MODE", "THREADS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        size, mode, threads = args.worker
        worker(size, mode, int(threads))
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    ok = True
    if not args.no_quality:
        ok = quality() and ok
        print()
    ok = scale(sizes, args.runs, args.keep_blas_env) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
