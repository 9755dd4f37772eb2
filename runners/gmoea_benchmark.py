"""GMOEA benchmark: gmoea against its GA-only control, NSGA-II and NSGA-III.

Three suites, each its own campaign folder (so that one can finish while the other runs):

- `imf`: IMF1-IMF10 (GMOEA's own benchmark, He et al. TCYB 2021) at n_var = 30;
- `classic`: ZDT1-4, ZDT6 (2 objectives) and DTLZ1-7 (3 objectives) at their default sizes;
- `lsmop`: LSMOP1-9 (Cheng et al., IEEE TCYB 2017), 2 objectives, n_var = 100: the large-scale
  suite, where GMOEA's GAN is 100 wide (about 11x the training work of n_var = 30).

10,000 evaluations, population 100, seeds 1..11 by default. The report's rank-sum control is
`gmoea-ga` (the same loop with the GAN branch replaced by SBX + PM: what the GAN contributes);
a second report against `nsga2` is written to vs-nsga2/. `survival.md` gives, per
problem, the share of GAN offspring that survive SPEA2 selection against the share of GA
offspring, from the per-generation history of the gmoea runs; `cost.md` the median wall time
of a gmoea run against a gmoea-ga run (the issue's target: at most 20x at n_var = 30).

    python runners/gmoea_benchmark.py --suite imf [--seeds 11] [--workers 2]

Re-running resumes: complete runs are skipped.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from evogan.lab.campaign import Campaign, run_published_campaign
from evogan.lab.collection import Collection, collect
from evogan.lab.record import write_text_atomic
from evogan.lab.report import write_report
from evogan.lab.stats import median_iqr

SUITES = {
    "imf": ([f"imf{i}" for i in range(1, 11)], {f"imf{i}": {"n_var": 30} for i in range(1, 11)}),
    "classic": (["zdt1", "zdt2", "zdt3", "zdt4", "zdt6"] + [f"dtlz{i}" for i in range(1, 8)],
                {f"dtlz{i}": {"n_obj": 3} for i in range(1, 8)}),
    "lsmop": ([f"lsmop{i}" for i in range(1, 10)],
              {f"lsmop{i}": {"n_obj": 2, "n_var": 100} for i in range(1, 10)}),
}
ALGOS = ("gmoea", "nsga2", "nsga3", "gmoea-ga")


def survival_table(found: Collection) -> str:
    """Per problem: median over gmoea runs of the mean survival share of GAN and GA batches."""
    lines = ["# GAN vs GA offspring survival in gmoea runs", "",
             "Per run: the mean, over the batches each operator made, of the share of that "
             "batch's offspring that survived SPEA2 selection; then median (IQR) over seeds.",
             "", "| problem | GAN offspring surviving | GA offspring surviving | GAN batches |",
             "|---|---:|---:|---:|"]
    for instance in found.instances():
        runs = [r for r in found.runs if r.label == "gmoea" and r.instance == instance]
        if not runs:
            continue
        gan, ga, batches = [], [], []
        for run in runs:
            rows = [row for row in run.record.history if "gan_batch" in row]
            gan.append(np.nanmean([row["gan_survival"] for row in rows]))
            ga.append(np.nanmean([row["ga_survival"] for row in rows]))
            batches.append(np.nanmean([row["gan_batch"] for row in rows]))  # row 0: NaN
        (g, gi), (a, ai), (b, _) = median_iqr(gan), median_iqr(ga), median_iqr(batches)
        lines.append(f"| {instance[0]} | {g:.1%} ({gi:.1%}) | {a:.1%} ({ai:.1%}) | {b:.0%} |")
    return "\n".join(lines) + "\n"


def cost_table(found: Collection) -> str:
    """Per problem: median wall time of gmoea and gmoea-ga runs, and their ratio."""
    lines = ["# Run time: gmoea against its GA-only control", "",
             "Median wall time of one 10,000-evaluation run over seeds (the campaign ran 2 runs at "
             "a time on 2 cores, so both columns carry the same load).", "",
             "| problem | n_var | gmoea s | gmoea-ga s | ratio |", "|---|---:|---:|---:|---:|"]
    ratios = []
    for instance in found.instances():
        wall = {label: np.median([r.record.summary["wall_s"] for r in found.runs
                                  if r.label == label and r.instance == instance])
                for label in ("gmoea", "gmoea-ga")}
        ratios.append(wall["gmoea"] / wall["gmoea-ga"])
        lines.append(f"| {instance[0]} | {instance[2]} | {wall['gmoea']:.2f} | {wall['gmoea-ga']:.2f} "
                     f"| {ratios[-1]:.1f}x |")
    lines += ["", f"Ratio over problems: median {np.median(ratios):.1f}x, range "
              f"{min(ratios):.1f}-{max(ratios):.1f}x."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=sorted(SUITES), required=True)
    parser.add_argument("--seeds", type=int, default=11)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path("results") / f"gmoea_{args.suite}"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    problems, settings = SUITES[args.suite]
    campaign = Campaign(algos=ALGOS, problems=tuple(problems), seeds=tuple(range(1, args.seeds + 1)),
                        max_evals=(10_000,), pop_size=100, problem=settings)
    run_published_campaign(campaign, out, workers=args.workers)
    write_report(out)
    write_report(out, control="nsga2", out=out / "vs-nsga2", figures=False)
    found = collect(out)
    write_text_atomic(out / "survival.md", survival_table(found))
    write_text_atomic(out / "cost.md", cost_table(found))


if __name__ == "__main__":
    main()
