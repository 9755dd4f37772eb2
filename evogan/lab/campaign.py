"""Campaigns: algorithms x problems x budgets x seeds, run in a process pool or on Ray, resumable.

A campaign writes one run record (see `evogan.lab.record`) per run under
`OUT/runs/<algorithm label>/<problem>/evals-<max_evals>/seed-<seed>/`, and saves its definition
as `OUT/campaign.toml`, joined with the one stored there before (`Campaign.union`), so that the
file describes every record in OUT. Workers only compute (`evogan.lab.run.execute` returns a
`RunRecord`); the driver alone writes records, each atomically. Starting the same campaign again
skips the complete records whose configuration matches, redoes the missing or incomplete ones,
and reports (never overwrites) records that do not parse. A failed run leaves a failure note
`seed-<seed>.failed.json` next to where its record would be, and the campaign goes on. Ctrl-C
or SIGTERM stops the workers and raises `CampaignInterrupted`; local workers also end when the
driver is killed. With `batch_seeds` K > 1 (`--batch-seeds`), up to K seeds of a cell are one job
run in lockstep (`SeedBatch`, `evogan.lab.run.execute_batch`), each still its own record.

A campaign file (`evogan compare campaign.toml --out DIR`) looks like this; every key but
`algos` and `problems` is optional, and a label may name a registered algorithm with settings:

    algos = ["ga-spea2", "nsga2"]       # the last one is the report's default control
    problems = ["zdt1", "dtlz2"]
    seeds = 11                          # 1..11; or a list [3, 7, 9]; or a range "0-10"
    max_evals = [10000, 25000]          # one budget or several
    pop_size = 100
    device = "cpu"

    [algorithm.ga-spea2]
    algo = "ga"
    survival = "spea2"

    [algorithm.my-gan]                  # a user's learned operator in GMOEA's loop
    algo = "gmoea"
    variation = "my_op.py:MyOp"

    [problem.dtlz2]
    n_obj = 3

    [problem."my_problem.py:MyProblem"] # a user's pymoo problem (FILE.py:NAME or MODULE:NAME)
    n_var = 20                          # passed where its class or factory takes n_var
    hv_ref = [1.1, 1.1]                 # HV reference point (default: see evogan.problems.user)

A user's problem file is found from the current folder, as `--variation` files are. Its records
go to `runs/<label>/<spec made file-name safe>/...` (`evogan.problems.user.problem_folder`), and
a resumed campaign refuses records made from another version of the file (their SHA-256 differs).

The design follows the experiment tooling of jMetalPy (one folder per algorithm x problem, per
run files, a summary table), but jobs are submitted to the executor as callables and every
future's result is checked.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import re
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from evogan.core.errors import ConfigError
from evogan.lab.backends import (
    BatchRunFunction,
    LocalPool,
    RayBackend,
    RunFunction,
    execute_batch_in_worker,
    execute_in_worker,
)
from evogan.lab.config import RunConfig, parse_point
from evogan.lab.record import RunRecord, read_record, write_record, write_text_atomic
from evogan.loading import source_digest
from evogan.params import integer
from evogan.problems.user import problem_folder

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "Campaign",
    "CampaignInterrupted",
    "CampaignResult",
    "Progress",
    "RunSpec",
    "SeedBatch",
    "parse_seeds",
    "plan",
    "read_campaign_toml",
    "record_session_timing",
    "run_campaign",
    "run_published_campaign",
    "seed_batches",
]

logger = logging.getLogger(__name__)


_PROBLEM_KEYS = ("n_obj", "n_var", "hv_ref")
_SIZE_KEYS = ("n_obj", "n_var")
_SIZE = integer(ge=1)
_LABEL_KEYS = ("algo", "variation")
"""Keys of an [algorithm.LABEL] table that are not hyperparameters: the registered algorithm
and the user operator it runs (`--variation`)."""
_TOP_KEYS = ("algos", "problems", "seeds", "max_evals", "pop_size", "device", "algorithm",
             "problem")


def read_campaign_toml(path: Path) -> dict[str, Any]:
    """A campaign file's TOML as a dict, unvalidated (`Campaign.from_toml` validates it; a stored
    campaign that configures an option removed since still reads here, e.g. for its problem
    order).

    Raises:
        ConfigError: if the file cannot be read or is not valid TOML.
    """
    try:
        return tomllib.loads(Path(path).read_text())
    except OSError as error:
        raise ConfigError(f"campaign file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"campaign file {path} is not valid TOML: {error}") from None


@dataclass(frozen=True)
class Campaign:
    """What a campaign runs: every algorithm label x problem x budget x seed.

    Args:
        algos: algorithm labels, in the order the report lists them (the last one is the default
            control of the statistical tests). A label is a registered algorithm name, or any
            name mapped to one by `algorithm[label]["algo"]`.
        problems: problem names (see `evogan list`).
        seeds: the seeds of every algorithm x problem x budget cell.
        max_evals: the evaluation budgets.
        pop_size: the population size of every run.
        device: where GAN training runs (auto, cpu, cuda, cuda:N).
        algorithm: per label, `{"algo": registered name (optional), "variation": a user operator
            MODULE:NAME or FILE.py:NAME (optional), hyperparameter: value, ...}`.
        problem: per problem name, `{"n_obj": M, "n_var": D, "hv_ref": [r1, ..., rM]}` (all
            optional; `hv_ref` is the HV reference point, `--hv-ref`).
    """

    algos: tuple[str, ...]
    problems: tuple[str, ...]
    seeds: tuple[int, ...] = tuple(range(1, 12))
    max_evals: tuple[int, ...] = (10_000,)
    pop_size: int = 100
    device: str = "cpu"
    algorithm: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    problem: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, values in (("algos", self.algos), ("problems", self.problems),
                             ("seeds", self.seeds), ("max-evals", self.max_evals)):
            if not values:
                raise ConfigError(f"--{name} is empty; give at least one value")
            if len(set(values)) != len(values):
                raise ConfigError(f"--{name} {','.join(map(str, values))} lists a value twice")
        for label in self.algos:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+-]*", label):
                raise ConfigError(f"algorithm label {label!r} must be letters, digits, _ . + -")
        for section, keys, names in (("algorithm", None, self.algos),
                                     ("problem", _PROBLEM_KEYS, self.problems)):
            table = getattr(self, section)
            for name, settings in table.items():
                if name not in names:
                    raise ConfigError(f"[{section}.{name}] names no entry of the campaign's "
                                      f"{section}s ({', '.join(names)})")
                unknown = set(settings) - set(keys) if keys else set()
                if unknown:
                    raise ConfigError(f"[{section}.{name}] has unknown key(s) {sorted(unknown)}; "
                                      f"accepted: {', '.join(keys)}")
        object.__setattr__(self, "algorithm", {
            label: self._converted(label, settings) for label, settings in self.algorithm.items()})
        object.__setattr__(self, "problem", {
            name: {key: list(parse_point(value)) if key == "hv_ref" else
                   _SIZE.convert(f"{name}.{key}", value) for key, value in settings.items()}
            for name, settings in self.problem.items()})
        folders: dict[str, str] = {}
        for name in self.problems:
            other = folders.setdefault(problem_folder(name), name)
            if other != name:
                raise ConfigError(f"problems {other!r} and {name!r} would share the record "
                                  f"folder {problem_folder(name)!r}; rename one")

    def _converted(self, label: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """A label's settings with its hyperparameters converted to their declared types, so that
        campaign.toml stores `epochs = 100`, never `epochs = "100"` (unknown algorithms are left
        for `validate` to report)."""
        from evogan.registry import algorithm_entry, available_algorithms

        algo = str(settings.get("algo", label))
        params = {k: v for k, v in settings.items() if k not in _LABEL_KEYS}
        if algo in available_algorithms():
            try:
                params = algorithm_entry(algo).convert_params(params)
            except ConfigError as error:
                raise ConfigError(f"[algorithm.{label}]: {error}") from None
        return {**{k: settings[k] for k in _LABEL_KEYS if k in settings}, **params}

    def algo_name(self, label: str) -> str:
        """The registered algorithm behind a label."""
        return str(self.algorithm.get(label, {}).get("algo", label))

    def params(self, label: str) -> dict[str, Any]:
        """The hyperparameters a label passes to its algorithm."""
        return {k: v for k, v in self.algorithm.get(label, {}).items() if k not in _LABEL_KEYS}

    def label_text(self, label: str) -> str:
        """What a label runs, in words: `ga {'survival': 'spea2'}` (and `with FILE.py:NAME`)."""
        variation = self.variation(label)
        return (f"{self.algo_name(label)} {self.params(label)}"
                + (f" with {variation}" if variation else ""))

    def variation(self, label: str) -> str | None:
        """The user operator (`MODULE:NAME` or `FILE.py:NAME`) a label runs, if any."""
        value = self.algorithm.get(label, {}).get("variation")
        return None if value is None else str(value)

    def runs(self) -> list[RunSpec]:
        """Every run of the campaign, budget-major (then problem, algorithm, seed), so that a
        campaign cut short has complete results for its first budgets."""
        specs = []
        for max_evals in self.max_evals:
            for problem in self.problems:
                settings = self.problem.get(problem, {})
                for label in self.algos:
                    for seed in self.seeds:
                        config = RunConfig(
                            algo=self.algo_name(label), problem=problem,
                            n_obj=settings.get("n_obj"), n_var=settings.get("n_var"),
                            hv_ref=settings.get("hv_ref"),
                            pop_size=self.pop_size, max_evals=max_evals, seed=seed,
                            device=self.device, variation=self.variation(label),
                            params=self.params(label))
                        folder = Path("runs", label, problem_folder(problem),
                                      f"evals-{max_evals}", f"seed-{seed}")
                        specs.append(RunSpec(label=label, config=config, folder=folder))
        return specs

    def validate(self) -> None:
        """Check names and sizes before any run starts (ConfigError on the first bad value)."""
        from evogan.lab.run import prepare
        from evogan.problems import get_problem
        from evogan.registry import available_algorithms

        known = available_algorithms()
        for label in self.algos:
            if self.algo_name(label) not in known:
                raise ConfigError(f"algorithm {self.algo_name(label)!r} (label {label!r}) is not "
                                  f"registered; choose one of: {', '.join(known)}")
        for problem in self.problems:
            settings = self.problem.get(problem, {})
            get_problem(problem, **{k: v for k, v in settings.items() if k in _SIZE_KEYS})
        checked: set[tuple[str, str]] = set()
        for spec in self.runs():  # each label on each problem: kinds, memory, parameters
            if (spec.label, spec.config.problem) in checked:
                continue
            checked.add((spec.label, spec.config.problem))
            try:
                prepare(spec.config.replace(device="cpu"))
            except TypeError as error:  # a factory's own argument check
                raise ConfigError(f"[algorithm.{spec.label}]: {error}") from None

    def union(self, other: Campaign) -> Campaign:
        """This campaign joined with `other`: every algorithm, problem, seed and budget of either,
        in this campaign's order, then the new ones in `other`'s (a new algorithm goes before
        this campaign's last one, which stays the report's default control); `other`'s device.

        Raises:
            ConfigError: the two disagree on pop_size, or on the settings of a label or a
                problem that both have (one line, naming the first difference).
        """
        if self.pop_size != other.pop_size:
            raise ConfigError(f"pop_size is {self.pop_size} in one campaign and "
                              f"{other.pop_size} in the other")
        for label in (a for a in self.algos if a in other.algos):
            mine, theirs = (c.label_text(label) for c in (self, other))
            if mine != theirs:
                raise ConfigError(f"label {label!r} is {mine} in one campaign and {theirs} in "
                                  "the other")
        for name in (p for p in self.problems if p in other.problems):
            mine, theirs = (dict(c.problem.get(name, {})) for c in (self, other))
            if mine != theirs:
                raise ConfigError(f"problem {name!r} is {mine} in one campaign and {theirs} in "
                                  "the other")
        new_algos = tuple(a for a in other.algos if a not in self.algos)
        return Campaign(
            algos=(*self.algos[:-1], *new_algos, self.algos[-1]),
            problems=_joined(self.problems, other.problems),
            seeds=_joined(self.seeds, other.seeds),
            max_evals=_joined(self.max_evals, other.max_evals),
            pop_size=self.pop_size, device=other.device,
            algorithm={**other.algorithm, **self.algorithm},
            problem={**other.problem, **self.problem})

    def describe(self) -> str:
        """One line: `2 algorithms (ga, nsga2) x 1 problem (zdt1) x 3 seeds (1-3) x ...`."""
        seeds = self.seeds
        seed_text = (f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 2 and
                     seeds == tuple(range(seeds[0], seeds[-1] + 1)) else ", ".join(map(str, seeds)))
        parts = [(len(self.algos), "algorithm", ", ".join(self.algos)),
                 (len(self.problems), "problem", ", ".join(self.problems)),
                 (len(seeds), "seed", seed_text),
                 (len(self.max_evals), "budget", ", ".join(map(str, self.max_evals)))]
        return " x ".join(f"{n} {noun}{'s' if n != 1 else ''} ({items})" for n, noun, items in
                          parts) + f" = {len(self.runs())} runs"

    @classmethod
    def from_toml(cls, path: Path) -> Campaign:
        """Read a campaign file (the format is in the module docstring)."""
        return cls.from_dict(read_campaign_toml(path), source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "campaign") -> Campaign:
        unknown = set(data) - set(_TOP_KEYS)
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {sorted(unknown)}; "
                              f"accepted: {', '.join(_TOP_KEYS)}")
        missing = {"algos", "problems"} - set(data)
        if missing:
            raise ConfigError(f"{source}: missing key(s) {sorted(missing)}")
        seeds = data.get("seeds", 11)
        budgets = data.get("max_evals", 10_000)
        try:
            return cls(
                algos=tuple(_str_list(data["algos"], "algos")),
                problems=tuple(_str_list(data["problems"], "problems")),
                seeds=parse_seeds(seeds) if isinstance(seeds, (int, str)) else
                tuple(_int_list(seeds, "seeds")),
                max_evals=tuple(_int_list(budgets if isinstance(budgets, list) else [budgets],
                                          "max_evals")),
                pop_size=int(data.get("pop_size", 100)), device=str(data.get("device", "cpu")),
                algorithm={k: dict(v) for k, v in data.get("algorithm", {}).items()},
                problem={k: dict(v) for k, v in data.get("problem", {}).items()},
            )
        except (TypeError, AttributeError) as error:
            raise ConfigError(f"{source}: {error}") from None

    def to_toml(self) -> str:
        """The campaign as a TOML file that `from_toml` reads back (saved with the results)."""
        lines = [
            "# evogan campaign: run with `evogan compare campaign.toml --out DIR`",
            f"algos = {_toml(list(self.algos))}",
            f"problems = {_toml(list(self.problems))}",
            f"seeds = {_toml(list(self.seeds))}",
            f"max_evals = {_toml(list(self.max_evals))}",
            f"pop_size = {self.pop_size}",
            f"device = {_toml(self.device)}",
        ]
        for section in ("algorithm", "problem"):
            for name, settings in getattr(self, section).items():
                lines += ["", f"[{section}.{_toml_key(name)}]"]
                lines += [f"{_toml_key(k)} = {_toml(v)}" for k, v in settings.items()]
        return "\n".join(lines) + "\n"


def _joined(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*first, *(value for value in second if value not in first))


def _str_list(values: Any, key: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"`{key}` must be a list of strings, got {values!r}")
    return values


def _int_list(values: Any, key: str) -> list[int]:
    if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
        raise ConfigError(f"`{key}` must be an integer or a list of integers, got {values!r}")
    return values


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml(value: Any) -> str:
    """A TOML literal for the values a campaign holds (JSON's syntax agrees with TOML's here)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise ConfigError(f"cannot save {value!r} in a campaign file (use numbers, strings, lists)")


