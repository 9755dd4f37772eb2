"""Benchmark problems by name: ZDT, DTLZ, constrained DTLZ (C1-DTLZ1, C2-DTLZ2, C3-DTLZ4), WFG
(pymoo's code), IMF, LSMOP and the CEC2017 multitask pairs (evogan's own).

Every name is one catalog entry, which says how the problem is built and what kind it is
(`evogan.core.problem`): a sized entry takes n_var and n_obj, a fixed entry (a multitask pair)
is built as it is. A new suite is one module plus its entries here. A user's own problem
(`FILE.py:NAME`) is built by `evogan.problems.user`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from numbers import Integral
from typing import ClassVar

import numpy as np
from pymoo.core.problem import Problem
from pymoo.problems.many import cdtlz, dtlz, wfg
from pymoo.problems.multi import zdt

import evogan.problems.fronts as fronts
from evogan.core.errors import ConfigError
from evogan.core.problem import MULTITASK, PROBLEM_KINDS, SINGLE_TASK
from evogan.loading import is_user_spec
from evogan.problems.imf import IMF, IMF_NUMBERS
from evogan.problems.lsmop import LSMOP, LSMOP_NUMBERS, min_n_var
from evogan.problems.multitask import (
    CEC17_PAIRS,
    CEC17_VARIANTS,
    cec17_description,
    cec17_problem,
)
from evogan.problems.user import build_user_problem

__all__ = ["available_problems", "get_problem", "problem_info", "wfg_position_parameter"]

# DTLZ distance-variable counts k (Deb, Thiele, Laumanns, Zitzler 2005): n_var = n_obj + k - 1.
_DTLZ_K = {1: 5, 2: 10, 3: 10, 4: 10, 5: 10, 6: 10, 7: 20}
# WFG distance parameter l as in Huband, Hingston, Barone, While (IEEE TEVC 2006): n_var = k + l.
_WFG_L = 20


def wfg_position_parameter(n_obj: int) -> int:
    """pymoo's default WFG position parameter k: 4 for two objectives, else 2 (n_obj - 1)."""
    return 4 if n_obj == 2 else 2 * (n_obj - 1)


@dataclass(frozen=True)
class _Entry:
    """How one single-task benchmark name is built and which sizes it accepts."""

    kind: ClassVar[str] = SINGLE_TASK
    description: str
    build: Callable[[int, int], Problem]  # (n_var, n_obj) -> Problem
    front: Callable[[int], np.ndarray]  # n_obj -> the analytic front (evogan.problems.fronts)
    default_n_var: Callable[[int], int]  # n_obj -> n_var
    min_n_var: Callable[[int], int]  # n_obj -> smallest n_var
    n_obj_fixed: int | None = None  # None: any n_obj >= 2
    default_n_obj: int = 3
    n_var_rule: str = ""  # extra rule on n_var beyond the minimum, checked by `extra_check`
    extra_check: Callable[[int, int], bool] | None = None

    def n_obj_text(self) -> str:
        return f"exactly {self.n_obj_fixed}" if self.n_obj_fixed else "an integer >= 2"


@dataclass(frozen=True)
class _FixedEntry:
    """A problem of one fixed size (a multitask pair): built as it is."""

    description: str
    build: Callable[[], Problem]
    kind: str


def _zdt_entry(cls: type[zdt.ZDT], description: str, n_var: int,
               front: Callable[[int], np.ndarray]) -> _Entry:
    return _Entry(description=description, build=lambda n, m: cls(n_var=n), front=front,
                  default_n_var=lambda m: n_var, min_n_var=lambda m: 2,
                  n_obj_fixed=2, default_n_obj=2)


_DTLZ_FRONTS = {1: fronts.linear(0.5), 2: fronts.spherical, 3: fronts.spherical,
                4: fronts.spherical, 5: fronts.degenerate_curve, 6: fronts.degenerate_curve,
                7: fronts.disconnected}


def _dtlz_entry(number: int, description: str) -> _Entry:
    cls = getattr(dtlz, f"DTLZ{number}")
    return _Entry(description=description, build=lambda n, m: cls(n_var=n, n_obj=m),
                  front=_DTLZ_FRONTS[number],
                  default_n_var=lambda m: m + _DTLZ_K[number] - 1, min_n_var=lambda m: m)


