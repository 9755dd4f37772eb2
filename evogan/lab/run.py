"""One run from a `RunConfig`: build the problem and algorithm, optimise, collect the record."""

from __future__ import annotations

import contextlib
import inspect
import os
import platform
import sys
from collections.abc import Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from pymoo.core.problem import Problem

from evogan.algorithms.multitask.metrics import MultitaskHistory, multitask_quality
from evogan.core.algorithm import Algorithm
from evogan.core.callback import Callback
from evogan.core.errors import ConfigError, EvaluationError
from evogan.core.problem import MULTITASK, problem_kind
from evogan.core.variation import Variation
from evogan.device import usable_cores
from evogan.engine import Result, minimize, minimize_lockstep
from evogan.indicators import front_hash, quality
from evogan.lab.callbacks import History
from evogan.lab.config import RunConfig
from evogan.lab.record import RunRecord
from evogan.loading import load_object, one_line
from evogan.problems import get_problem, hv_reference_point, reference_front
from evogan.registry import algorithm_entry, available_algorithms, get_algorithm

__all__ = ["MULTITASK_ALIASES", "Indicators", "Prepared", "available_memory_bytes",
           "build_algorithm", "build_problem", "default_out", "environment", "execute",
           "execute_batch",
           "indicators_of", "load_variation", "prepare", "run_prepared"]


def build_problem(config: RunConfig) -> Problem:
    return get_problem(config.problem, n_var=config.n_var, n_obj=config.n_obj)


def load_variation(spec: str) -> Variation:
    """Load a user operator from `module:name` or `path/to/file.py:name`.

    A class is instantiated without arguments; a function is used as it is. Whatever goes
    wrong (no such file, an exception or syntax error while importing, a constructor that needs
    arguments, an object that cannot be called as `(X, F, n_offspring, *, rng)`) is a one-line
    ConfigError naming the spec and the fault.
    """
    loaded = load_object(spec, option="--variation")
    obj, name = loaded.obj, loaded.name
    if isinstance(obj, type):
        try:
            obj = obj()
        except Exception as error:  # the user's constructor: anything can happen
            raise ConfigError(f"--variation {spec!r}: {name}() cannot be built without arguments "
                              f"({one_line(error)})") from None
    _check_signature(spec, obj)
    return obj


def _check_signature(spec: str, variation: Any) -> None:
    """Refuse an operator that cannot be called as `(X, F, n_offspring, *, rng)`."""
    if not callable(variation):
        raise ConfigError(f"--variation {spec!r}: {type(variation).__name__} is not callable; an "
                          "operator is called as (X, F, n_offspring, *, rng)")
    try:
        signature = inspect.signature(variation)
    except (TypeError, ValueError):  # a builtin without a signature: trust it
        return
    try:
        signature.bind(None, None, 1, rng=None)
    except TypeError as error:
        raise ConfigError(f"--variation {spec!r}: cannot be called as (X, F, n_offspring, *, rng): "
                          f"its signature is {signature} ({error})") from None


def build_algorithm(config: RunConfig) -> Algorithm:
    params: dict[str, Any] = {"pop_size": config.pop_size, **config.params}
    if config.variation is not None:
        params["variation"] = load_variation(config.variation)
    if algorithm_entry(config.algo).accepts("device"):
        params.setdefault("device", config.device)
    return get_algorithm(config.algo, **params)


def _check_kind(config: RunConfig, problem: Problem) -> None:
    """Refuse a single-task algorithm on a multitask problem and the reverse, a user's multitask
    problem (only the catalog's multitask pairs have the per-task fronts a record needs), and
    `--hv-ref` on a multitask problem (each task has its own point)."""
    kind, entry = problem_kind(problem), algorithm_entry(config.algo)
    if entry.problem_kind != kind:
        fitting = [name for name in available_algorithms()
                   if algorithm_entry(name).problem_kind == kind]
        raise ConfigError(f"--algo {config.algo} solves {entry.problem_kind} problems, and "
                          f"--problem {config.problem} is a {kind} problem; for it choose one of: "
                          f"{', '.join(fitting)}")
    if kind == MULTITASK and _source(problem) is not None:
        raise ConfigError(f"--problem {config.problem}: a multitask problem from user code is "
                          "not supported; the multitask algorithms run the catalog's cec17-* pairs")
    if kind == MULTITASK and config.hv_ref is not None:
        raise ConfigError(f"--hv-ref is for single-task problems; {config.problem} is multitask "
                          "and has one reference point per task")


