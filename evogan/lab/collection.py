"""Stored run records gathered for reports and figures: `collect(DIR)` reads every record
below a folder into a `Collection` of `Run`s (a multitask record as one run per task), keeping
the records that do not read and the failure notes beside them.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evogan.core.errors import ConfigError
from evogan.core.problem import MULTITASK
from evogan.lab.record import RunRecord, read_record

__all__ = ["FRONT_INDICATORS", "INDICATORS", "Collection", "Run", "collect", "instance_key",
           "instance_name", "median_run", "task_runs"]

logger = logging.getLogger(__name__)

INDICATORS = {"igd": ("IGD", False), "igd_plus": ("IGD+", False), "hv": ("HV", True)}
"""Indicator column -> (title, higher is better)."""

FRONT_INDICATORS = ("igd", "igd_plus", "gd")
"""The indicators measured against a reference front: absent from runs without one."""


@dataclass
class Run:
    """One run record, with the fields the report groups by."""

    folder: Path
    record: RunRecord

    @property
    def label(self) -> str:
        return str(self.record.config.get("label") or self.record.config["algo"])

    @property
    def instance(self) -> tuple[str, int, int]:
        """(problem, n_obj, n_var): runs of one instance are compared with each other."""
        s = self.record.summary
        return str(s["problem"]), int(s["n_obj"]), int(s["n_var"])

    @property
    def max_evals(self) -> int:
        return int(self.record.config["max_evals"])

    def value(self, indicator: str) -> float:
        """The run's final `indicator`. A constrained run that ended with no feasible solution
        has NaN in its record; here it counts as the indicator's value on the empty set, the
        worst there is (IGD, IGD+: inf; HV: 0), so tests and ranks put it behind every run
        that found a feasible solution."""
        value = float(self.record.summary[indicator])
        if value != value and self.record.summary.get("feasible_share") == 0.0:
            return 0.0 if INDICATORS.get(indicator, ("", False))[1] else math.inf
        return value

    def has(self, indicator: str) -> bool:
        """Whether the run measured `indicator` (IGD, IGD+ and GD need a reference front)."""
        return indicator in self.record.summary

    @property
    def has_front(self) -> bool:
        """Whether the run had a reference front: a record without one stores front_hash null
        and says why in its `front` field (a user problem without `pareto_front()`)."""
        return self.record.config.get("front_hash", "") is not None


def instance_key(instance: tuple, problem_order: Sequence[str] = ()) -> tuple:
    """Sort key of a problem instance (name first, then its sizes): the campaign's order of
    `problem_order` first, then the others in natural order (zdt2 before zdt10)."""
    name = instance[0]
    rank = problem_order.index(name) if name in problem_order else math.inf
    natural = [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]
    return rank, natural, *instance[1:]


@dataclass
class Collection:
    """The run records under a folder, the ones that did not read, and failure notes."""

    root: Path
    runs: list[Run] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    failures: list[tuple[Path, str]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    problem_order: list[str] = field(default_factory=list)
    multitask: list[Run] = field(default_factory=list)
    """Multitask records as read; `runs` holds them split into one run per task."""

    def instances(self, budget: int | None = None) -> list[tuple[str, int, int]]:
        """Problem instances (of one budget, or all): the campaign's order first, then the
        others in natural order (zdt2 before zdt10)."""
        found = {r.instance for r in self.runs if budget is None or r.max_evals == budget}
        return sorted(found, key=lambda instance: instance_key(instance, self.problem_order))

    def labels(self) -> list[str]:
        """Algorithm labels: the campaign's order first, then any other ones alphabetically."""
        found = {run.label for run in self.runs}
        return [a for a in self.order if a in found] + sorted(found - set(self.order))

    def runs_of(self, budget: int, instance: tuple[str, int, int]) -> list[Run]:
        """The runs of one budget and problem instance, of every algorithm."""
        return [r for r in self.runs if r.max_evals == budget and r.instance == instance]

    def cells(self) -> dict[tuple[int, tuple[str, int, int], str], list[Run]]:
        """(max_evals, instance, label) -> runs, sorted by seed."""
        cells: dict[tuple[int, tuple[str, int, int], str], list[Run]] = defaultdict(list)
        for run in sorted(self.runs, key=lambda r: int(r.record.summary["seed"])):
            cells[run.max_evals, run.instance, run.label].append(run)
        return cells


