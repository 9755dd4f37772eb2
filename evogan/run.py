"""One run from a `RunConfig`: build the problem and algorithm, optimise, collect the record."""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from pymoo.core.problem import Problem

from evogan.algorithms.base import Algorithm
from evogan.callbacks import History
from evogan.config import RunConfig
from evogan.engine import Callback, minimize
from evogan.errors import ConfigError
from evogan.indicators import front_hash, quality
from evogan.multitask.metrics import MultitaskHistory, multitask_quality
from evogan.problems import get_problem, hv_reference_point, reference_front
from evogan.problems.multitask import is_multitask
from evogan.record import RunRecord
from evogan.registry import algorithm_entry, get_algorithm
from evogan.variation import Variation

__all__ = ["build_algorithm", "build_problem", "default_out", "environment", "execute",
           "load_variation"]


def build_problem(config: RunConfig) -> Problem:
    return get_problem(config.problem, n_var=config.n_var, n_obj=config.n_obj)


def load_variation(spec: str) -> Variation:
    """Load a user operator from `module:name` or `path/to/file.py:name`.

    A class is instantiated without arguments; a function is used as it is.
    """
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not name:
        raise ConfigError(f"--variation {spec!r} is not of the form MODULE:NAME or FILE.py:NAME")
    try:
        if target.endswith(".py"):
            path = Path(target)
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            if module_spec is None or not path.is_file():
                raise ConfigError(f"--variation {spec!r}: no file {target}")
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(target)
    except ImportError as error:
        raise ConfigError(f"--variation {spec!r}: cannot import {target} ({error})") from None
    obj = getattr(module, name, None)
    if obj is None:
        raise ConfigError(f"--variation {spec!r}: {target} has no attribute {name!r}")
    variation = obj() if isinstance(obj, type) else obj
    if not callable(variation):
        raise ConfigError(f"--variation {spec!r}: {name} is not callable")
    return variation


def build_algorithm(config: RunConfig) -> Algorithm:
    params: dict[str, Any] = {"pop_size": config.pop_size, **config.params}
    if config.variation is not None:
        params["variation"] = load_variation(config.variation)
    if "device" in algorithm_entry(config.algo).parameters():
        params.setdefault("device", config.device)
    return get_algorithm(config.algo, **params)


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def environment(device: str) -> dict[str, Any]:
    """Versions, machine (CPU model, BLAS libraries and their kernels) and device, saved with
    every record."""
    from evogan.machine import blas_libraries, cpu_model

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


def default_out(config: RunConfig, root: Path = Path("runs")) -> Path:
    """The default record folder of a configuration: runs/ALGO-PROBLEM-mM-dD-sSEED."""
    problem = build_problem(config)
    return root / f"{config.algo}-{config.problem}-m{problem.n_obj}-d{problem.n_var}-s{config.seed}"


def execute(config: RunConfig, *, callbacks: Sequence[Callback] = ()) -> RunRecord:
    """Run `config` and return its record (nothing is written to disk here).

    On a multitask problem (cec17-*), `nsga2` means one NSGA-II per task (`mt-nsga2`), and the
    record holds IGD and HV per task (`igd_t1`, `hv_t1`, ...) instead of one IGD and HV.
    """
    problem = build_problem(config)
    if is_multitask(problem) and config.algo == "nsga2":
        config = config.replace(algo="mt-nsga2")
    device = "cpu"
    if config.device != "cpu":  # resolving imports torch, which CPU-only baselines never need
        from evogan.device import resolve_device

        device = resolve_device(config.device)
    algorithm = build_algorithm(config.replace(device=device))
    if is_multitask(problem):
        fronts = [problem.reference_front(t) for t in range(problem.n_tasks)]
        ref_points = [1.1 * front.max(axis=0) for front in fronts]
        history = MultitaskHistory(problem, every=_log_every(config, config.pop_size * problem.n_tasks))
        front_info = {"front_size": [len(front) for front in fronts],
                      "front_hash": [front_hash(front) for front in fronts],
                      "hv_ref_point": [ref.tolist() for ref in ref_points]}
    else:
        front = reference_front(problem)
        ref_point = np.asarray(hv_reference_point(problem), dtype=float)
        history = History(front, ref_point, every=_log_every(config, config.pop_size))
        front_info = {"front_size": len(front), "front_hash": front_hash(front),
                      "hv_ref_point": ref_point.tolist()}
    result = minimize(problem, algorithm, seed=config.seed, max_evals=config.max_evals,
                      callbacks=(history, *callbacks), device=device)
    if is_multitask(problem):
        indicators = multitask_quality(problem, result.X, result.F)
    else:
        indicators = quality(result.F, front, ref_point)
    resolved = {
        **config.to_dict(),
        "n_var": problem.n_var,
        "n_obj": problem.n_obj,
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
        "n_gen": result.n_gen, **indicators,
        "wall_s": result.wall_s,
    }
    return RunRecord(config=resolved, summary=summary, history=history.rows, X=result.X, F=result.F)