def _source(problem: Problem) -> dict[str, Any] | None:
    """Where a user's problem came from (`evogan.problems.user`), None for a catalog problem."""
    return getattr(problem, "source", None)


class Indicators(NamedTuple):
    """What a single-task run is measured against, and how the record describes it."""

    front: np.ndarray | None  # (n_points, n_obj), or None: no IGD, IGD+, GD
    ref_point: np.ndarray  # (n_obj,)
    info: dict[str, Any]  # the config.json fields: front, front_size, front_hash, hv_ref_*


def indicators_of(config: RunConfig, problem: Problem) -> Indicators:
    """The reference front and HV reference point of a single-task run.

    The front is the catalog's (`evogan.problems.reference_front`) or a user problem's
    `pareto_front()`, or None where a user problem has none. The HV reference point is
    `config.hv_ref` where given, else the catalog's 1.1 x the front's nadir, else a user
    problem's default (`evogan.problems.user.hv_reference`). All are cached, so that `prepare`
    can check them and `run_prepared` use them at no further cost.

    Raises:
        ConfigError: `--hv-ref` with another number of values than the problem's objectives, or
            a user problem whose front or fixed sample is malformed.
    """
    from evogan.problems.user import hv_reference

    has_front = getattr(problem, "front_sampler", None) is not None
    front = reference_front(problem) if has_front else None
    if config.hv_ref is not None:
        if len(config.hv_ref) != problem.n_obj:
            raise ConfigError(f"--hv-ref {','.join(f'{v:g}' for v in config.hv_ref)} has "
                              f"{len(config.hv_ref)} values; {config.problem} has "
                              f"{problem.n_obj} objectives")
        ref_point, rule = np.asarray(config.hv_ref, dtype=float), "given (--hv-ref)"
    elif _source(problem) is not None:
        ref_point, rule = hv_reference(problem, front)
    else:
        ref_point = np.asarray(hv_reference_point(problem), dtype=float)
        rule = "1.1 x the nadir of the reference front"
    info = {"front": getattr(problem, "front_note", "analytic (evogan.problems.fronts)"),
            "front_size": None if front is None else len(front),
            "front_hash": None if front is None else front_hash(front),
            "hv_ref_point": ref_point.tolist(), "hv_ref_rule": rule}
    return Indicators(front, ref_point, info)