def parse_seeds(text: str | int) -> tuple[int, ...]:
    """`11` -> seeds 1..11; `3,7,9` -> those seeds; `0-4` -> 0..4."""
    text = str(text).strip()
    try:
        if "," in text:
            seeds = tuple(int(s) for s in text.split(",") if s.strip())
        elif re.fullmatch(r"\d+-\d+", text):
            low, high = map(int, text.split("-"))
            seeds = tuple(range(low, high + 1))
        else:
            seeds = tuple(range(1, int(text) + 1))
    except ValueError:
        raise ConfigError(f"--seeds {text!r} is not N (seeds 1..N), a list 3,7,9 or a range "
                          "A-B") from None
    if not seeds or min(seeds) < 0:
        raise ConfigError(f"--seeds {text!r} gives no seeds or a negative one")
    return seeds


@dataclass(frozen=True)
class RunSpec:
    """One run of a campaign: its label, its configuration and its record folder under OUT."""

    label: str
    config: RunConfig
    folder: Path

    def failure_note(self, out: Path) -> Path:
        return out / self.folder.with_name(self.folder.name + ".failed.json")


@dataclass(frozen=True)
class SeedBatch:
    """Runs of one algorithm label x problem x budget cell that differ only in their seed, run as
    one job in lockstep (`--batch-seeds`, `evogan.lab.run.execute_batch`)."""

    specs: tuple[RunSpec, ...]

    @property
    def config(self) -> tuple[RunConfig, ...]:
        return tuple(spec.config for spec in self.specs)


