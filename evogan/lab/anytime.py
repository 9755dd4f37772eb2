"""Anytime reading of stored runs: IGD and HV at budgets below a run's own, from its history.

A run to 10,000 evaluations also holds the runs to 1,000 and 3,000: no evogan algorithm looks at
its budget (tests/test_gmoea_plus.py checks that the history up to a budget is the same whatever
the run's budget), so the last history row at or below a budget is what a run to that budget
would have ended with, when the budget is a multiple of the batch size. Campaigns then run each
algorithm once, to its largest budget, and tables compare at every smaller one.

The readings form an `AnytimeTable`, built from run records (`AnytimeTable.from_runs`) or read
back from the `budgets.csv` a campaign commits (`AnytimeTable.read`): its statistics can be
recomputed from the repository, without the raw records.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from evogan.core.errors import ConfigError
from evogan.lab.collection import Collection, Run, instance_key
from evogan.lab.stats import compare

__all__ = ["ANYTIME_BUDGETS", "AnytimeTable", "at_budget", "campaign_budgets", "counts_table",
           "rank_sum_mark", "tally"]

ANYTIME_BUDGETS = (1_000, 3_000, 10_000, 30_000)
"""The budgets at which campaigns read IGD, those at or below a campaign's budget."""

CSV_COLUMNS = ("label", "problem", "n_var", "seed", "evaluations", "igd", "hv")
"""The columns of a campaign's `budgets.csv`, one row per run and budget."""

Instance = tuple[str, int]
"""(problem, n_var): the runs of one instance are compared with each other."""


def campaign_budgets(largest: int) -> list[int]:
    """The budgets a campaign to `largest` evaluations is read at: `ANYTIME_BUDGETS` up to
    `largest`, and `largest`."""
    return sorted({*(b for b in ANYTIME_BUDGETS if b <= largest), largest})


def at_budget(run: Run, evaluations: int) -> dict[str, float]:
    """The history row of `run` at `evaluations`: the last one logged at or below it.

    Raises:
        ValueError: if the run's own budget is smaller than `evaluations`.
    """
    if run.max_evals < evaluations:
        raise ValueError(f"run {run.folder} stopped at {run.max_evals} evaluations, before "
                         f"{evaluations}")
    return [row for row in run.record.history if row["n_evals"] <= evaluations][-1]