def _cdtlz_entry(name: str, description: str, front: Callable[[int], np.ndarray]) -> _Entry:
    """A constrained DTLZ (Jain & Deb, IEEE TEVC 18(4), 2014) with its DTLZ's k, as Jain & Deb
    use it (n_var 7, 12, 12 at M = 3; pymoo's constructors default to 12, 12, 7)."""
    cls = getattr(cdtlz, name.upper())
    k = _DTLZ_K[int(name[-1])]
    return _Entry(description=description, build=lambda n, m: cls(n_var=n, n_obj=m), front=front,
                  default_n_var=lambda m: m + k - 1, min_n_var=lambda m: m)


def _wfg_entry(number: int, description: str) -> _Entry:
    cls = getattr(wfg, f"WFG{number}")
    even = number in (2, 3)  # WFG2/WFG3 pair the distance variables: l must be even
    front = {1: fronts.wfg_mixed(disconnected=False), 2: fronts.wfg_mixed(disconnected=True),
             3: fronts.wfg_line}.get(number, fronts.wfg_concave)
    return _Entry(
        description=description, build=lambda n, m: cls(n_var=n, n_obj=m), front=front,
        default_n_var=lambda m: wfg_position_parameter(m) + _WFG_L,
        min_n_var=lambda m: wfg_position_parameter(m) + (2 if even else 1),
        n_var_rule="n_var - k must be even" if even else "",
        extra_check=(lambda n, m: (n - wfg_position_parameter(m)) % 2 == 0) if even else None,
    )


_IMF_DESCRIPTIONS = {
    1: "linear linkage, convex front",
    2: "linear linkage, concave front",
    3: "linear linkage, concave front, biased f1 (ZDT6-like)",
    4: "linear linkage, 3 objectives, spherical front",
    5: "nonlinear linkage, convex front",
    6: "nonlinear linkage, concave front",
    7: "nonlinear linkage, concave front, biased f1 (ZDT6-like)",
    8: "nonlinear linkage, 3 objectives, spherical front",
    9: "nonlinear linkage, Griewank distance, convex front",
    10: "nonlinear linkage, Rastrigin distance, convex front",
}


_IMF_FRONTS = {1: fronts.convex, 2: fronts.concave, 3: fronts.concave_biased, 4: fronts.spherical,
               5: fronts.convex, 6: fronts.concave, 7: fronts.concave_biased, 8: fronts.spherical,
               9: fronts.convex, 10: fronts.convex}


def _imf_entry(number: int) -> _Entry:
    probe = IMF(number, n_var=30).definition
    return _Entry(
        description=f"IMF{number}: {_IMF_DESCRIPTIONS[number]}", front=_IMF_FRONTS[number],
        build=lambda n, m: IMF(number, n_var=n), default_n_var=lambda m: 30,
        min_n_var=lambda m: probe.first_linked, n_obj_fixed=probe.n_obj,
        default_n_obj=probe.n_obj,
    )


_LSMOP_DESCRIPTIONS = {
    1: "sphere, linear linkage, linear front sum f = 1",
    2: "Griewank / Schwefel 2.21, linear linkage, linear front",
    3: "Rastrigin / Rosenbrock, linear linkage, linear front",
    4: "Ackley / Griewank, linear linkage, linear front",
    5: "sphere, nonlinear linkage, spherical front sum f^2 = 1",
    6: "Rosenbrock / Schwefel 2.21, nonlinear linkage, spherical front",
    7: "Ackley / Rosenbrock, nonlinear linkage, spherical front",
    8: "Griewank / sphere, nonlinear linkage, spherical front",
    9: "sphere / Ackley, nonlinear linkage, disconnected front (2^(M-1) pieces)",
}


def _lsmop_entry(number: int) -> _Entry:
    front = (fronts.linear(1.0) if number <= 4 else fronts.spherical if number <= 8
             else fronts.disconnected)
    return _Entry(
        description=f"LSMOP{number}: {_LSMOP_DESCRIPTIONS[number]}", front=front,
        build=lambda n, m: LSMOP(number, n_var=n, n_obj=m), default_n_var=lambda m: 100 * m,
        min_n_var=min_n_var,
    )