def available_memory_bytes() -> float | None:
    """Memory available to a new run (Linux's MemAvailable), or None where it is unknown."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def _check_memory(config: RunConfig, problem: Problem) -> None:
    """Refuse, before it starts, a run whose estimated memory exceeds what is available."""
    estimate = algorithm_entry(config.algo).memory_bytes
    available = available_memory_bytes()
    if estimate is None or available is None:
        return
    need = estimate(problem.n_var, config.pop_size, config.params)
    if need > available:
        raise ConfigError(
            f"{config.algo} with n_var={problem.n_var}, pop_size={config.pop_size} needs about "
            f"{need / 2**30:.1f} GiB of memory (its networks grow with n_var squared), more than "
            f"the {available / 2**30:.1f} GiB available; choose a smaller --n-var")


class Prepared(NamedTuple):
    """A checked configuration (device resolved) with its problem and algorithm, ready to run."""

    config: RunConfig
    problem: Problem
    algorithm: Algorithm


MULTITASK_ALIASES = {"nsga2": "mt-nsga2"}
"""Single-task names that mean an algorithm of their own on a multitask problem; the record holds
the multitask name."""


def prepare(config: RunConfig) -> Prepared:
    """Check a configuration against its problem and build both, without running anything.

    On a multitask problem `nsga2` becomes `mt-nsga2` (one NSGA-II per task), and the returned
    configuration says so. The device is resolved (`auto` -> `cpu` or `cuda`).

    Raises:
        ConfigError: an algorithm for another kind of problem, a run that would not fit in
            memory, a device that is not there, a bad hyperparameter, a bad `--hv-ref`, or a
            user's problem that fails its checks (`evogan.problems.user`).
    """
    problem = build_problem(config)
    if problem_kind(problem) == MULTITASK and config.algo in MULTITASK_ALIASES:
        config = config.replace(algo=MULTITASK_ALIASES[config.algo])
    _check_kind(config, problem)
    if problem_kind(problem) != MULTITASK:
        indicators_of(config, problem)  # a bad --hv-ref or user front fails here, not after the run
    _check_memory(config, problem)
    device = "cpu"
    if config.device != "cpu":  # resolving imports torch, which CPU-only baselines never need
        from evogan.device import resolve_device

        device = resolve_device(config.device)
    config = config.replace(device=device)
    return Prepared(config, problem, build_algorithm(config))


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def environment(device: str) -> dict[str, Any]:
    """Versions, machine (CPU model, BLAS libraries and their kernels) and device, saved with
    every record."""
    from evogan.lab.machine import blas_libraries, cpu_model

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        **{name: _package_version(name) for name in ("evogan", "torch", "numpy", "pymoo",
                                                      "moocore", "scipy")},
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": cpu_model(),
        "blas": blas_libraries(),
        "cpu_count": os.cpu_count(),
        "device": device,
    }
    if "torch" in sys.modules:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        info["mkl_cbwr"] = os.environ.get("MKL_CBWR", "unset")
        if device.startswith("cuda"):
            info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


MAX_HISTORY_ROWS = 100
"""A run's history logs at most about this many rows: each costs an IGD against a reference
front of up to 10,000 points (a few ms), which at one row per generation would double the cost
of a 200,000-evaluation multitask run."""


def _log_every(config: RunConfig, generation: int) -> int:
    """Evaluations between history rows: one generation, or more for long runs."""
    return max(generation, config.max_evals // MAX_HISTORY_ROWS)


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)


def default_out(config: RunConfig, problem: Problem, root: Path = Path("runs")) -> Path:
    """The default record folder of a configuration on its (built) problem:
    runs/ALGO-PROBLEM-mM-dD-sSEED (a user problem's spec made file-name safe,
    `evogan.problems.user.problem_folder`), or, when that exists, the same name with the first free
    suffix -2, -3, ..., so that running the same command again keeps the earlier record and
    writes a new one."""
    from evogan.problems.user import problem_folder

    name = f"{config.algo}-{problem_folder(config.problem)}-m{problem.n_obj}-d{problem.n_var}-s{config.seed}"
    out, number = root / name, 1
    while out.exists() or out.is_symlink():
        number += 1
        out = root / f"{name}-{number}"
    return out


def execute(config: RunConfig, *, callbacks: Sequence[Callback] = ()) -> RunRecord:
    """Run `config` and return its record (nothing is written to disk here)."""
    return run_prepared(prepare(config), callbacks=callbacks)


def run_prepared(prepared: Prepared, *, callbacks: Sequence[Callback] = ()) -> RunRecord:
    """Run a prepared configuration (`prepare`) and return its record.

    Without a reference front (a user problem without `pareto_front()`), history and summary
    have no IGD, IGD+ and GD, and the config's `front` field says why.
    On a multitask problem (cec17-*), `nsga2` means one NSGA-II per task (`mt-nsga2`), and the
    record holds IGD and HV per task (`igd_t1`, `hv_t1`, ...) instead of one IGD and HV.
    `pop_size_used` in the config and summary is the population the algorithm actually ran with:
    its `pop_size_` after setup where it has one (MOEA/D: its number of reference directions),
    else the `pop_size` asked.
    """
    config, problem, algorithm = prepared
    monitor = _Monitor(config, problem)
    with _naming_user_problem(config, problem):
        result = minimize(problem, algorithm, seed=config.seed, max_evals=config.max_evals,
                          callbacks=(monitor.history, *callbacks), device=config.device)
    return monitor.record(prepared, result)


def execute_batch(configs: Sequence[RunConfig], *, threads: int | None = None
                  ) -> list[RunRecord]:
    """Run K seeds of one algorithm x problem cell in lockstep (`evogan.engine.minimize_lockstep`)
    and return their records, each what `execute` would write for its seed, plus a `batch`
    field in its config (`{"size": K, "seeds": [...]}`): where the algorithm has a lockstep hook
    (EMT-GS) the seeds' GAN networks are trained stacked, so a batched seed is statistically,
    not bitwise, its unbatched run; the others go side by side, their asks on `threads` threads
    (None: one per core this process may use, at most K), each seed bit for bit its unbatched
    run (GMOEA's seeds then train their GANs on several cores at once). Each record's `wall_s`
    is its share of the batch's wall time (the batch's time / K).

    Raises:
        ConfigError: the configurations differ in anything but their seed, or repeat a seed.
    """
    configs = list(configs)
    if not configs:
        raise ConfigError("a batch of seeds needs at least one configuration")
    alike = [c.replace(seed=configs[0].seed) for c in configs]
    seeds = [c.seed for c in configs]
    if any(c != alike[0] for c in alike) or len(set(seeds)) != len(seeds):
        raise ConfigError(f"a batch of seeds must be one configuration with distinct seeds; got "
                          f"{len(configs)} configurations, seeds {seeds}")
    first = prepare(configs[0])  # the seeds share the checks and the problem
    problem = first.problem
    prepared = [first] + [Prepared(c, problem, build_algorithm(c))
                          for c in (first.config.replace(seed=seed) for seed in seeds[1:])]
    monitors = [_Monitor(p.config, problem) for p in prepared]
    with _naming_user_problem(configs[0], problem):
        results = minimize_lockstep(
            problem, [p.algorithm for p in prepared], seeds=seeds,
            max_evals=configs[0].max_evals, callbacks=[(m.history,) for m in monitors],
            device=prepared[0].config.device,
            threads=min(len(configs), usable_cores()) if threads is None else threads)
    batch = {"size": len(configs), "seeds": seeds}
    machine = environment(prepared[0].config.device)
    records = []
    for monitor, one, result in zip(monitors, prepared, results, strict=True):
        result.wall_s /= len(configs)
        record = monitor.record(one, result, machine)
        record.config["batch"] = batch
        records.append(record)
    return records


@contextlib.contextmanager
def _naming_user_problem(config: RunConfig, problem: Problem) -> Iterator[None]:
    """Prefix an evaluation error of a user's problem with its `--problem` spec."""
    try:
        yield
    except EvaluationError as error:
        if _source(problem) is None:
            raise
        raise EvaluationError(f"--problem {config.problem!r}: {error}") from None