@dataclass
class AnytimeTable:
    """Readings of runs at budgets. Each row is a dict with the `CSV_COLUMNS`, the nominal
    `budget` it is read at (the last history row at or below it: `evaluations` is smaller where a
    history is thinned) and any further history columns; `problem_order` is the campaign's
    order of problems, which tables follow (`order`)."""

    rows: list[dict]
    problem_order: list[str]

    @classmethod
    def from_runs(cls, found: Collection, budgets: Sequence[int],
                  columns: Sequence[str] = ("igd", "hv")) -> AnytimeTable:
        """Every run of `found` at each budget of `budgets` its own budget reaches, with the
        history `columns` (NaN where a run does not log one)."""
        rows = []
        for run in found.runs:
            for budget in budgets:
                if budget <= run.max_evals:
                    row = at_budget(run, budget)
                    rows.append({"label": run.label, "problem": run.instance[0],
                                 "n_var": run.instance[2], "seed": int(run.record.summary["seed"]),
                                 "budget": budget, "evaluations": int(row["n_evals"]),
                                 **{c: float(row.get(c, math.nan)) for c in columns}})
        return cls(rows, list(found.problem_order))

    @classmethod
    def read(cls, path: Path, budgets: Sequence[int] | None = None,
             rename: Mapping[str, str] | None = None,
             problem_order: Sequence[str] = ()) -> AnytimeTable:
        """A `budgets.csv` written for `budgets` (ascending; by default `campaign_budgets` of
        its largest reading): the k-th reading of a run (by evaluations) is at budgets[k].
        `rename` maps stored labels to the labels to show; instances are ordered as
        `Collection.instances` orders them, by `problem_order` first.

        Raises:
            ConfigError: if the file lacks a column of `CSV_COLUMNS`, or a run's readings do
                not fit `budgets` (more readings than budgets, or one above its budget).
        """
        with open(path, newline="") as handle:
            stored = list(csv.DictReader(handle))
        missing = [c for c in CSV_COLUMNS if stored and c not in stored[0]]
        if missing:
            raise ConfigError(f"{path}: no column {', '.join(missing)}; a budgets.csv has "
                              f"{', '.join(CSV_COLUMNS)}")
        if budgets is None:
            budgets = campaign_budgets(max((int(r["evaluations"]) for r in stored), default=0))
        runs: dict[tuple, list[dict]] = {}
        for row in stored:
            label = (rename or {}).get(row["label"], row["label"])
            runs.setdefault((label, row["problem"], int(row["n_var"]), int(row["seed"])),
                            []).append(row)
        rows = []
        for (label, problem, n_var, seed), readings in runs.items():
            readings.sort(key=lambda r: int(r["evaluations"]))
            if len(readings) > len(budgets) or any(
                    int(r["evaluations"]) > b for r, b in zip(readings, budgets, strict=False)):
                raise ConfigError(f"{path}: the readings of {label} on {problem} seed {seed} "
                                  f"(at {[int(r['evaluations']) for r in readings]} evaluations) "
                                  f"do not fit the budgets {list(budgets)}")
            rows += [{"label": label, "problem": problem, "n_var": n_var, "seed": seed,
                      "budget": budget, "evaluations": int(r["evaluations"]),
                      "igd": float(r["igd"]), "hv": float(r["hv"])}
                     for r, budget in zip(readings, budgets, strict=False)]
        return cls(rows, list(problem_order))

    def __add__(self, other: AnytimeTable) -> AnytimeTable:
        return AnytimeTable(self.rows + other.rows,
                            list(dict.fromkeys(self.problem_order + other.problem_order)))

    @property
    def order(self) -> list[Instance]:
        """The instances, as `Collection.instances` orders them: by `problem_order`, then the
        others in natural order (zdt2 before zdt10)."""
        instances = {(r["problem"], r["n_var"]) for r in self.rows}
        return sorted(instances, key=lambda instance: instance_key(instance, self.problem_order))

    def labels(self) -> list[str]:
        """The labels, in the order they first appear."""
        return list(dict.fromkeys(r["label"] for r in self.rows))

    def values(self, label: str, instance: Instance, budget: int,
               column: str = "igd") -> list[float]:
        """`column` of every run of `label` on `instance` at `budget`, by seed (runs whose
        budget is smaller are left out)."""
        found = sorted((r for r in self.rows if r["label"] == label and r["budget"] == budget
                        and (r["problem"], r["n_var"]) == instance), key=lambda r: r["seed"])
        return [r.get(column, math.nan) for r in found]

    def to_csv(self) -> str:
        """The rows as a `budgets.csv` (`CSV_COLUMNS`), indicators in full precision: tables
        read back from it test the same values as tables from the records. (Files written
        before 2026-12-06 hold 6 significant digits; a rank-sum on them can tie what differs
        in the 7th digit.)"""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in self.rows:
            writer.writerow([r["label"], r["problem"], r["n_var"], r["seed"], r["evaluations"],
                             repr(r["igd"]), repr(r["hv"])])
        return buffer.getvalue()


def rank_sum_mark(table: AnytimeTable, a: str, b: str, instance: Instance, budget: int) -> str:
    """IGD of `a` against `b` on `instance` at `budget`: `+` (a significantly better, two-sided
    rank-sum p < 0.05, `evogan.lab.stats.compare`), `-` (worse), `=` (neither) or `n/a`."""
    return compare(table.values(a, instance, budget), table.values(b, instance, budget),
                   higher_is_better=False).mark


def tally(table: AnytimeTable, a: str, b: str, budget: int) -> dict[str, int]:
    """How many instances of `table` give each `rank_sum_mark` of `a` against `b` at `budget`:
    {"+": wins, "=": ties, "-": losses, "n/a": untestable}."""
    marks = [rank_sum_mark(table, a, b, instance, budget) for instance in table.order]
    return {mark: marks.count(mark) for mark in ("+", "=", "-", "n/a")}


def counts_table(table: AnytimeTable, pairs: Sequence[tuple[str, str]],
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
        for instance in table.order:
            marks = []
            for a, b in pairs:
                mark = rank_sum_mark(table, a, b, instance, budget)
                totals[a, b][mark] += 1
                marks.append(mark)
            lines.append(f"| {instance[0]} | " + " | ".join(marks) + " |")
        lines.append("| W/T/L | " + " | ".join("{+}/{=}/{-}".format(**totals[pair])
                                               for pair in pairs) + " |")
        lines.append("")
    return "\n".join(lines)
