"""CPU time of one run per algorithm, measured warm in one process: what an algorithm costs
itself, without imports, compilation or the machine's load (which inflates wall times).

Each round runs every algorithm once (`evogan.minimize`, seed 1, one torch thread and one BLAS
thread) after an unrecorded warm-up round that loads every kernel; the algorithms alternate within a round so
that a shared machine's state falls on all of them alike. The report gives the median CPU time
(`time.process_time`) over the rounds and its ratio to the first algorithm's.

    python runners/run_cost.py --algos nsga2 gmoea-ga rm-meda --problem imf1 --n-var 30 \
        [--max-evals 10000] [--rounds 3] [--out results/rm_meda/cost.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pymoo
import torch
from threadpoolctl import threadpool_limits

from evogan import get_algorithm, get_problem, minimize
from evogan.device import set_cpu_threads
from evogan.lab.config import parse_param
from evogan.lab.machine import cpu_model
from evogan.lab.record import write_text_atomic


def cpu_seconds(algo: str, params: dict[str, str], problem: str, n_var: int | None,
                max_evals: int) -> float:
    """CPU time of one run of `algo` (seed 1)."""
    algorithm = get_algorithm(algo, **params)
    start = time.process_time()
    minimize(get_problem(problem, n_var=n_var), algorithm, seed=1, max_evals=max_evals)
    return time.process_time() - start


def parse_label(label: str) -> tuple[str, dict[str, str]]:
    """`ALGO` or `ALGO:KEY=VALUE,KEY=VALUE` (e.g. `portfolio:operators=sbx-pm+de+rm`)."""
    algo, _, rest = label.partition(":")
    return algo, dict(parse_param(item) for item in rest.split(",") if item)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algos", nargs="+", required=True,
                        help="ALGO or ALGO:KEY=VALUE,...; the first is the reference")
    parser.add_argument("--problem", default="imf1")
    parser.add_argument("--n-var", type=int, default=None)
    parser.add_argument("--max-evals", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True, help="the markdown report to write")
    args = parser.parse_args()
    set_cpu_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):  # as `evogan run` and campaign workers
        report(args)


def report(args: argparse.Namespace) -> None:
    """Time the runs of `args` and write the report."""
    labels = [(label, *parse_label(label)) for label in args.algos]
    for _, algo, params in labels:  # warm-up: kernels loaded or compiled, caches filled
        cpu_seconds(algo, params, args.problem, args.n_var, min(args.max_evals, 1000))
    seconds: dict[str, list[float]] = {label: [] for label, _, _ in labels}
    for _ in range(args.rounds):
        for label, algo, params in labels:
            seconds[label].append(cpu_seconds(algo, params, args.problem, args.n_var,
                                              args.max_evals))
    reference = statistics.median(seconds[labels[0][0]])
    lines = [f"# CPU time per run: {args.problem}"
             f"{'' if args.n_var is None else f' (n_var {args.n_var})'}, "
             f"{args.max_evals:,} evaluations, seed 1", "",
             f"`python runners/run_cost.py --algos {' '.join(args.algos)} --problem "
             f"{args.problem}{'' if args.n_var is None else f' --n-var {args.n_var}'} "
             f"--max-evals {args.max_evals} --rounds {args.rounds}`: warm, in one process, one "
             "torch thread; median over the rounds.", "",
             f"| algorithm | CPU s (median) | rounds | x {labels[0][0]} |", "|---|---:|---|---:|"]
    for label, _, _ in labels:
        median = statistics.median(seconds[label])
        rounds = ", ".join(f"{s:.2f}" for s in seconds[label])
        lines.append(f"| `{label}` | {median:.2f} | {rounds} | {median / reference:.1f} |")
    lines += ["", f"Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}; "
              f"load average before {os.getloadavg()[0]:.1f}; Python {platform.python_version()}, "
              f"evogan {version('evogan')}, "
              f"torch {torch.__version__}, numpy {np.__version__}, pymoo {pymoo.__version__}; "
              f"{time.strftime('%Y-%m-%d')}.", ""]
    write_text_atomic(args.out, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