def _cec17_entries() -> dict[str, _FixedEntry]:
    """The CEC2017 MO-MTO pairs and their named variants (`CEC17_VARIANTS`), sorted by name."""
    specs = {f"cec17-{pair}": (pair, "standard", cec17_description(pair)) for pair in CEC17_PAIRS}
    specs.update({name: (pair, variant, f"{pair.upper()} as MToP and ddmtolab define it "
                                         f"(variant {variant!r})")
                  for name, (pair, variant) in CEC17_VARIANTS.items()})
    return {name: _FixedEntry(description=f"CEC2017 MO-MTO {text}", kind=MULTITASK,
                              build=partial(cec17_problem, pair, variant=variant))
            for name, (pair, variant, text) in sorted(specs.items())}


_CATALOG: dict[str, _Entry] = {
    "zdt1": _zdt_entry(zdt.ZDT1, "ZDT1: convex front f2 = 1 - sqrt(f1)", 30, fronts.convex),
    "zdt2": _zdt_entry(zdt.ZDT2, "ZDT2: concave front f2 = 1 - f1^2", 30, fronts.concave),
    "zdt3": _zdt_entry(zdt.ZDT3, "ZDT3: disconnected front (five pieces)", 30, fronts.zdt3),
    "zdt4": _zdt_entry(zdt.ZDT4, "ZDT4: multimodal (Rastrigin g), convex front", 10,
                       fronts.convex),
    "zdt6": _zdt_entry(zdt.ZDT6, "ZDT6: biased non-uniform f1, concave front", 10,
                       fronts.concave_biased),
    "dtlz1": _dtlz_entry(1, "DTLZ1: multimodal, linear front sum f = 0.5"),
    "dtlz2": _dtlz_entry(2, "DTLZ2: spherical front sum f^2 = 1"),
    "dtlz3": _dtlz_entry(3, "DTLZ3: multimodal, spherical front"),
    "dtlz4": _dtlz_entry(4, "DTLZ4: biased density, spherical front"),
    "dtlz5": _dtlz_entry(5, "DTLZ5: degenerate curve front"),
    "dtlz6": _dtlz_entry(6, "DTLZ6: degenerate curve front, harder g"),
    "dtlz7": _dtlz_entry(7, "DTLZ7: disconnected front (2^(M-1) pieces)"),
    "wfg1": _wfg_entry(1, "WFG1: biased, convex and mixed front"),
    "wfg2": _wfg_entry(2, "WFG2: non-separable, convex disconnected front"),
    "wfg3": _wfg_entry(3, "WFG3: non-separable, linear degenerate front"),
    "wfg4": _wfg_entry(4, "WFG4: multimodal, concave front"),
    "wfg5": _wfg_entry(5, "WFG5: deceptive, concave front"),
    "wfg6": _wfg_entry(6, "WFG6: non-separable, concave front"),
    "wfg7": _wfg_entry(7, "WFG7: parameter-dependent bias, concave front"),
    "wfg8": _wfg_entry(8, "WFG8: parameter-dependent, non-separable, concave front"),
    "wfg9": _wfg_entry(9, "WFG9: deceptive, multimodal, non-separable, concave front"),
    "c1dtlz1": _cdtlz_entry("c1dtlz1", "C1-DTLZ1: DTLZ1, one linear constraint; whole front "
                            "feasible", fronts.linear(0.5)),
    "c2dtlz2": _cdtlz_entry("c2dtlz2", "C2-DTLZ2: DTLZ2, one constraint; front = feasible "
                            "pieces of the sphere", fronts.c2dtlz2),
    "c3dtlz4": _cdtlz_entry("c3dtlz4", "C3-DTLZ4: DTLZ4, M constraints; front on the constraint "
                            "boundary", fronts.c3dtlz4),
    **{f"imf{i}": _imf_entry(i) for i in IMF_NUMBERS},
    **{f"lsmop{i}": _lsmop_entry(i) for i in LSMOP_NUMBERS},
    **_cec17_entries(),
}