def seed_batches(specs: list[RunSpec], size: int) -> list[SeedBatch]:
    """`specs` grouped by cell (label, problem, budget), in their order, into batches of at most
    `size` seeds."""
    cells: dict[tuple[str, str, int], list[RunSpec]] = {}
    for spec in specs:
        cells.setdefault((spec.label, spec.config.problem, spec.config.max_evals), []).append(spec)
    return [SeedBatch(tuple(cell[i : i + size])) for cell in cells.values()
            for i in range(0, len(cell), size)]


@dataclass
class Plan:
    """The state of every run of a campaign in OUT before it starts."""

    todo: list[RunSpec] = field(default_factory=list)
    complete: list[RunSpec] = field(default_factory=list)
    corrupt: list[tuple[RunSpec, str]] = field(default_factory=list)
    conflicts: list[tuple[RunSpec, str]] = field(default_factory=list)


def _mismatch(stored: Mapping[str, Any], spec: RunSpec) -> str | None:
    """The first setting in which a stored record differs from `spec`, or None."""
    from evogan.lab.run import MULTITASK_ALIASES
    from evogan.registry import algorithm_entry

    wanted = spec.config.to_dict()
    checks = {key: wanted[key] for key in ("algo", "problem", "pop_size", "max_evals", "seed",
                                           "variation")}
    checks.update({key: wanted[key] for key in _SIZE_KEYS if wanted[key] is not None})
    checks["hv_ref"] = None if wanted["hv_ref"] is None else list(wanted["hv_ref"])
    checks["label"] = spec.label
    have = {**stored, "label": stored.get("label", stored.get("algo"))}
    if have.get("algo") == MULTITASK_ALIASES.get(checks["algo"]):  # nsga2 ran as mt-nsga2
        have["algo"] = checks["algo"]
    for key, value in checks.items():
        if have.get(key) != value:
            return f"{key}={have.get(key)!r}, the campaign asks {value!r}"
    source = have.get("problem_source")
    if isinstance(source, dict) and source.get("sha256") is not None:
        digest = source_digest(spec.config.problem)
        if digest is not None and digest != source["sha256"]:
            return (f"problem file {source.get('file')} has changed since the record was made "
                    f"(sha256 {source['sha256'][:12]}..., now {digest[:12]}...)")
    stored_params = have.get("params", {})
    with contextlib.suppress(ConfigError):  # records written before parameters had types
        stored_params = algorithm_entry(spec.config.algo).convert_params(stored_params)
    if json.dumps(stored_params, sort_keys=True) != json.dumps(wanted["params"], sort_keys=True):
        return f"params={have.get('params')!r}, the campaign asks {wanted['params']!r}"
    return None


