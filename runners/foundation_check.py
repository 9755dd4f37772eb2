"""Foundation check: nsga2 and ga through evogan against pymoo's NSGA-II alone, on ZDT1 and DTLZ2.

Writes results/foundation_check/report.md (+ summary.csv): median and IQR of IGD and wall time
over seeds 1..11 at 10,000 evaluations. "pymoo alone" is pymoo's own `minimize` with NSGA2 and
the same seeds, so it shows what the adapter costs and that it changes nothing in quality.

    python runners/foundation_check.py [--seeds 11]
"""

from __future__ import annotations

import argparse
import csv
import platform
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.optimize import minimize as pymoo_minimize

from evogan import get_problem, igd, reference_front
from evogan.lab.config import RunConfig
from evogan.lab.run import execute

OUT = Path(__file__).resolve().parents[1] / "results" / "foundation_check"


def pymoo_alone(problem_name: str, seed: int, max_evals: int) -> tuple[float, float]:
    problem = get_problem(problem_name)
    start = time.perf_counter()
    result = pymoo_minimize(problem, NSGA2(pop_size=100), ("n_evals", max_evals), seed=seed)
    wall = time.perf_counter() - start
    return igd(result.F, reference_front(problem)), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=11)
    parser.add_argument("--max-evals", type=int, default=10_000)
    args = parser.parse_args()
    rows = []
    for problem in ("zdt1", "dtlz2"):
        reference_front(get_problem(problem))  # build the cached front outside the timings
        for seed in range(1, args.seeds + 1):
            for algo in ("nsga2", "ga"):
                record = execute(RunConfig(algo=algo, problem=problem, seed=seed,
                                           max_evals=args.max_evals))
                rows.append({"algo": algo, "problem": problem, "seed": seed,
                             "igd": record.summary["igd"], "wall_s": record.summary["wall_s"]})
            value, wall = pymoo_alone(problem, seed, args.max_evals)
            rows.append({"algo": "pymoo NSGA2 alone", "problem": problem, "seed": seed,
                         "igd": value, "wall_s": wall})
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "summary.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Foundation check: evogan's nsga2 and ga against pymoo's NSGA-II alone",
        "",
        f"Seeds 1..{args.seeds}, {args.max_evals:,} evaluations, population 100, default",
        "n_var/n_obj (ZDT1: 30 variables, 2 objectives; DTLZ2: 12 variables, 3 objectives).",
        "evogan's wall time includes the per-generation history (IGD and HV every 100",
        "evaluations); pymoo alone computes no indicator during the run.",
        "",
        "| problem | algorithm | IGD median | IGD IQR | wall s median |",
        "|---|---|---|---|---|",
    ]
    for problem in ("zdt1", "dtlz2"):
        for algo in ("nsga2", "pymoo NSGA2 alone", "ga"):
            sel = [r for r in rows if r["problem"] == problem and r["algo"] == algo]
            values = np.array([r["igd"] for r in sel])
            q1, q3 = np.percentile(values, [25, 75])
            wall = np.median([r["wall_s"] for r in sel])
            lines.append(f"| {problem} | {algo} | {np.median(values):.4f} | {q3 - q1:.4f} | "
                         f"{wall:.2f} |")
    versions = ", ".join(f"{p} {version(p)}" for p in ("evogan", "numpy", "pymoo", "moocore"))
    lines += ["", f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
              f"Python {platform.python_version()}; {versions}.",
              "Produced by `python runners/foundation_check.py`."]
    (OUT / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
