"""A user's own pymoo problem, named `FILE.py:NAME` or `MODULE:NAME` wherever a benchmark name goes.

NAME is a `pymoo.core.problem.Problem` subclass, a factory (any callable returning a Problem), or
a Problem instance. `n_var` and `n_obj` are passed to the class or factory only when its
signature has parameters of those names. The problem is checked once, when it is built, so that
a run never starts on a problem it cannot finish: it must have n_obj >= 2 and finite bounds with
xl < xu, and evaluating two fixed points must give finite objectives of shape (2, n_obj).
Constraints (`n_ieq_constr > 0`) are left to the engine.

Reference front: what `problem.pareto_front()` returns, if it returns an array (n, n_obj) of
finite values (pymoo's base class returns None: then IGD, IGD+ and GD are not computed, and the
record's `front` field says why). It is kept, like the catalog's fronts, as its non-dominated
points (`evogan.problems.fronts.reference_front`), once per (spec, file content, n_var, n_obj)
in a process.

HV reference point (`hv_reference`), unless the run gives its own (`--hv-ref`):

- with a front: the catalog's rule, 1.1 times the front's nadir (column maximum), where a
  negative nadir component becomes 0.9 times it, so that the point stays behind the front;
- without a front: the same rule applied to the nadir of the non-dominated points of a fixed
  sample, `HV_SAMPLE_SIZE` points drawn uniformly in the bounds by a generator seeded with
  `HV_SAMPLE_SEED`. The sample depends on nothing but the problem (not on the run's seed, the
  algorithm or the campaign), so every run of the problem, in a campaign or alone, gets the same
  point, computed before any run starts, and HVs compare. The point is recorded in config.json.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.errors import ConfigError
from evogan.core.rng import make_rng
from evogan.indicators import nondominated
from evogan.loading import Loaded, load_object, one_line

__all__ = ["HV_SAMPLE_SEED", "HV_SAMPLE_SIZE", "build_user_problem", "hv_reference",
           "problem_folder"]

HV_SAMPLE_SIZE = 1000
"""Points of the fixed sample whose non-dominated nadir places a front-less problem's HV point."""

HV_SAMPLE_SEED = 0
"""Seed of the fixed sample; its own generator, so no run's random stream is touched."""

_PROBE_ROWS = 2
"""Points evaluated when the problem is built: the first rows of the fixed sample."""

_FRONTS: dict[tuple[str, str | None, int, int], Any] = {}
"""(spec, sha256, n_var, n_obj) -> the front sampler (or None): one per problem and process, so
that `reference_front`'s cache, which keys on the sampler, computes each front once."""

_SAMPLE_POINTS: dict[tuple[str, str | None, int, int], np.ndarray] = {}
"""(spec, sha256, n_var, n_obj) -> the HV reference point from the fixed sample."""