def available_problems(kind: str | None = None) -> list[str]:
    """The benchmark names that `get_problem` accepts, in catalogue order: all of them, or
    those of one `kind` (`evogan.core.problem.PROBLEM_KINDS`)."""
    if kind is not None and kind not in PROBLEM_KINDS:
        raise ConfigError(f"unknown problem kind {kind!r}; choose one of: "
                          f"{', '.join(PROBLEM_KINDS)}")
    return [name for name, entry in _CATALOG.items() if kind is None or entry.kind == kind]


def _entry(name: str) -> _Entry | _FixedEntry:
    key = name.lower() if isinstance(name, str) else name
    if key not in _CATALOG:
        raise ConfigError(f"unknown problem {name!r}; choose one of: {', '.join(_CATALOG)}")
    return _CATALOG[key]


def problem_info(name: str) -> dict[str, object]:
    """What `evogan list` shows for a problem.

    Returns:
        dict with ``name``, ``kind``, ``description`` (one line) and, for a problem whose size
        can be chosen, ``n_obj`` (allowed values, as text), ``default_n_obj``,
        ``default_n_var`` and ``min_n_var`` (both at the default n_obj).
    """
    entry = _entry(name)
    if isinstance(entry, _FixedEntry):
        return {"name": name.lower(), "kind": entry.kind, "description": entry.description}
    return {
        "name": name.lower(),
        "kind": entry.kind,
        "n_obj": entry.n_obj_text(),
        "default_n_obj": entry.default_n_obj,
        "default_n_var": entry.default_n_var(entry.default_n_obj),
        "min_n_var": entry.min_n_var(entry.default_n_obj),
        "description": entry.description,
    }


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def get_problem(name: str, *, n_var: int | None = None, n_obj: int | None = None) -> Problem:
    """Build a benchmark problem by name.

    Args:
        name: One of `available_problems()` (case-insensitive), or a user's problem
            `FILE.py:NAME` / `MODULE:NAME` (`evogan.problems.user.build_user_problem`).
        n_var: Number of decision variables; None takes the problem's default
            (see `problem_info`).
        n_obj: Number of objectives; None takes the default (2 for ZDT, 3 for DTLZ/WFG/LSMOP,
            fixed for IMF; 3 for the constrained DTLZ). A multitask pair has a fixed size:
            leave both out.

    Returns:
        A pymoo Problem with attributes ``benchmark_name`` (lowercase, e.g. ``"dtlz2"``), so
        records and caches can key on ``(benchmark_name, n_var, n_obj)``, and ``front_sampler``
        (n_obj -> its analytic front, for `reference_front`); for a multitask pair, a
        `evogan.problems.multitask.MultitaskProblem` (its tasks carry their own fronts).

    Raises:
        ConfigError: unknown name, or n_obj / n_var not accepted (one line naming the value).
    """
    if is_user_spec(name):
        return build_user_problem(name, n_var=n_var, n_obj=n_obj)
    entry = _entry(name)
    key = name.lower()
    if isinstance(entry, _FixedEntry):
        if n_var is not None or n_obj is not None:
            raise ConfigError(f"{key} is a {entry.kind} problem of fixed size; "
                              "leave out n_var and n_obj")
        return entry.build()
    if n_obj is None:
        n_obj = entry.default_n_obj
    elif not _is_int(n_obj) or (entry.n_obj_fixed and n_obj != entry.n_obj_fixed) or n_obj < 2:
        raise ConfigError(f"n_obj={n_obj!r} is not accepted by {key}: n_obj must be "
                          f"{entry.n_obj_text()}")
    if n_var is None:
        n_var = entry.default_n_var(n_obj)
    smallest = entry.min_n_var(n_obj)
    if not _is_int(n_var) or n_var < smallest:
        raise ConfigError(f"n_var={n_var!r} is not accepted by {key} with n_obj={n_obj}: "
                          f"n_var must be an integer >= {smallest}")
    if entry.extra_check is not None and not entry.extra_check(n_var, n_obj):
        raise ConfigError(f"n_var={n_var!r} is not accepted by {key} with n_obj={n_obj}: "
                          f"{entry.n_var_rule}, with position parameter "
                          f"k={wfg_position_parameter(n_obj)} (try n_var={n_var + 1})")
    problem = entry.build(int(n_var), int(n_obj))
    problem.benchmark_name = key
    problem.front_sampler = entry.front
    return problem
