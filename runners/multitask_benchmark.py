"""Multitask benchmark: EMT-GS against MO-MFEA and one NSGA-II per task on the CEC2017 pairs.

All nine CEC2017 multiobjective multitask pairs (cec17-cihs ... cec17-nils), 100 individuals
per task, 200,000 evaluations per problem (as in MToP), seeds 1..11 by default. The control of
the rank-sum tests is `nsga2` (one independent NSGA-II per task, the same total budget): the
question is whether transfer helps at all. The report also gives the CEC2017 multitask score.

    python runners/multitask_benchmark.py [--seeds 11] [--workers 2] [--out results/multitask]

Re-running resumes: complete runs are skipped.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from evogan.lab.campaign import Campaign, run_published_campaign
from evogan.lab.report import write_report
from evogan.problems.multitask import available_multitask_problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=11)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-evals", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=Path("results/multitask"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    campaign = Campaign(algos=("emt-gs", "mo-mfea", "nsga2"),
                        problems=tuple(available_multitask_problems()),
                        seeds=tuple(range(1, args.seeds + 1)), max_evals=(args.max_evals,),
                        pop_size=100)
    run_published_campaign(campaign, args.out, workers=args.workers)
    write_report(args.out)


if __name__ == "__main__":
    main()
