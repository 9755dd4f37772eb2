"""Anytime reading of stored runs: IGD and HV at budgets below a run's own, from its history.

A run to 10,000 evaluations also holds the runs to 1,000 and 3,000: no evogan algorithm looks at
its budget (tests/test_gmoea_plus.py checks that the history up to a budget is the same whatever
the run's budget), so the last history row at or below a budget is what a run to that budget
would have ended with, when the budget is a multiple of the batch size. Campaigns then run each
algorithm once, to its largest budget, and tables compare at every smaller one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from evogan.lab.collection import Collection, Run
from evogan.lab.stats import compare

__all__ = ["at_budget", "budgets_csv", "counts_table", "values_at"]


def at_budget(run: Run, evaluations: int) -> dict[str, float]:
    """The history row of `run` at `evaluations`: the last one logged at or below it.

    Raises:
        ValueError: if the run's own budget is smaller than `evaluations`.
    """
    if run.max_evals < evaluations:
        raise ValueError(f"run {run.folder} stopped at {run.max_evals} evaluations, before "
                         f"{evaluations}")
    return [row for row in run.record.history if row["n_evals"] <= evaluations][-1]


def budgets_csv(found: Collection, budgets: Sequence[int]) -> str:
    """`label, problem, n_var, seed, evaluations, igd, hv` of every run at every budget in
    `budgets` its own budget reaches, so that every table can be recomputed from it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["label", "problem", "n_var", "seed", "evaluations", "igd", "hv"])
    for run in found.runs:
        for evaluations in budgets:
            if evaluations <= run.max_evals:
                row = at_budget(run, evaluations)
                writer.writerow([run.label, run.instance[0], run.instance[2],
                                 run.record.summary["seed"], int(row["n_evals"]),
                                 f"{row['igd']:.6g}", f"{row['hv']:.6g}"])
    return buffer.getvalue()


def values_at(found: Collection, label: str, instance: tuple[str, int, int], budget: int,
              column: str = "igd") -> list[float]:
    """`column` of the history rows at `budget` of every run of `label` on `instance`, by seed
    (runs whose budget is smaller are left out)."""
    runs = sorted((r for r in found.runs if r.label == label and r.instance == instance
                   and r.max_evals >= budget), key=lambda r: int(r.record.summary["seed"]))
    return [float(at_budget(r, budget)[column]) for r in runs]


def counts_table(found: Collection, pairs: Sequence[tuple[str, str]],
                 budgets: Sequence[int]) -> str:
    """Markdown: per budget, the rank-sum mark of IGD of each pair (a against b; two-sided,
    p < 0.05, `evogan.lab.stats.compare`) on every problem instance, and the totals as
    wins/ties/losses of a."""
    lines = []
    for budget in budgets:
        lines += [f"## {budget:,} evaluations", "",
                  "| problem | " + " | ".join(f"{a} vs {b}" for a, b in pairs) + " |",
                  "|---|" + ":---:|" * len(pairs)]
        totals = {pair: {"+": 0, "=": 0, "-": 0, "n/a": 0} for pair in pairs}
        for instance in found.instances():
            marks = []
            for a, b in pairs:
                mark = compare(values_at(found, a, instance, budget),
                               values_at(found, b, instance, budget), higher_is_better=False).mark
                totals[a, b][mark] += 1
                marks.append(mark)
            lines.append(f"| {instance[0]} | " + " | ".join(marks) + " |")
        lines.append("| W/T/L | " + " | ".join("{+}/{=}/{-}".format(**totals[pair])
                                               for pair in pairs) + " |")
        lines.append("")
    return "\n".join(lines)
