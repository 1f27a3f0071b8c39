"""Learning from decisions: a simulated coordinator with hidden preferences.

    .venv/bin/python bench/bench_learning.py                   # seeds 1-5, 300 newcomers
    .venv/bin/python bench/bench_learning.py --seeds 1,2,3 --noise 0.02

The coordinator (``matching.simulation``) prefers the same area three times and closeness
in age twice as much as the default weights do, with a small personal noise per pair. For
each seed a pool of 300 newcomers and 400 hosts is generated; on 150 newcomers the
coordinator picks from the matcher's top 5 (the decisions: "approved" when the pick is the
first, "picked" otherwise), ``learn_weights`` learns from them, and on the other 150 we
count how often the matcher's best candidate is the coordinator's pick, with the default
weights and with the learned ones (each shows its own top 5). Target: +15 points or more.

The control repeats it with a coordinator whose preferences are the defaults' own: learning
should then change nothing significant. Significance is McNemar's exact test on the paired
outcomes (newcomers where only one of the two matchers agreed with the pick), pooled over
the seeds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from scipy.stats import binomtest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.simulation import HIDDEN_PREFERENCES, SimulationResult, simulate  # noqa: E402

TARGET_POINTS = 15.0


def _run(
    name: str, multipliers: dict[str, float], seeds: list[int], noise: float
) -> list[SimulationResult]:
    print(f"\n{name}: preferences x{multipliers or 'defaults'}, noise {noise}")
    print("seed  decisions  evaluated  default  learned   gain   weights learned")
    results = []
    for seed in seeds:
        started = time.perf_counter()
        r = simulate(seed=seed, multipliers=multipliers, noise=noise)
        weights = " ".join(f"{k[:4]} {v:.3f}" for k, v in r.learned.as_mapping().items())
        print(
            f"{seed:>4}  {r.train:>9}  {r.evaluated:>9}  {r.default_agreement:>7.3f}"
            f"  {r.learned_agreement:>7.3f}  {r.gain_points:>+5.1f}   {weights}"
            f"  ({time.perf_counter() - started:.1f} s)"
        )
        results.append(r)
    mean_default = statistics.mean(r.default_agreement for r in results)
    mean_learned = statistics.mean(r.learned_agreement for r in results)
    gains = [r.gain_points for r in results]
    learned_only = sum(r.learned_only for r in results)
    default_only = sum(r.default_only for r in results)
    discordant = learned_only + default_only
    p = binomtest(min(learned_only, default_only), discordant, 0.5).pvalue if discordant else 1.0
    print(
        f"mean  default {mean_default:.3f}  learned {mean_learned:.3f}  gain "
        f"{statistics.mean(gains):+.1f} points (min {min(gains):+.1f}, max {max(gains):+.1f});"
        f" only learned agreed {learned_only}, only default {default_only}: McNemar p = {p:.3g}"
    )
    return results


def main() -> int:
    """Print the figures; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--noise", type=float, default=0.01)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    hidden = _run("hidden preferences", dict(HIDDEN_PREFERENCES), seeds, args.noise)
    control = _run("control", {}, seeds, args.noise)

    ok = True
    worst = min(r.gain_points for r in hidden)
    print(f"\nhidden preferences: smallest gain {worst:+.1f} points (target {TARGET_POINTS:+.0f})")
    ok &= worst >= TARGET_POINTS
    learned_only = sum(r.learned_only for r in control)
    default_only = sum(r.default_only for r in control)
    discordant = learned_only + default_only
    p = binomtest(min(learned_only, default_only), discordant, 0.5).pvalue if discordant else 1.0
    mean_gain = statistics.mean(r.gain_points for r in control)
    print(f"control: mean change {mean_gain:+.1f} points, McNemar p = {p:.3g} (target p >= 0.05)")
    ok &= p >= 0.05
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
