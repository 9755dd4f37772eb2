"""`evogan report DIR`: summary.csv, report.md and figures from the run records under DIR.

It reads any folder of run records (a campaign's `runs/`, or records of `evogan run` copied from
elsewhere): every folder below DIR that holds a `summary.json` is one run. Runs are grouped by
budget (`max_evals`) and problem instance (problem, n_obj, n_var); within each, the algorithms
(record label, else algorithm name) are compared with `evogan.lab.stats`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evogan.core.errors import ConfigError
from evogan.lab.collection import (
    INDICATORS,
    Collection,
    Run,
    collect,
    instance_name,
)
from evogan.lab.record import write_text_atomic
from evogan.lab.stats import ALPHA, compare, friedman, median_iqr, smallest_p

__all__ = ["Written", "summary_rows", "write_report"]

logger = logging.getLogger(__name__)

SUMMARY_COLUMNS = ("algo", "label", "problem", "n_obj", "n_var", "max_evals", "pop_size", "seed",
                   "n_evals", "n_gen", "igd", "igd_plus", "gd", "hv", "wall_s", "front_size",
                   "front_hash", "device", "path")
FEASIBILITY_COLUMNS = ("feasible_share", "best_cv")
"""Columns added after `hv` when a record is of a constrained problem."""


def _constrained(found: Collection) -> bool:
    return any("feasible_share" in run.record.summary for run in found.runs)


def _summary_columns(found: Collection) -> tuple[str, ...]:
    """`SUMMARY_COLUMNS`, with `FEASIBILITY_COLUMNS` after `hv` for constrained campaigns."""
    if not _constrained(found):
        return SUMMARY_COLUMNS
    at = SUMMARY_COLUMNS.index("hv") + 1
    return SUMMARY_COLUMNS[:at] + FEASIBILITY_COLUMNS + SUMMARY_COLUMNS[at:]


def _multitask_score_table(found: Collection, budget: int) -> list[str]:
    """The CEC2017 multitask score (per problem, lower is better) of each algorithm."""
    from evogan.algorithms.multitask.metrics import multitask_score

    runs = [r for r in found.multitask if r.max_evals == budget]
    if not runs:
        return []
    labels = [label for label in found.labels() if any(r.label == label for r in runs)]
    lines = ["### CEC2017 multitask score (lower is better)", "",
             "Per problem: each task's IGD standardised over all runs of all algorithms, averaged "
             "over the tasks, then over the runs (Yuan et al. 2017; MToP's IGD_MTS).", "",
             "| problem | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for name in dict.fromkeys(r.record.summary["problem"] for r in runs):
        igd_by_label = {}
        for label in labels:
            mine = [r.record.summary for r in runs
                    if r.label == label and r.record.summary["problem"] == name]
            n_tasks = sum(1 for key in mine[0] if re.fullmatch(r"igd_t\d+", key)) if mine else 0
            if mine:
                igd_by_label[label] = np.array([[s[f"igd_t{t}"] for t in range(1, n_tasks + 1)]
                                                for s in mine])
        scores = multitask_score(igd_by_label)
        best = min(scores.values())
        lines.append(f"| {name} | " + " | ".join(
            ("—" if label not in scores else
             f"**{scores[label]:.3f}**" if scores[label] == best else f"{scores[label]:.3f}")
            for label in labels) + " |")
    lines.append("")
    return lines


def summary_rows(found: Collection) -> list[dict[str, Any]]:
    """One row per run, sorted by budget, problem instance, label and seed (report order)."""
    rows = []
    columns = _summary_columns(found)
    for run in found.runs:
        config, summary = run.record.config, run.record.summary
        row = {**{k: config.get(k) for k in columns}, **summary, "label": run.label,
               "max_evals": run.max_evals, "path": run.folder.relative_to(found.root).as_posix()}
        rows.append({k: row.get(k) for k in columns})
    order = {label: i for i, label in enumerate(found.labels())}
    place = {instance: i for i, instance in enumerate(found.instances())}
    rows.sort(key=lambda r: (r["max_evals"], place[r["problem"], r["n_obj"], r["n_var"]],
                             order[r["label"]], r["seed"]))
    return rows


def _fmt(value: float) -> str:
    return "nan" if value != value else f"{value:.3e}"


def _distinct(runs: Sequence[Run], key: str, sub: str | None = None) -> list[str]:
    values = []
    for run in runs:
        source = run.record.config.get(sub, {}) if sub else run.record.config
        values.append(str(source.get(key, "unknown")))
    return sorted(set(values))


def _seeds_text(seeds: Sequence[int]) -> str:
    seeds = sorted(set(seeds))
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]} ({len(seeds)} seeds)"
    return ", ".join(map(str, seeds))


def _duplicates(found: Collection) -> list[str]:
    """A warning when several records claim the same algorithm, instance, budget and seed."""
    keys = [(r.label, r.instance, r.max_evals, r.record.summary["seed"]) for r in found.runs]
    repeated = len(keys) - len(set(keys))
    if not repeated:
        return []
    return [f"**Warning**: {repeated} record(s) repeat the algorithm, problem, budget and seed of "
            "another one (copied twice?); every record is counted in the statistics.", ""]


def _header(found: Collection, control: str) -> list[str]:
    runs = found.runs
    labels = found.labels()
    lines = [f"# Campaign report: {found.root.resolve().name}", "",
             f"{len(runs)} run records under `{found.root.name}/` (one row each in `summary.csv`); "
             "generated by `evogan report`.", ""]
    for label in labels:
        one = next(r for r in runs if r.label == label).record.config
        params = ", ".join(f"{k}={v}" for k, v in sorted(one.get("params", {}).items()))
        variation = f" with variation `{one['variation']}`" if one.get("variation") else ""
        lines.append(f"- **{label}**: algorithm `{one['algo']}`" + variation
                     + (f" with {params}" if params else "") + (" (control)" if label == control
                                                                else ""))
    env_keys = ("python", "evogan", "torch", "numpy", "pymoo", "moocore", "scipy")
    versions = "; ".join(f"{k} {', '.join(_distinct(runs, k, 'environment'))}" for k in env_keys)
    machine = "; ".join(f"{k} {', '.join(_distinct(runs, k, 'environment'))}"
                        for k in ("platform", "processor", "cpu_count", "torch_threads",
                                  "torch_cpu_capability", "mkl_cbwr"))
    budgets = sorted({r.max_evals for r in runs})
    lines += [
        f"- seeds: {_seeds_text([int(r.record.summary['seed']) for r in runs])}",
        f"- budgets: {', '.join(f'{b:,}' for b in budgets)} evaluations; population size "
        f"{', '.join(_distinct(runs, 'pop_size'))}",
        f"- device: {', '.join(_distinct(runs, 'device'))}; machine: {machine}",
        f"- versions: {versions}",
        "- indicators: IGD and IGD+ (lower is better) against the reference fronts below, HV "
        "(higher is better) at the reference points below, of the final population's "
        "non-dominated solutions",
        f"- tests: two-sided Wilcoxon rank-sum test (`scipy.stats.mannwhitneyu`: exact p when a "
        f"sample has <= 8 values and no ties, else the normal approximation with tie and "
        f"continuity corrections), "
        f"p < {ALPHA}, of each algorithm against the control **{control}**: `+` significantly "
        "better, `-` significantly worse, `=` no significant difference; the best median of a "
        "row is in bold. Where the numbers of seeds cannot give a significant difference (an "
        "exact two-sided rank-sum p of n1 against n2 values is at least 2/C(n1 + n2, n1), the p "
        "of completely separated samples: the smallest possible p is 0.1 for 3 against 3 "
        "seeds), nothing is tested or bolded: the cell shows `n/a` with the smallest possible "
        "p, and the +/-/= counts leave it out. Mean ranks are of "
        "the cell medians per problem (1 = best); the Friedman test "
        "(`scipy.stats.friedmanchisquare`) asks whether they differ (>= 3 algorithms, >= 2 "
        "problems).", "",
        *_duplicates(found),
        "## Problems", "",
        "| problem | n_obj | n_var | reference front points | front hash | HV reference point |",
        "|---|---:|---:|---:|---|---|"]
    for instance in found.instances():
        same = [r for r in runs if r.instance == instance]
        sizes = ", ".join(_distinct([r for r in same if r.has_front], "front_size")
                          + _distinct([r for r in same if not r.has_front], "front"))
        hashes = ", ".join(h[:12] for h in _distinct([r for r in same if r.has_front],
                                                      "front_hash"))
        refs = ", ".join(_distinct(same, "hv_ref_point"))
        lines.append(f"| {instance[0]} | {instance[1]} | {instance[2]} | {sizes} | {hashes} | "
                     f"{refs} |")
        if "," in hashes:
            lines.append(f"\n**Warning**: runs of {instance[0]} used different reference fronts; "
                         "their IGD values are not comparable.\n")
    return lines


def _indicator_table(found: Collection, budget: int, indicator: str, control: str) -> list[str]:
    title, higher = INDICATORS[indicator]
    labels = found.labels()
    cells = {key: [r for r in runs if r.has(indicator)] for key, runs in found.cells().items()}
    every = found.instances(budget)
    instances = [i for i in every if any(cells.get((budget, i, label)) for label in labels)]
    better = "higher" if higher else "lower"
    lines = [f"### {title} ({better} is better): median (IQR) over seeds", ""]
    unmeasured = [i for i in every if i not in instances]
    if unmeasured:  # problems without a reference front (a user's problem without one)
        lines += ["Not measured, no reference front: " + "; ".join(
            f"{instance_name(i, every)} ({', '.join(_distinct(found.runs_of(budget, i), 'front'))})"
            for i in unmeasured) + ".", ""]
    if not instances:
        return lines
    lines += ["| problem | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    counts = {label: {"+": 0, "-": 0, "=": 0, "n/a": 0} for label in labels}
    untested: set[tuple[int, int]] = set()  # (n1, n2) of the cells too small to test
    empty_hv: list[str] = []  # per problem: which runs have HV = 0, and the reference point
    medians = np.full((len(instances), len(labels)), np.nan)  # (n_instances, n_algorithms)
    for i, instance in enumerate(instances):
        samples = {label: [r.value(indicator) for r in cells.get((budget, instance, label), [])]
                   for label in labels}
        stats = {label: median_iqr(v) for label, v in samples.items() if v}
        medians[i] = [stats[label][0] if label in stats else np.nan for label in labels]
        row_best = np.nanmax(medians[i]) if higher else np.nanmin(medians[i])
        marks = {label: compare(samples[label], samples[control], higher_is_better=higher).mark
                 for label in stats if label != control and samples[control]}
        # a best median is a claim only where a test could back it: not in an untested cell, and
        # not for the control when none of its row's comparisons could be tested
        no_bold = {label for label, mark in marks.items() if mark == "n/a"}
        if marks and len(no_bold) == len(marks):
            no_bold.add(control)
        zero = {label: [r for r in cells.get((budget, instance, label), [])
                        if r.value(indicator) == 0] for label in labels} if indicator == "hv" else {}
        if any(zero.values()):
            runs = [r for found_zero in zero.values() for r in found_zero]
            points = _distinct(runs, "hv_ref_point")
            where = ("not in the records" if points == ["unknown"] else
                     ", ".join(p for p in points if p != "unknown"))
            empty_hv.append(f"{instance_name(instance, instances)} (reference point {where}): "
                            + ", ".join(f"{label} in {len(zero[label])} of "
                                        f"{len(samples[label])} runs"
                                        for label in labels if zero.get(label)))
        texts = []
        for label in labels:
            if label not in stats:
                texts.append("—")
                continue
            median, iqr = stats[label]
            text = f"{_fmt(median)} ({_fmt(iqr)})"
            if median == row_best and label not in no_bold:
                text = f"**{text}**"
            if zero.get(label):
                text += " †"
            if label in marks:
                counts[label][marks[label]] += 1
                if marks[label] == "n/a":
                    sizes = len(samples[label]), len(samples[control])
                    untested.add(sizes)
                    text += (f" n/a ({sizes[0]} vs {sizes[1]} seeds: smallest possible p = "
                             f"{smallest_p(*sizes):.2g})")
                else:
                    text += f" {marks[label]}"
            texts.append(text)
        lines.append(f"| {instance_name(instance, instances)} | " + " | ".join(texts) + " |")
    lines.append("| +/-/= | " + " | ".join(
        "control" if label == control else "{+}/{-}/{=}".format(**counts[label])
        + (f" ({counts[label]['n/a']} n/a)" if counts[label]["n/a"] else "")
        for label in labels) + " |")
    complete = ~np.isnan(medians).any(axis=1)
    if complete.any():
        result = friedman(medians[complete], labels, higher_is_better=higher)
        lines.append("| mean rank | " + " | ".join(f"{result.mean_ranks[label]:.2f}"
                                                   for label in labels) + " |")
        lines.append("")
        if result.p == result.p:
            verdict = "differ" if result.p < ALPHA else "do not differ"
            lines.append(f"Friedman test over {int(complete.sum())} problems: chi-square = "
                         f"{result.statistic:.3f}, p = {result.p:.3g}: the ranks {verdict} "
                         f"significantly at the {ALPHA:g} level.")
        else:
            lines.append("Friedman test: not applicable (it needs >= 3 algorithms and >= 2 "
                         "problems).")
    if empty_hv:
        lines += ["", "† HV = 0 means that no final solution dominates the HV reference point, so "
                  "the dominated volume is empty: " + "; ".join(empty_hv) + ". HV cannot rank "
                  "such runs; IGD and IGD+ still do."]
    if _constrained(found):
        lines += ["", "Constrained problems: the indicators judge the feasible non-dominated "
                  "final solutions; a run that ended with none feasible counts as IGD = IGD+ = "
                  "inf and HV = 0 (the values of the empty set), behind every run with a "
                  "feasible solution (see the feasibility table)."]
    if untested:
        floors = "; ".join(f"{n1} vs {n2} seeds: 2/C({n1 + n2}, {n1}) = {smallest_p(n1, n2):.2g}"
                           for n1, n2 in sorted(untested))
        lines += ["", f"n/a: too few seeds for a significant difference: the smallest possible "
                  f"two-sided rank-sum p ({floors}) is not below {ALPHA:g}. These cells are not "
                  "tested, marked or bolded, and not counted in +/-/=; more seeds make them "
                  "testable."]
    lines.append("")
    return lines


def _feasibility_table(found: Collection, budget: int) -> list[str]:
    """Per problem and algorithm: the runs that ended with a feasible solution, and the median
    final feasible share and smallest constraint violation (constrained campaigns only)."""
    if not _constrained(found):
        return []
    labels = found.labels()
    cells = found.cells()
    instances = found.instances(budget)
    lines = ["### Feasibility: runs ending with a feasible solution; median final feasible "
             "share; median best CV", "",
             "| problem | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for instance in instances:
        texts = []
        for label in labels:
            summaries = [r.record.summary for r in cells.get((budget, instance, label), [])
                         if "feasible_share" in r.record.summary]
            if not summaries:
                texts.append("—")
                continue
            share = [float(s["feasible_share"]) for s in summaries]
            best_cv = [float(s["best_cv"]) for s in summaries]
            n_feasible = sum(value > 0 for value in share)
            texts.append(f"{n_feasible}/{len(summaries)}; {np.median(share):.2f}; "
                         f"{np.median(best_cv):.3g}")
        lines.append(f"| {instance_name(instance, instances)} | " + " | ".join(texts) + " |")
    lines.append("")
    return lines


def _wall_table(found: Collection, budget: int) -> list[str]:
    labels = found.labels()
    cells = found.cells()
    instances = found.instances(budget)
    lines = ["### Wall time per run (s): median (IQR)", "",
             "| problem | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for instance in instances:
        texts = []
        for label in labels:
            runs = cells.get((budget, instance, label), [])
            if runs:
                median, iqr = median_iqr([r.value("wall_s") for r in runs])
                texts.append(f"{median:.2f} ({iqr:.2f})")
            else:
                texts.append("—")
        lines.append(f"| {instance_name(instance, instances)} | " + " | ".join(texts) + " |")
    lines.append("")
    return lines


@dataclass
class Written:
    """What `write_report` wrote, and the records it had to leave out."""

    summary: Path
    report: Path
    figures: list[Path]
    collection: Collection


def write_report(root: Path, *, control: str | None = None, out: Path | None = None,
                 figures: bool = True) -> Written:
    """Write summary.csv, report.md and figures/ for the run records under `root`.

    Args:
        root: the folder to read (searched recursively for run records).
        control: the label every algorithm is tested against (default: the last listed).
        out: where to write (default: `root`).
        figures: also draw the PNG figures (matplotlib, Agg backend).

    Returns:
        The files written and the collection of records they summarise.

    Raises:
        ConfigError: no records under `root`, or an unknown control.
    """
    found = collect(root)
    out = Path(out) if out is not None else found.root
    if not found.runs:
        raise ConfigError(f"report DIR {root}: no run records (folders with summary.json) found")
    labels = found.labels()
    control = control if control is not None else labels[-1]
    if control not in labels:
        raise ConfigError(f"--control {control!r} is not among the algorithms of the records "
                          f"({', '.join(labels)})")
    rows = summary_rows(found)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_summary_columns(found), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    written = Written(summary=out / "summary.csv", report=out / "report.md", figures=[],
                      collection=found)
    write_text_atomic(written.summary, buffer.getvalue())

    lines = _header(found, control)
    budgets = sorted({run.max_evals for run in found.runs})
    drawn: dict[int, dict[str, list[Path]]] = {}
    if figures:
        from evogan.lab.plots import draw_budget

        for budget in budgets:
            drawn[budget] = draw_budget(found, budget, out / "figures")
            written.figures += [f for files in drawn[budget].values() for f in files]
    for budget in budgets:
        lines += ["", f"## {budget:,} evaluations", ""]
        for indicator in INDICATORS:
            lines += _indicator_table(found, budget, indicator, control)
        lines += _feasibility_table(found, budget)
        lines += _wall_table(found, budget)
        lines += _multitask_score_table(found, budget)
        for kind, files in drawn.get(budget, {}).items():
            lines += [f"### {kind}", ""]
            lines += [f"![{kind}: {f.stem}]({f.relative_to(out).as_posix()})" for f in files]
            lines.append("")
    if found.failures or found.unreadable:
        lines += ["## Runs missing from the tables", ""]
        lines += [f"- failed: `{note.relative_to(found.root).as_posix()}`: {message}"
                  for note, message in found.failures]
        lines += [f"- unreadable record: `{folder.relative_to(found.root).as_posix()}`: {message}"
                  for folder, message in found.unreadable]
        lines.append("")
    write_text_atomic(written.report, "\n".join(lines))
    return written