def plan(campaign: Campaign, out: Path) -> Plan:
    """Sort the campaign's runs into complete, to do, corrupt and conflicting ones.

    A record is complete when its `summary.json` exists (it is written last), the record reads
    back, and its configuration matches the run; a folder without `summary.json` is incomplete
    and is redone. A record with `summary.json` that does not read back is corrupt, and one whose
    configuration differs belongs to another campaign: both are left untouched and reported.
    """
    result = Plan()
    for spec in campaign.runs():
        folder = out / spec.folder
        if not (folder / "summary.json").exists():
            result.todo.append(spec)
            continue
        try:
            record = read_record(folder)
        except ValueError as error:
            result.corrupt.append((spec, str(error)))
            continue
        reason = _mismatch(record.config, spec)
        if reason is None:
            result.complete.append(spec)
        else:
            result.conflicts.append((spec, f"{folder}: {reason}"))
    return result


@dataclass
class Progress:
    """Where a campaign stands; passed to the `on_progress` callback after every finished run."""

    total: int
    skipped: int
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    @property
    def left_s(self) -> float:
        """Estimated seconds left, from the pace of this session's finished runs."""
        finished = self.done + self.failed
        remaining = self.total - self.skipped - finished
        return self.elapsed_s * remaining / finished if finished else float("nan")