def problem_folder(spec: str) -> str:
    """A file-name-safe form of a problem name for record folders: a catalog name as it is, a
    user spec with every run of characters other than letters, digits, `_ . + -` turned into one
    `-` (`probs/my.py:P` -> `probs-my.py-P`), never starting with `.` or `-`."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", spec).lstrip(".-") or "problem"


def build_user_problem(spec: str, *, n_var: int | None = None, n_obj: int | None = None
                       ) -> Problem:
    """Load, build and check the problem named by `spec` (module docstring).

    Returns:
        The problem, with the attributes the catalog's problems carry (``benchmark_name`` = the
        spec, ``front_sampler``: its front, or None) and ``source`` ({"spec", "file", "sha256"}:
        what a record needs to trace it) and ``front_note`` (where the front comes from, or why
        there is none).

    Raises:
        ConfigError: one line naming the spec and the fault: the file is missing or does not
            import, NAME is missing or is not a Problem (nor a factory of one), its constructor
            needs other arguments, `n_var`/`n_obj` are given but not accepted, the bounds are
            missing, non-finite or not xl < xu, F has the wrong shape or is not finite at the
            probe points, or `pareto_front()` fails or returns a malformed front.
    """
    loaded = load_object(spec, option="--problem")
    problem = _construct(spec, loaded, n_var=n_var, n_obj=n_obj)
    name = type(problem).__name__
    _check_sizes(spec, problem, n_var=n_var, n_obj=n_obj)
    _check_bounds(spec, problem)
    _evaluate(spec, problem, _fixed_sample(problem, _PROBE_ROWS))
    key = (spec, loaded.sha256, int(problem.n_var), int(problem.n_obj))
    if key not in _FRONTS:
        front = _user_front(spec, problem)
        _FRONTS[key] = None if front is None else (lambda n_obj, front=front: front)
    problem.benchmark_name = spec
    problem.front_sampler = _FRONTS[key]
    problem.front_note = (f"{name}.pareto_front()" if problem.front_sampler is not None
                          else f"none: {name} has no pareto_front()")
    problem.source = {"spec": spec, "file": loaded.file, "sha256": loaded.sha256}
    return problem


def hv_reference(problem: Problem, front: np.ndarray | None) -> tuple[np.ndarray, str]:
    """The default HV reference point of a user problem and its rule in words (module docstring).

    Raises:
        ConfigError: the fixed sample gives objectives that are not finite or of the wrong shape.
    """
    if front is not None:
        return _behind(front.max(axis=0)), "1.1 x the nadir of the reference front"
    source = problem.source
    key = (source["spec"], source["sha256"], int(problem.n_var), int(problem.n_obj))
    if key not in _SAMPLE_POINTS:
        F = _evaluate(source["spec"], problem, _fixed_sample(problem, HV_SAMPLE_SIZE))
        _SAMPLE_POINTS[key] = _behind(F[nondominated(F)].max(axis=0))
    return _SAMPLE_POINTS[key], (
        f"1.1 x the nadir of the non-dominated points of {HV_SAMPLE_SIZE} uniform samples in the "
        f"bounds (seed {HV_SAMPLE_SEED})")


def _behind(nadir: np.ndarray) -> np.ndarray:
    """1.1 x nadir, and 0.9 x where a component is negative: a point behind the nadir."""
    return np.where(nadir >= 0, 1.1 * nadir, 0.9 * nadir)


def _construct(spec: str, loaded: Loaded, *, n_var: int | None, n_obj: int | None) -> Problem:
    obj, name = loaded.obj, loaded.name
    given = {key: value for key, value in (("n_var", n_var), ("n_obj", n_obj)) if value is not None}
    if isinstance(obj, Problem):
        if given:
            key = next(iter(given))
            raise ConfigError(f"--problem {spec!r}: {name} is a Problem instance, built already; "
                              f"--{key.replace('_', '-')} needs a class or factory that takes "
                              f"{key}")
        return obj
    if isinstance(obj, type) and not issubclass(obj, Problem):
        raise ConfigError(f"--problem {spec!r}: {name} is a class but not a subclass of pymoo's "
                          "Problem")
    if not callable(obj):
        raise ConfigError(f"--problem {spec!r}: {name} is a {type(obj).__name__}, not a pymoo "
                          "Problem, a Problem subclass or a factory returning one")
    try:
        signature: inspect.Signature | None = inspect.signature(obj)
    except (TypeError, ValueError):  # a builtin without a signature: call it and see
        signature = None
    for key, value in given.items():
        accepted = signature is not None and key in signature.parameters and (
            signature.parameters[key].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                               inspect.Parameter.KEYWORD_ONLY))
        if not accepted:
            raise ConfigError(f"--problem {spec!r}: --{key.replace('_', '-')} {value} is given, "
                              f"but {name}{signature or '(...)'} has no parameter {key}")
    if signature is not None:
        try:
            signature.bind(**given)
        except TypeError as error:
            raise ConfigError(f"--problem {spec!r}: {name} cannot be built without arguments "
                              f"other than n_var and n_obj: its signature is {signature} "
                              f"({error})") from None
    call = f"{name}({', '.join(f'{k}={v}' for k, v in given.items())})"
    try:
        problem = obj(**given)
    except Exception as error:  # the user's constructor: anything can happen
        raise ConfigError(f"--problem {spec!r}: {call} raised {one_line(error)}") from None
    if not isinstance(problem, Problem):
        raise ConfigError(f"--problem {spec!r}: {call} returned a {type(problem).__name__}, not "
                          "a pymoo Problem")
    return problem


def _check_sizes(spec: str, problem: Problem, *, n_var: int | None, n_obj: int | None) -> None:
    name = type(problem).__name__
    for key, asked in (("n_var", n_var), ("n_obj", n_obj)):
        value = getattr(problem, key, None)
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"--problem {spec!r}: {name} has {key}={value!r}; it must be a "
                              "positive integer")
        if asked is not None and value != asked:
            raise ConfigError(f"--problem {spec!r}: {name} was built with {key}={asked} but has "
                              f"{key}={value}")
    if problem.n_obj < 2:
        raise ConfigError(f"--problem {spec!r}: {name} has n_obj={problem.n_obj}; evogan's "
                          "algorithms optimise two or more objectives")


def _check_bounds(spec: str, problem: Problem) -> None:
    name = type(problem).__name__
    if problem.xl is None or problem.xu is None:
        raise ConfigError(f"--problem {spec!r}: {name} has no bounds (xl, xu); evogan searches "
                          "the box xl <= x <= xu, so give both")
    bounds = {}
    for key in ("xl", "xu"):
        try:
            bounds[key] = np.broadcast_to(np.asarray(getattr(problem, key), dtype=float),
                                          (problem.n_var,))
        except (TypeError, ValueError):
            raise ConfigError(f"--problem {spec!r}: {name}.{key} = {getattr(problem, key)!r} is "
                              f"not a number or {problem.n_var} numbers (n_var)") from None
        bad = np.flatnonzero(~np.isfinite(bounds[key]))
        if bad.size:
            raise ConfigError(f"--problem {spec!r}: {name}.{key}[{bad[0]}] = "
                              f"{bounds[key][bad[0]]}; bounds must be finite")
    inverted = np.flatnonzero(bounds["xl"] >= bounds["xu"])
    if inverted.size:
        i = inverted[0]
        raise ConfigError(f"--problem {spec!r}: {name} has xl[{i}] = {bounds['xl'][i]:g} >= "
                          f"xu[{i}] = {bounds['xu'][i]:g}; every variable needs xl < xu")
    problem.xl, problem.xu = np.array(bounds["xl"]), np.array(bounds["xu"])


def _fixed_sample(problem: Problem, n: int) -> np.ndarray:
    """The first `n` points of the problem's fixed sample, uniform in its bounds, (n, n_var)."""
    U = make_rng(HV_SAMPLE_SEED).random((n, problem.n_var))  # row-major: rows are a prefix
    return problem.xl + U * (problem.xu - problem.xl)