class _Monitor:
    """The history callback of one run and the record made from its result."""

    def __init__(self, config: RunConfig, problem: Problem) -> None:
        self.problem = problem
        if problem_kind(problem) == MULTITASK:
            fronts = [problem.reference_front(t) for t in range(problem.n_tasks)]
            ref_points = [1.1 * front.max(axis=0) for front in fronts]
            self.history: History | MultitaskHistory = MultitaskHistory(
                problem, every=_log_every(config, config.pop_size * problem.n_tasks))
            self.front_info: dict[str, Any] = {
                "front_size": [len(front) for front in fronts],
                "front_hash": [front_hash(front) for front in fronts],
                "hv_ref_point": [ref.tolist() for ref in ref_points]}
        else:
            self.front, self.ref_point, self.front_info = indicators_of(config, problem)
            self.history = History(self.front, self.ref_point,
                                   every=_log_every(config, config.pop_size),
                                   constrained=problem.has_constraints())

    def record(self, prepared: Prepared, result: Result,
               machine: dict[str, Any] | None = None) -> RunRecord:
        """The run's record: resolved configuration, summary, history and final population;
        `machine` is `environment(device)` where the caller has it already (a batch's seeds share
        it: reading the package versions costs tens of ms)."""
        config, problem, algorithm = prepared
        device = config.device
        if problem_kind(problem) == MULTITASK:
            indicators = multitask_quality(problem, result.X, result.F)
        else:
            indicators = quality(result.F, self.front, self.ref_point,
                                 cv=result.CV if problem.has_constraints() else None)
        pop_size_used = int(getattr(algorithm, "pop_size_", config.pop_size))
        resolved = {
            **config.to_dict(),
            "pop_size_used": pop_size_used,
            "n_var": problem.n_var,
            "n_obj": problem.n_obj,
            "problem_kind": problem_kind(problem),
            "device": device,
            "algorithm_params": {
                key: _jsonable(value)
                for key, value in {**algorithm_entry(config.algo).parameters(), **config.params,
                                   "pop_size": config.pop_size}.items()
            },
            **self.front_info,
            **({"problem_source": _source(problem)} if _source(problem) is not None else {}),
            "environment": environment(device) if machine is None else machine,
        }
        summary = {
            "algo": config.algo, "problem": config.problem, "n_var": problem.n_var,
            "n_obj": problem.n_obj, "seed": config.seed, "n_evals": result.n_evals,
            "n_gen": result.n_gen, "pop_size_used": pop_size_used, **indicators,
            "wall_s": result.wall_s,
        }
        return RunRecord(config=resolved, summary=summary, history=self.history.rows,
                         X=result.X, F=result.F)