@dataclass
class CampaignResult:
    """What a campaign did: runs written, skipped (already complete), failed, corrupt."""

    out: Path
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    corrupt: list[tuple[Path, str]] = field(default_factory=list)
    wall_s: float = 0.0
    campaign: Campaign | None = None
    """What OUT/campaign.toml now holds: the campaign run, joined with the one stored before."""

    @property
    def ok(self) -> bool:
        return not self.failed and not self.corrupt


class CampaignInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM stopped a campaign: its workers are stopped and the runs they
    had in flight are lost, every record written is kept, and the same campaign started again
    resumes where this one stopped. The message is one line, for the user.

    Attributes:
        result: what the campaign did before it stopped.
        total: how many runs the campaign has.
        signum: the signal that stopped it, `signal.SIGINT` or `signal.SIGTERM`.
    """

    def __init__(self, result: CampaignResult, *, total: int, signum: int) -> None:
        self.result, self.total, self.signum = result, total, signum
        failed = f", {len(result.failed)} failed" if result.failed else ""
        super().__init__(
            f"interrupted by {signal.Signals(signum).name}: {self.kept} of {total} runs recorded "
            f"in {result.out} ({len(result.written)} in this session{failed}); the same command "
            "resumes the campaign")

    @property
    def kept(self) -> int:
        """The campaign's runs with a complete record in OUT."""
        return len(self.result.written) + len(self.result.skipped)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the driver's main thread as Ctrl-C raises KeyboardInterrupt."""


