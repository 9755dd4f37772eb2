"""Baseline campaign: evogan's GA with SPEA2 survival against NSGA-II and NSGA-III.

ZDT1-4, ZDT6 (2 objectives) and DTLZ1-7 (3 objectives), 11 seeds, 10,000 and 25,000
evaluations, population 100; NSGA-III is the control of the rank-sum tests (the last listed).
The GA with SPEA2 survival is the evolutionary half of GMOEA, so this campaign is the yardstick
for the GAN operators that later runners compare.

Usage (from the repository root; re-running resumes and only redoes missing runs):

    python runners/baseline_ga.py [--workers 2] [--out results/baseline_ga]
    python runners/baseline_ga.py --time-workers 1,2   # times a one-seed sub-campaign

`--time-workers` runs the 36 runs of seed 1 at 10,000 evaluations into a temporary folder once
per worker count and writes OUT/timing-workers-N-M.json (the full campaign's own timing is in
OUT/timing.json).

The raw run records go to OUT/runs/ (ignored by git: about 50 MB); the report, summary.csv,
figures and the campaign file are committed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

from evogan.lab.backends import LocalPool
from evogan.lab.campaign import Campaign, run_campaign, run_published_campaign
from evogan.lab.record import read_record
from evogan.lab.report import write_report

CAMPAIGN = Campaign(
    algos=("ga", "nsga2", "nsga3"),
    problems=("zdt1", "zdt2", "zdt3", "zdt4", "zdt6",
              "dtlz1", "dtlz2", "dtlz3", "dtlz4", "dtlz5", "dtlz6", "dtlz7"),
    seeds=tuple(range(1, 12)),
    max_evals=(10_000, 25_000),
    pop_size=100,
    algorithm={"ga": {"survival": "spea2"}},
    problem={f"dtlz{i}": {"n_obj": 3} for i in range(1, 8)},
)


def time_workers(counts: list[int], out: Path) -> None:
    """Wall time of the same one-seed sub-campaign with each number of workers."""
    sub = dataclasses.replace(CAMPAIGN, seeds=(1,), max_evals=(10_000,))
    timings = []
    for workers in counts:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = run_campaign(sub, Path(folder), backend=LocalPool(workers))
            wall_s = time.perf_counter() - started
            # runs' own wall times summed: busy_s / wall_s is the mean number of busy workers
            busy_s = sum(read_record(f).summary["wall_s"] for f in result.written)
        if not result.ok or len(result.written) != len(sub.runs()):
            raise SystemExit(f"timing with {workers} worker(s): some runs failed: {result.failed}")
        timings.append({"workers": workers, "runs": len(result.written), "wall_s": round(wall_s, 1),
                        "runs_busy_s": round(busy_s, 1),
                        "load_average_after": [round(x, 2) for x in os.getloadavg()]})
        logging.info("%d worker(s): %d runs in %.1f s", workers, len(result.written), wall_s)
    (out / f"timing-workers-{'-'.join(map(str, counts))}.json").write_text(json.dumps({
        "sub_campaign": "3 algorithms x 12 problems x seed 1 at 10,000 evaluations",
        "machine": f"{platform.platform()}, {os.cpu_count()} cores", "timings": timings},
        indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/baseline_ga"))
    parser.add_argument("--time-workers", default=None, metavar="N,M",
                        help="only time a one-seed sub-campaign with these worker counts")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.time_workers:
        time_workers([int(n) for n in args.time_workers.split(",")], args.out)
        return
    run_published_campaign(CAMPAIGN, args.out, workers=args.workers)
    write_report(args.out)


if __name__ == "__main__":
    main()