def _evaluate(spec: str, problem: Problem, X: np.ndarray) -> np.ndarray:
    """F (n, n_obj) of X, checked: the call, the shape and finiteness."""
    name = type(problem).__name__
    try:
        F = np.asarray(problem.evaluate(X, return_values_of=["F"]), dtype=float)
    except Exception as error:  # the user's _evaluate, or pymoo refusing its output
        raise ConfigError(f"--problem {spec!r}: evaluating {len(X)} points raised "
                          f"{one_line(error)}") from None
    if F.shape != (len(X), problem.n_obj):
        raise ConfigError(f"--problem {spec!r}: {name} returned F of shape {F.shape} for "
                          f"{len(X)} points; expected ({len(X)}, {problem.n_obj}) (n, n_obj)")
    bad = ~np.isfinite(F).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ConfigError(f"--problem {spec!r}: {name} returned non-finite objectives "
                          f"{F[row].tolist()} at x = {np.round(X[row], 6).tolist()}")
    return F


def _user_front(spec: str, problem: Problem) -> np.ndarray | None:
    """`problem.pareto_front()` as a checked (n, n_obj) array, or None where it gives none."""
    name = type(problem).__name__
    try:
        raw = problem.pareto_front()
    except Exception as error:
        raise ConfigError(f"--problem {spec!r}: {name}.pareto_front() raised "
                          f"{one_line(error)}") from None
    if raw is None:
        return None
    try:
        front = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"--problem {spec!r}: {name}.pareto_front() returned a "
                          f"{type(raw).__name__} that is not an array of numbers") from None
    if front.ndim != 2 or front.shape[1] != problem.n_obj or not len(front):
        raise ConfigError(f"--problem {spec!r}: {name}.pareto_front() returned shape "
                          f"{front.shape}; expected (n >= 1, {problem.n_obj}) (n_obj)")
    if not np.isfinite(front).all():
        raise ConfigError(f"--problem {spec!r}: {name}.pareto_front() holds NaN or inf")
    return front