def collect(root: Path) -> Collection:
    """Read every run record below `root` (folders holding summary.json), and failure notes."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"report DIR {root}: no such folder")
    found = Collection(root=root)
    campaign_file = root / "campaign.toml"
    if campaign_file.is_file():
        from evogan.lab.campaign import Campaign

        try:
            campaign = Campaign.from_toml(campaign_file)
            found.order, found.problem_order = list(campaign.algos), list(campaign.problems)
        except ConfigError as error:
            logger.warning("ignoring %s: %s", campaign_file, error)
    for summary in sorted(root.rglob("summary.json")):
        folder = summary.parent
        if any(part.startswith(".") for part in folder.relative_to(root).parts):
            continue  # staging folder of a write in progress
        try:
            run = Run(folder, read_record(folder))
            runs = _checked(run)
        except ValueError as error:
            found.unreadable.append((folder, str(error)))
            continue
        if run.record.problem_kind == MULTITASK:
            found.multitask.append(run)
        found.runs += runs
    split = {run.record.summary["problem"] for run in found.multitask}
    found.problem_order = [  # a multitask problem's place goes to its tasks
        shown for name in found.problem_order for shown in (
            sorted({r.instance[0] for r in found.runs if r.instance[0].startswith(f"{name}-t")})
            if name in split else [name])]
    for note in sorted(root.rglob("*.failed.json")):
        if not (note.parent / note.name.removesuffix(".failed.json") / "summary.json").exists():
            try:
                message = json.loads(note.read_text())["error"]
            except (OSError, ValueError, KeyError) as error:
                message = f"(failure note unreadable: {error})"
            found.failures.append((note, message))
    return found


def _checked(run: Run) -> list[Run]:
    """The run (a multitask one as one run per task), after checking that it holds every field
    the tables read: a summary.json that parses but is empty or cut short is as unreadable as
    one that does not parse. ValueError otherwise."""
    try:
        if not isinstance(run.record.summary, dict) or not isinstance(run.record.config, dict):
            raise TypeError("summary.json and config.json must each hold a JSON object")
        runs = task_runs(run) if run.record.problem_kind == MULTITASK else [run]
        for one in runs:
            _ = one.instance, one.max_evals, one.label, int(one.record.summary["seed"])
            for name in (*INDICATORS, "wall_s"):
                if one.has_front or name not in FRONT_INDICATORS:
                    one.value(name)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"run record {run.folder} lacks a field the report reads (summary.json "
                         f"or config.json): {type(error).__name__}: {error}") from error
    return runs


def task_runs(run: Run) -> list[Run]:
    """A multitask record as one run per task, named PROBLEM-tT, with that task's indicators,
    history and final population, so that every table treats a task as a problem instance."""
    from evogan.problems import get_problem

    record = run.record
    problem = get_problem(record.summary["problem"])
    tasks = problem.split(record.X, record.F) if record.X.size else [
        (np.empty((0, 0)), np.empty((0, 0)))] * problem.n_tasks
    runs = []
    for t, (task, (X_t, F_t)) in enumerate(zip(problem.tasks, tasks, strict=True), start=1):
        def pick(values: dict, t: int = t) -> dict:
            return {name: values[f"{name}_t{t}"] for name in ("igd", "igd_plus", "gd", "hv")
                    if f"{name}_t{t}" in values}

        config = {**record.config}
        for key in ("front_size", "front_hash", "hv_ref_point"):
            if isinstance(config.get(key), list) and len(config[key]) == problem.n_tasks:
                config[key] = config[key][t - 1]
        summary = {**{k: v for k, v in record.summary.items() if "_t" not in k}, **pick(record.summary),
                   "problem": f"{record.summary['problem']}-t{t}", "n_obj": task.n_obj,
                   "n_var": task.n_var}
        history = [{"n_evals": row["n_evals"], **pick(row)} for row in record.history]
        runs.append(Run(run.folder, RunRecord(config=config, summary=summary, history=history,
                                              X=X_t, F=F_t[:, :task.n_obj])))
    return runs


def median_run(runs: Sequence[Run], indicator: str = "igd") -> Run:
    """The run of median `indicator` (the lower of the two middle ones for an even count)."""
    ordered = sorted(runs, key=lambda r: (r.value(indicator), int(r.record.summary["seed"])))
    return ordered[(len(ordered) - 1) // 2]


def instance_name(instance: tuple[str, int, int], instances: Sequence[tuple[str, int, int]]
                  ) -> str:
    """The problem's name, with `-mM-dD` added where `instances` hold it with several sizes."""
    problem, n_obj, n_var = instance
    if sum(1 for i in instances if i[0] == problem) > 1:
        return f"{problem}-m{n_obj}-d{n_var}"
    return problem
