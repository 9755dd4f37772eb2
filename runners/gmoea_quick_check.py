"""A quick look, not the campaign: gmoea against its GA-only control on a few problems and seeds.

Full settings (N = 100, k = 10, w_max = 5, 200 epochs), n_var = 30, 10,000 evaluations, one
torch thread. Per run: final IGD against the problem's reference front, wall time, the share of
GAN and of GA offspring that survived SPEA2 selection, and the mean GAN training time. The
campaign (all problems, 11+ seeds, rank-sum tests) belongs to the benchmark runner of issue 3.
Writes results/gmoea_quick_check/report.md and report.json.

Usage: python runners/gmoea_quick_check.py [--problems zdt1 imf1] [--seeds 0 1]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
from pathlib import Path

import numpy as np
import torch

import evogan.algorithms.gmoea  # noqa: F401  (registers gmoea and gmoea-ga)
from evogan.device import set_cpu_threads
from evogan.engine import minimize
from evogan.indicators import igd
from evogan.problems import get_problem, reference_front
from evogan.registry import get_algorithm

OUT = Path(__file__).resolve().parents[1] / "results" / "gmoea_quick_check"


class _Survival:
    """Collects the per-generation metrics of a gmoea run."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    def on_generation(self, state) -> None:
        self.rows.append(state.algorithm.metrics())

    def summary(self) -> dict[str, float]:
        def mean_of(key: str, rows=self.rows) -> float:
            values = [r[key] for r in rows if not math.isnan(r[key])]
            return statistics.fmean(values) if values else math.nan

        trained = [r for r in self.rows if r["trained"] == 1.0]
        return {
            "gan_batches": int(sum(r["gan_batch"] == 1.0 for r in self.rows)),
            "ga_batches": int(sum(r["gan_batch"] == 0.0 for r in self.rows)),
            "gan_survival": mean_of("gan_survival"),
            "ga_survival": mean_of("ga_survival"),
            "trainings": len(trained),
            "train_seconds_mean": mean_of("train_seconds", trained),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["zdt1", "imf1"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--n-var", type=int, default=30)
    parser.add_argument("--max-evals", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    set_cpu_threads(1)
    runs = []
    for name in args.problems:
        problem = get_problem(name, n_var=args.n_var)
        front = reference_front(problem)
        for seed in args.seeds:
            for algo in ("gmoea", "gmoea-ga"):
                survival = _Survival()
                result = minimize(problem, get_algorithm(algo), seed=seed,
                                  max_evals=args.max_evals, callbacks=[survival])
                run = {"problem": name, "algo": algo, "seed": seed, "n_evals": result.n_evals,
                       "igd": igd(result.F, front), "wall_s": result.wall_s,
                       **survival.summary()}
                runs.append(run)
                print(json.dumps(run), flush=True)
    record = {
        "setting": {"n_var": args.n_var, "max_evals": args.max_evals, "seeds": args.seeds,
                    "problems": args.problems, "threads": 1, "pop_size": 100, "k": 10,
                    "w_max": 5, "epochs": 200},
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "load_average": list(os.getloadavg()), "torch": torch.__version__,
                    "numpy": np.__version__, "python": platform.python_version()},
        "runs": runs,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(record, indent=2) + "\n")
    (args.out / "report.md").write_text(_markdown(record))
    print(_markdown(record))


def _markdown(record: dict) -> str:
    s, m = record["setting"], record["machine"]
    lines = [
        "# gmoea vs gmoea-ga: quick check (not the campaign)",
        "",
        f"n_var = {s['n_var']}, {s['max_evals']} evaluations, N = {s['pop_size']}, "
        f"k = {s['k']}, w_max = {s['w_max']}, {s['epochs']} epochs, seeds {s['seeds']}, "
        f"1 torch thread. Machine: {m['platform']}, {m['cpu_count']} CPUs shared with other "
        f"jobs (load average at the end {', '.join(f'{x:.1f}' for x in m['load_average'])}), "
        f"torch {m['torch']}.",
        "",
        "| problem | algo | seed | IGD | wall s | GAN batches | GAN survival | GA survival "
        "| mean training s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in record["runs"]:
        lines.append(
            f"| {r['problem']} | {r['algo']} | {r['seed']} | {r['igd']:.4f} | {r['wall_s']:.1f} "
            f"| {r['gan_batches']}/{r['gan_batches'] + r['ga_batches']} "
            f"| {r['gan_survival']:.3f} | {r['ga_survival']:.3f} | {r['train_seconds_mean']:.2f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
