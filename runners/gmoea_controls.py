"""GMOEA against the controls that isolate its GAN: tables from a finished campaign.

The campaign runs with the CLI (1 worker, the last algorithm is the report's control):

    evogan compare --algos gmoea-ga,gmoea-elite-gaussian,gmoea-untrained,gmoea \\
        --problems imf1,...,imf10 --setting imf1.n_var=30 ... --seeds 11 --max-evals 3000 \\
        --workers 1 --out results/gmoea_controls

then `python runners/gmoea_controls.py results/gmoea_controls` writes, from its run records:

- `budgets.csv`: IGD and HV of every run at 1,000 evaluations and at its end, read from its
  history (`evogan.lab.anytime`: no algorithm here depends on its budget);
- `counts.md`: wins/ties/losses of gmoea against each control at each budget (two-sided
  rank-sum, p < 0.05, `evogan.lab.stats.compare`), per problem and in total;
- `diagnostics.md`: per problem and algorithm, medians over seeds of the diagnostics each run
  logged (`LearnedVariation.diagnostics`, `GANLoop.metrics`), each first averaged over the run.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from evogan.lab.anytime import AnytimeTable, counts_table
from evogan.lab.collection import Collection, Run, collect
from evogan.lab.record import write_text_atomic

GAN = "gmoea"
CONTROLS = ("gmoea-ga", "gmoea-elite-gaussian", "gmoea-untrained")
EARLY = 1_000
"""The earlier budget read from the histories, besides each run's own."""

DIAGNOSTICS = (
    ("position_range_pop", "final x1..x(M-1) range of the population", "last"),
    ("spread_pop", "final population spread", "last"),
    ("spread_real", "real-set spread", "mean"),
    ("spread_gen", "generated spread", "mean"),
    ("position_range_gen", "generated x1..x(M-1) range", "mean"),
    ("gan_survival", "learned-operator batch survival", "mean"),
    ("ga_survival", "GA batch survival", "mean"),
    ("d_acc_real", "D accuracy on real", "mean"),
    ("d_acc_poor", "D accuracy on poor", "mean"),
    ("d_acc_gen", "D accuracy on generated", "mean"),
    ("d_prob_real", "mean D(real)", "mean"),
    ("d_prob_poor", "mean D(poor)", "mean"),
    ("d_prob_gen", "mean D(generated)", "mean"),
)
"""(history column, what the table calls it, "last" value or "mean" over the run's rows)."""


def controls_counts(table: AnytimeTable, budgets: list[int]) -> str:
    pairs = [(GAN, control) for control in CONTROLS] + [("gmoea-elite-gaussian", "gmoea-ga")]
    return "\n".join([
        f"# {GAN} against its controls: wins / ties / losses", "",
        f"IGD of {GAN} against each control, two-sided rank-sum, p < 0.05, over the seeds; "
        "read from the histories at each budget. Per problem: `+` gmoea significantly "
        "better, `-` worse, `=` no significant difference.", "",
        counts_table(table, pairs, budgets)])


def _reduce(run: Run, column: str, how: str) -> float:
    values = np.array([row.get(column, math.nan) for row in run.record.history], dtype=float)
    values = values[~np.isnan(values)]
    if not values.size:
        return math.nan
    return float(values[-1] if how == "last" else values.mean())


def diagnostics_table(found: Collection) -> str:
    labels = [label for label in (*CONTROLS, GAN) if label in found.labels()]
    lines = ["# Diagnostics of gmoea and its controls", "",
             "Per problem and algorithm: the median over seeds of each run's final value "
             "(population columns) or mean over its logged rows (the others); `—` where the "
             "algorithm has no such number. Spreads are on the unit cube: the per-variable "
             "standard deviation averaged over the variables, and the range of the position "
             "variables x1..x(M-1) averaged over them.", ""]
    for column, title, how in DIAGNOSTICS:
        lines += [f"## {title} (`{column}`, {how})", "",
                  "| problem | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
        for instance in found.instances():
            cells = []
            for label in labels:
                values = [_reduce(r, column, how) for r in found.runs
                          if r.label == label and r.instance == instance]
                values = [v for v in values if not math.isnan(v)]
                cells.append(f"{np.median(values):.3f}" if values else "—")
            lines.append(f"| {instance[0]} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("campaign", type=Path, help="the campaign folder (its runs/ included)")
    args = parser.parse_args()
    found = collect(args.campaign)
    budgets = sorted({EARLY, *(run.max_evals for run in found.runs)})
    table = AnytimeTable.from_runs(found, budgets)
    write_text_atomic(args.campaign / "budgets.csv", table.to_csv())
    write_text_atomic(args.campaign / "counts.md", controls_counts(table, budgets))
    write_text_atomic(args.campaign / "diagnostics.md", diagnostics_table(found))


if __name__ == "__main__":
    main()
