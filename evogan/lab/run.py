"""One run from a `RunConfig`: build the problem and algorithm, optimise, collect the record."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import platform
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.algorithm import Algorithm
from evogan.core.callback import Callback
from evogan.core.errors import ConfigError
from evogan.core.problem import MULTITASK, problem_kind
from evogan.core.variation import Variation
from evogan.engine import minimize
from evogan.indicators import front_hash, quality
from evogan.lab.callbacks import History
from evogan.lab.config import RunConfig
from evogan.lab.record import RunRecord
from evogan.multitask.metrics import MultitaskHistory, multitask_quality
from evogan.problems import get_problem, hv_reference_point, reference_front
from evogan.registry import algorithm_entry, available_algorithms, get_algorithm

__all__ = ["Prepared", "available_memory_bytes", "build_algorithm", "build_problem", "default_out",
           "environment", "execute", "load_variation", "prepare", "run_prepared"]


def build_problem(config: RunConfig) -> Problem:
    return get_problem(config.problem, n_var=config.n_var, n_obj=config.n_obj)


def load_variation(spec: str) -> Variation:
    """Load a user operator from `module:name` or `path/to/file.py:name`.

    A class is instantiated without arguments; a function is used as it is. Whatever goes
    wrong (no such file, an exception or syntax error while importing, a constructor that needs
    arguments, an object that cannot be called as `(X, F, n_offspring, *, rng)`) is a one-line
    ConfigError naming the spec and the fault.
    """
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not name:
        raise ConfigError(f"--variation {spec!r} is not of the form MODULE:NAME or FILE.py:NAME")
    module = _import_user_module(spec, target)
    obj = getattr(module, name, None)
    if obj is None:
        raise ConfigError(f"--variation {spec!r}: {target} has no attribute {name!r}")
    if isinstance(obj, type):
        try:
            obj = obj()
        except Exception as error:  # the user's constructor: anything can happen
            raise ConfigError(f"--variation {spec!r}: {name}() cannot be built without arguments "
                              f"({_one_line(error)})") from None
    _check_signature(spec, obj)
    return obj


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _import_user_module(spec: str, target: str) -> Any:
    """Import `target` (a module name or a .py file) for `--variation spec`."""
    try:
        if not target.endswith(".py"):
            return importlib.import_module(target)
        path = Path(target)
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None or not path.is_file():
            raise ConfigError(f"--variation {spec!r}: no file {target}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return module
    except SyntaxError as error:
        raise ConfigError(f"--variation {spec!r}: syntax error in {error.filename} line "
                          f"{error.lineno}: {error.msg}") from None
    except ImportError as error:
        raise ConfigError(f"--variation {spec!r}: cannot import {target} ({error})") from None
    except ConfigError:
        raise
    except Exception as error:  # the user's module ran and raised
        raise ConfigError(f"--variation {spec!r}: importing {target} raised "
                          f"{_one_line(error)}") from None


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
    """Refuse a single-task algorithm on a multitask problem and the reverse."""
    kind, entry = problem_kind(problem), algorithm_entry(config.algo)
    if entry.problem_kind != kind:
        fitting = [name for name in available_algorithms()
                   if algorithm_entry(name).problem_kind == kind]
        raise ConfigError(f"--algo {config.algo} solves {entry.problem_kind} problems, and "
                          f"--problem {config.problem} is a {kind} problem; for it choose one of: "
                          f"{', '.join(fitting)}")


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


def prepare(config: RunConfig) -> Prepared:
    """Check a configuration against its problem and build both, without running anything.

    On a multitask problem `nsga2` becomes `mt-nsga2` (one NSGA-II per task), and the returned
    configuration says so. The device is resolved (`auto` -> `cpu` or `cuda`).

    Raises:
        ConfigError: an algorithm for another kind of problem, a run that would not fit in
            memory, a device that is not there, or a bad hyperparameter.
    """
    problem = build_problem(config)
    if problem_kind(problem) == MULTITASK and config.algo == "nsga2":
        config = config.replace(algo="mt-nsga2")
    _check_kind(config, problem)
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
    runs/ALGO-PROBLEM-mM-dD-sSEED, or, when that exists, the same name with the first free
    suffix -2, -3, ..., so that running the same command again keeps the earlier record and
    writes a new one."""
    name = f"{config.algo}-{config.problem}-m{problem.n_obj}-d{problem.n_var}-s{config.seed}"
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

    On a multitask problem (cec17-*), `nsga2` means one NSGA-II per task (`mt-nsga2`), and the
    record holds IGD and HV per task (`igd_t1`, `hv_t1`, ...) instead of one IGD and HV.
    `pop_size_used` in the config and summary is the population the algorithm actually ran with:
    its `pop_size_` after setup where it has one (MOEA/D: its number of reference directions),
    else the `pop_size` asked.
    """
    config, problem, algorithm = prepared
    device = config.device
    if problem_kind(problem) == MULTITASK:
        fronts = [problem.reference_front(t) for t in range(problem.n_tasks)]
        ref_points = [1.1 * front.max(axis=0) for front in fronts]
        history = MultitaskHistory(problem, every=_log_every(config, config.pop_size * problem.n_tasks))
        front_info = {"front_size": [len(front) for front in fronts],
                      "front_hash": [front_hash(front) for front in fronts],
                      "hv_ref_point": [ref.tolist() for ref in ref_points]}
    else:
        front = reference_front(problem)
        ref_point = np.asarray(hv_reference_point(problem), dtype=float)
        history = History(front, ref_point, every=_log_every(config, config.pop_size),
                          constrained=problem.has_constraints())
        front_info = {"front_size": len(front), "front_hash": front_hash(front),
                      "hv_ref_point": ref_point.tolist()}
    result = minimize(problem, algorithm, seed=config.seed, max_evals=config.max_evals,
                      callbacks=(history, *callbacks), device=device)
    if problem_kind(problem) == MULTITASK:
        indicators = multitask_quality(problem, result.X, result.F)
    else:
        indicators = quality(result.F, front, ref_point,
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
        **front_info,
        "environment": environment(device),
    }
    summary = {
        "algo": config.algo, "problem": config.problem, "n_var": problem.n_var,
        "n_obj": problem.n_obj, "seed": config.seed, "n_evals": result.n_evals,
        "n_gen": result.n_gen, "pop_size_used": pop_size_used, **indicators,
        "wall_s": result.wall_s,
    }
    return RunRecord(config=resolved, summary=summary, history=history.rows, X=result.X, F=result.F)
