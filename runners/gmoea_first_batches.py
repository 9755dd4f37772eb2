"""Where GMOEA's collapse on IMF starts: batch by batch, how far each operator's offspring lie
from the Pareto set, where along x1, and which of them survive.

For each algorithm of GMOEA's loop (`GANLoop`: gmoea, gmoea-plus, gmoea-ga), seed and IMF
problem, the run is driven batch by batch up to `--evals` evaluations; for every batch after
the initial population the table gives the operator that made it, the share of its offspring
with x1 < 0.2, the median decision-space distance to the Pareto set (`IMF.pareto_set` of the
offspring's own free variables: 0 on the set) of its offspring with x1 < 0.2 and with x1 >= 0.2,
how many of its offspring survived SPEA2 selection (and how many of those have x1 < 0.2), and
the population's x1 range afterwards.

    python runners/gmoea_first_batches.py --problems imf1,imf2 --seeds 1-3 \\
        --out results/gmoea_plus/first_batches.md
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from evogan.core.rng import make_rng
from evogan.engine import evaluate
from evogan.lab.campaign import parse_seeds
from evogan.lab.record import write_text_atomic
from evogan.problems import get_problem
from evogan.registry import get_algorithm

LOW = 0.2
"""x1 below this counts as the corner the collapse ends in."""


def batches(algo: str, problem_name: str, n_var: int, seed: int, evals: int) -> list[str]:
    """The table rows of one run, one per offspring batch."""
    problem = get_problem(problem_name, n_var=n_var)
    n_free = problem.definition.first_linked - 1  # x1 (and x2 on IMF4, IMF8)
    algorithm = get_algorithm(algo, pop_size=100)
    algorithm.setup(problem, rng=make_rng(seed))
    rows, n_evals = [], 0
    while n_evals < evals:
        X = algorithm.ask()
        F, cv = evaluate(problem, X)
        U = algorithm.offspring_.copy()  # (n, n_var) the batch on the unit cube
        initial = algorithm.X_ is None
        algorithm.tell(X, F, cv)
        n_evals += len(X)
        if initial:
            continue
        survived = (algorithm.X_[None, :, :] == U[:, None, :]).all(axis=2).any(axis=1)  # (n,)
        distance = np.linalg.norm(X - problem.pareto_set(X[:, :n_free]), axis=1)  # (n,)
        low = U[:, 0] < LOW
        operator = "GAN" if algorithm.from_gan_ else "GA"
        rows.append(f"| {algo} | {problem_name} | {seed} | {n_evals} | {operator} | "
                    f"{low.mean():.2f} | {_median(distance, low)} | {_median(distance, ~low)} | "
                    f"{survived.sum()} | "
                    f"{(survived & low).sum()} | {np.ptp(algorithm.X_[:, 0]):.2f} |")
    return rows


def _median(values: np.ndarray, mask: np.ndarray) -> str:
    return f"{np.median(values[mask]):.2f}" if mask.any() else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algos", default="gmoea,gmoea-plus,gmoea-ga")
    parser.add_argument("--problems", default="imf1,imf2")
    parser.add_argument("--n-var", type=int, default=30)
    parser.add_argument("--seeds", default="1-3")
    parser.add_argument("--evals", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = ["# Offspring batches of GMOEA's loop, batch by batch", "",
             f"`python runners/gmoea_first_batches.py --algos {args.algos} --problems "
             f"{args.problems} --n-var {args.n_var} --seeds {args.seeds} --evals {args.evals}`; "
             f"population 100. Columns: the operator of the batch; the share of its offspring "
             f"with x1 < {LOW}; the median distance in decision space to the Pareto set of "
             f"those with x1 < {LOW} and of the others; how many of its 100 offspring survived "
             f"and how many of the survivors have x1 < {LOW}; the population's x1 range after "
             "selection.", "",
             "| algorithm | problem | seed | evaluations | batch | share x1 < 0.2 | "
             "distance (x1 < 0.2) | distance (x1 >= 0.2) | survived | survived, x1 < 0.2 | "
             "population x1 range |", "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for problem in args.problems.split(","):
        for algo in args.algos.split(","):
            for seed in parse_seeds(args.seeds):
                lines += batches(algo, problem, args.n_var, seed, args.evals)
    write_text_atomic(args.out, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
