"""E-GAN benchmark: the `egan` operator against `gmoea` and NSGA-II on ZDT and DTLZ.

`egan-crn` is `egan` with `common_noise=True` (all children scored on the same noise),
`egan-distance` is `egan` with IE-GAN's diversity (`diversity="distance"`: the mean L1 distance
between a child's samples instead of -log ||grad_D L_D||; at the operator's gamma = 0.1 both
terms vary about as much between candidates: sd 0.02-0.03 on ZDT1 and DTLZ2).
ZDT1-4, ZDT6 (2 objectives) and DTLZ1-7 (3 objectives) at their default sizes, 10,000
evaluations, population 100, seeds 1..11 by default. `nsga2` is the control of the rank-sum
tests in report.md, `gmoea` (the other GAN operator in the same loop) in vs-gmoea/report.md,
`egan` (common noise or not) in vs-egan/report.md.
Both GAN algorithms train small networks every generation: on one CPU core an egan run takes
about 16-19 s, gmoea 3.5-9 s, NSGA-II 1.4-3.3 s. `selection.md` gives, per problem, how often
each E-GAN mutation (loss) produced a surviving generator, from the last history row of each
egan run. The gmoea and nsga2 records may be copied from results/gmoea_classic (the same runs):
complete records whose configuration matches are skipped.

    python runners/egan_benchmark.py [--seeds 11] [--workers 2] [--out results/egan_benchmark]

Re-running resumes: complete runs are skipped.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from evogan.lab.campaign import Campaign, run_published_campaign
from evogan.lab.collection import collect
from evogan.lab.record import write_text_atomic
from evogan.lab.report import write_report
from evogan.lab.stats import median_iqr

PROBLEMS = ("zdt1", "zdt2", "zdt3", "zdt4", "zdt6",
            "dtlz1", "dtlz2", "dtlz3", "dtlz4", "dtlz5", "dtlz6", "dtlz7")
EGAN_LABELS = ("egan", "egan-crn", "egan-distance")
"""`egan` with its defaults, with its children scored on common noise (`common_noise`), and
with IE-GAN's distance diversity (`diversity="distance"`)."""


def selection_table(root: Path) -> str:
    """Per problem and egan label: median over runs of each mutation's share of survivors."""
    found = collect(root)
    rows = []
    for instance in found.instances():
        for label in EGAN_LABELS:
            runs = [r for r in found.runs if r.label == label and r.instance == instance]
            last = [next(row for row in reversed(r.record.history) if "select_minimax" in row)
                    for r in runs]
            if last:
                names = [key for key in last[0] if key.startswith("select_")]
                rows.append((f"{instance[0]} | {label}", names,
                             [median_iqr([row[n] for row in last])[0] for n in names]))
    names = rows[0][1] if rows else []
    lines = ["# E-GAN mutation selection rates in egan runs", "",
             "Share of surviving generators produced by each loss (\"parent\": a parent kept by "
             "plus-selection) over a whole run; median over seeds.", "",
             "| problem | algorithm | " + " | ".join(n.removeprefix("select_") for n in names)
             + " |",
             "|---|---|" + "---:|" * len(names)]
    lines += [f"| {problem} | " + " | ".join(f"{v:.2f}" for v in values) + " |"
              for problem, _, values in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=11)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/egan_benchmark"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    campaign = Campaign(algos=(*EGAN_LABELS, "gmoea", "nsga2"), problems=PROBLEMS,
                        seeds=tuple(range(1, args.seeds + 1)), max_evals=(10_000,), pop_size=100,
                        problem={f"dtlz{i}": {"n_obj": 3} for i in range(1, 8)},
                        algorithm={"egan-crn": {"algo": "egan", "common_noise": True},
                                   "egan-distance": {"algo": "egan", "diversity": "distance"}})
    run_published_campaign(campaign, args.out, workers=args.workers)
    write_report(args.out)
    write_report(args.out, control="gmoea", out=args.out / "vs-gmoea", figures=False)
    write_report(args.out, control="egan", out=args.out / "vs-egan", figures=False)
    write_text_atomic(args.out / "selection.md", selection_table(args.out))


if __name__ == "__main__":
    main()