class _StopSignals:
    """Ctrl-C and SIGTERM while a campaign runs.

    SIGTERM (what `timeout`, systemd and batch schedulers send) stops the campaign the way Ctrl-C
    does, by an exception in the main thread, so that the driver stops its workers before it
    ends; a second SIGTERM ends it at once. Inside `held()` both wait for the end of the block,
    so that a record on disk and its count are never split. Handlers that the application set
    are left alone, and so is a campaign run from a thread other than the main one (only the
    main thread may set handlers).
    """

    _DEFAULTS = ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, signal.SIG_DFL))

    def __init__(self) -> None:
        self.holding = False
        self.pending: int | None = None
        self.replaced: dict[int, Any] = {}

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum, default in self._DEFAULTS:
                if signal.getsignal(signum) is default:
                    self.replaced[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, previous in self.replaced.items():
            signal.signal(signum, previous)

    def _handle(self, signum: int, frame: Any) -> None:
        if signum == signal.SIGTERM:
            signal.signal(signum, signal.SIG_DFL)
        if self.holding:
            self.pending = signum
        else:
            self._raise(signum)

    @staticmethod
    def _raise(signum: int) -> None:
        raise _Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        if self.pending is not None:
            self._raise(self.pending)


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """Hold OUT/.campaign.lock, so that two campaigns never write the same folder at once; the
    file goes when the campaign ends.

    The holder removes the file while it still holds the lock. A campaign that opened the file
    just before may then lock the removed file, so after locking it checks that the path still
    names the file it locked, and starts again if not.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    path = out / ".campaign.lock"
    while True:
        handle = open(path, "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ConfigError(f"--out {out}: another campaign is running there") from None
        if _names(path, handle):
            break
        handle.close()
    try:
        yield
    finally:
        if _names(path, handle):  # not, if someone removed it meanwhile: leave theirs alone
            path.unlink()
        handle.close()


def _names(path: Path, handle: TextIO) -> bool:
    """Whether `path` names the file open as `handle`."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(handle.fileno()))
    except FileNotFoundError:
        return False


def _remove_staging(out: Path) -> None:
    """Delete the temporary folders that an interrupted `write_record` left behind."""
    runs = out / "runs"
    if runs.is_dir():
        for stale in [*runs.glob("*/*/*/.seed-*.tmp"), *runs.glob("*/*/*/.seed-*.old")]:
            logger.info("removing %s, left by an interrupted write", stale)
            shutil.rmtree(stale, ignore_errors=True)


def run_campaign(
    campaign: Campaign, out: Path, *, backend: LocalPool | RayBackend | None = None,
    run: RunFunction = execute_in_worker, on_progress: Callable[[Progress], None] | None = None,
    batch_seeds: int = 1, run_batch: BatchRunFunction = execute_batch_in_worker,
) -> CampaignResult:
    """Run every missing run of `campaign` into `out` and return what happened.

    Args:
        campaign: what to run.
        out: the campaign folder; created if needed, resumed if it holds earlier runs.
        backend: where runs execute (default: a LocalPool with one process per core).
        run: the function that turns a RunConfig into a RunRecord in a worker; it must be
            importable by name (a module-level function) so that workers can receive it.
        on_progress: called in the driver at the start and after every finished run.
        batch_seeds: K > 1 runs up to K seeds of each algorithm x problem x budget cell as one
            job, in lockstep (`seed_batches`, `evogan.lab.run.execute_batch`); each seed is
            still written as its own record, with a `batch` field in its config.json. A batch
            that fails fails each of its runs.
        run_batch: the function that runs a batch's configurations in a worker (as `run`).

    Raises:
        ConfigError: bad campaign, or OUT holds records of a different campaign.
        CampaignInterrupted: Ctrl-C or SIGTERM stopped the campaign (SIGTERM stops it as
            Ctrl-C does while it runs in the main thread, unless the application handles it).
    """
    out = Path(out)
    if int(batch_seeds) != batch_seeds or batch_seeds < 1:
        raise ConfigError(f"--batch-seeds {batch_seeds} must be a positive integer")
    campaign.validate()
    out.mkdir(parents=True, exist_ok=True)
    with _StopSignals() as signals, _lock(out):
        _remove_staging(out)
        state = plan(campaign, out)
        if state.conflicts:
            spec, reason = state.conflicts[0]
            raise ConfigError(f"--out {out} holds {len(state.conflicts)} record(s) of a different "
                              f"campaign (first: {reason}); use another --out")
        definition = _join_stored(campaign, out)
        write_text_atomic(out / "campaign.toml", definition.to_toml())
        result = CampaignResult(out=out, skipped=[out / s.folder for s in state.complete],
                                corrupt=[(out / s.folder, why) for s, why in state.corrupt],
                                campaign=definition)
        for _, why in state.corrupt:
            logger.warning("not redone, left as it is: %s", why)
        progress = Progress(total=len(campaign.runs()), skipped=len(state.complete))
        if on_progress is not None:
            on_progress(progress)
        if state.todo:
            backend = backend or LocalPool()
            try:
                # closing(): a stop between two runs reaches the backend, which stops its workers
                jobs = (backend.run(run, state.todo) if batch_seeds == 1 else
                        backend.run(run_batch, seed_batches(state.todo, batch_seeds)))
                with contextlib.closing(jobs) as outcomes:
                    for job, outcome in outcomes:
                        for spec, one in _per_run(job, outcome):
                            with signals.held():
                                _finish(spec, one, out, result, progress)
                            if on_progress is not None:
                                on_progress(progress)
            except KeyboardInterrupt as stop:
                signum = signal.SIGTERM if isinstance(stop, _Terminated) else signal.SIGINT
                raise CampaignInterrupted(result, total=progress.total, signum=signum) from None
        result.wall_s = progress.elapsed_s
    return result


def _join_stored(campaign: Campaign, out: Path) -> Campaign:
    """`campaign` joined with the one OUT/campaign.toml holds, if any, so that the file goes on
    describing every record in OUT when a campaign adds to the folder or redoes a part of it."""
    path = out / "campaign.toml"
    if not path.exists():
        return campaign
    try:
        return Campaign.from_toml(path).union(campaign)
    except ConfigError as error:
        raise ConfigError(f"--out {out}: this campaign does not join the one in {path}: {error}; "
                          "use another --out") from None


def run_published_campaign(campaign: Campaign, out: Path, *, workers: int) -> CampaignResult:
    """What every `runners/` script does: run (or resume) `campaign` in a local pool, log the
    progress, and add the wall time of this session's runs to OUT/timing.json
    (`record_session_timing`)."""
    started = time.perf_counter()
    result = run_campaign(campaign, out, backend=LocalPool(workers), on_progress=lambda p: (
        logger.info("%d/%d runs done, %d failed, %.0f s", p.done + p.skipped, p.total, p.failed,
                    p.elapsed_s)))
    wall_s = time.perf_counter() - started
    if result.written:  # a session that only skipped runs did not time them
        record_session_timing(Path(out), {
            "workers": workers, "runs_written": len(result.written),
            "runs_skipped": len(result.skipped), "wall_s": round(wall_s, 1),
            "machine": f"{platform.platform()}, {os.cpu_count()} cores"})
    logger.info("%d runs written, %d skipped, %d failed in %.0f s", len(result.written),
                len(result.skipped), len(result.failed), wall_s)
    return result


def record_session_timing(out: Path, session: dict[str, Any]) -> None:
    """Append one session's timing to OUT/timing.json.

    A campaign run in parts (resumed after an interruption, or extended by a new algorithm)
    keeps every part's wall time: the file lists the sessions in order and totals their runs
    and seconds. A file of the older single-session form becomes the first session.
    """
    path = out / "timing.json"
    sessions = []
    if path.exists():
        stored = json.loads(path.read_text())
        sessions = stored.get("sessions", [stored])
    sessions.append(session)
    timing = {"runs_written": sum(s["runs_written"] for s in sessions),
              "wall_s": round(sum(s["wall_s"] for s in sessions), 1), "sessions": sessions}
    write_text_atomic(path, json.dumps(timing, indent=2) + "\n")


def _per_run(job: RunSpec | SeedBatch, outcome: Any
             ) -> list[tuple[RunSpec, RunRecord | BaseException]]:
    """A job's outcome per run: a batch's records to its seeds, or its error to each of them."""
    if isinstance(job, RunSpec):
        return [(job, outcome)]
    if isinstance(outcome, BaseException):
        return [(spec, outcome) for spec in job.specs]
    return list(zip(job.specs, outcome, strict=True))


def _finish(spec: RunSpec, outcome: RunRecord | BaseException, out: Path,
            result: CampaignResult, progress: Progress) -> None:
    """Write a finished run's record (or its failure note) from the driver."""
    note = spec.failure_note(out)
    if isinstance(outcome, BaseException):
        message = f"{type(outcome).__name__}: {outcome}".splitlines()[0]
        logger.error("run %s failed: %s", spec.folder, message)
        write_text_atomic(note, json.dumps({
            "label": spec.label, "config": spec.config.to_dict(), "error": message,
            "traceback": "".join(traceback.format_exception(outcome)),
        }, indent=2, default=str))
        result.failed.append((out / spec.folder, message))
        progress.failed += 1
        return
    outcome.config["label"] = spec.label
    write_record(outcome, out / spec.folder, overwrite=True)
    note.unlink(missing_ok=True)
    result.written.append(out / spec.folder)
    progress.done += 1
