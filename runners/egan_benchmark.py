"""E-GAN benchmark: the `egan` operator against `gmoea` and NSGA-II on ZDT and DTLZ.

ZDT1-4, ZDT6 (2 objectives) and DTLZ1-7 (3 objectives) at their default sizes, 10,000
evaluations, population 100, seeds 1..11 by default; `nsga2` is the control of the rank-sum
tests. Both GAN algorithms train small networks every generation, so on one CPU core a run takes
about 40-90 s (NSGA-II: about 2 s): the whole campaign is several CPU-hours.

    python runners/egan_benchmark.py [--seeds 11] [--workers 2] [--out results/egan_benchmark]

Re-running resumes: complete runs are skipped.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from evogan.campaign import Campaign, run_published_campaign
from evogan.report import write_report

PROBLEMS = ("zdt1", "zdt2", "zdt3", "zdt4", "zdt6",
            "dtlz1", "dtlz2", "dtlz3", "dtlz4", "dtlz5", "dtlz6", "dtlz7")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=11)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/egan_benchmark"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    campaign = Campaign(algos=("egan", "gmoea", "nsga2"), problems=PROBLEMS,
                        seeds=tuple(range(1, args.seeds + 1)), max_evals=(10_000,), pop_size=100,
                        problem={f"dtlz{i}": {"n_obj": 3} for i in range(1, 8)})
    run_published_campaign(campaign, args.out, workers=args.workers)
    write_report(args.out)


if __name__ == "__main__":
    main()
