"""Reference Pareto fronts generated locally from the analytic front of each benchmark.

Nothing is downloaded: pymoo's own ``pareto_front()`` fetches the three-objective DTLZ5-7
fronts from the internet, samples WFG fronts at random, and caches its first result whatever the
later arguments, so evogan never calls it. Every front below is built from the problem's
analytic Pareto-optimal shape, one sampler below per shape, named by each problem's catalog
entry (`evogan.problems.catalog`), so a new suite adds entries there and, for a new shape, a
sampler here (WFG: f_m = S_m h_m with S_m = 2m, Huband et al., IEEE TEVC 2006;
IMF: PlatEMO's IMF fronts, IMF6 concave; LSMOP: ``lsmop.py``, LSMOP9's front is DTLZ7's),
filtered to its non-dominated points (``moocore.is_nondominated``, duplicates dropped), cached
in memory per ``(benchmark_name, n_obj)`` (no front depends on n_var) and returned as a
read-only array.

Sizes, with N2 = 2,000 (two objectives) and the three-objective lattice of H = 139 divisions:

=====================================  ==================================  ===========  ===========
problems                               sampling                            M = 2        M = 3
=====================================  ==================================  ===========  ===========
zdt1, zdt2, zdt4, imf1/2/5/6/9/10      f1 evenly spaced on [0, 1]          2,000        --
zdt6, imf3, imf7                       f1 evenly spaced on [phi_min, 1]    2,000        --
zdt3                                   f1 evenly spaced on its 5 pieces    2,000        --
dtlz1                                  Das-Dennis simplex, scaled by 0.5   2,000        9,870
lsmop1-4                               Das-Dennis simplex (sum f = 1)      2,000        9,870
dtlz2-4, imf4, imf8, wfg4-9 (x S_m)    Das-Dennis, projected to sphere     2,000        9,870
lsmop5-8                               Das-Dennis, projected to sphere     2,000        9,870
dtlz5, dtlz6                           degenerate curve, angle evenly      2,000        2,000
dtlz7, lsmop9                          per-axis even grid on its pieces    2,000        10,000
wfg1                                   position grid (x_1 x rest)          2,000        9,901
wfg2                                   position grid, x_1 on its pieces    2,000        9,901
wfg3                                   degenerate line, x_1 evenly         2,000        2,000
c1dtlz1                                as dtlz1 (all of it is feasible)    2,000        9,870
c2dtlz2                                dtlz2's points with g <= 0          1,082        5,745
c3dtlz4                                Das-Dennis directions, scaled to    2,000        9,870
                                       the constraint boundary
=====================================  ==================================  ===========  ===========

The constrained DTLZ fronts (Jain & Deb, IEEE TEVC 18(4), 2014; pymoo's
`pymoo.problems.many.cdtlz`): C1-DTLZ1's constraint f_M / 0.6 + sum_{i<M} f_i / 0.5 <= 1 holds on
all of DTLZ1's front (there f_M = 0.5 - S with S = sum_{i<M} f_i <= 0.5, so the left side is
5/6 + S/3 <= 1), so its front is DTLZ1's. C2-DTLZ2's front is the part of DTLZ2's sphere inside
its feasible balls (radius r = 0.2 at M = 2, 0.4 at M = 3, 0.5 beyond). C3-DTLZ4's constraints
f_i^2 / 4 + sum_{j != i} f_j^2 >= 1 cut off all of DTLZ4's sphere (there the left side is
1 - 3/4 f_i^2 < 1 unless f_i = 0); along a direction s (|s| = 1) the objective vectors are
rho s with rho >= 1, feasible from rho = 1 / sqrt(1 - 3/4 max_i s_i^2) on, and that boundary
is the front.

For M > 3 the lattice has the largest H with at most 10,000 points, and the grids use
floor(10000^(1/(M-1))) values per axis. WFG1 and WFG2 lose duplicates where x_1 = 0 collapses a
grid row to one point. Grids are even in the shape's position parameters, not in objective
space. DTLZ5/6 (M >= 4) and WFG3 (M >= 3) use their nominal degenerate fronts (g = 0, resp.
optimal distance parameters); Ishibuchi, Masuda, Nojima (IEEE TEVC 20(5), 2016) show the true
fronts of these problems contain further, non-degenerate parts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import moocore
import numpy as np
from pymoo.core.problem import Problem
from pymoo.util.ref_dirs import get_reference_directions

from evogan.core.errors import ConfigError
from evogan.problems.imf import phi_min

__all__ = [
    "N_POINTS_2D",
    "N_POINTS_MAX",
    "concave",
    "c2dtlz2",
    "c3dtlz4",
    "concave_biased",
    "convex",
    "degenerate_curve",
    "disconnected",
    "hv_reference_point",
    "linear",
    "reference_front",
    "spherical",
    "wfg_concave",
    "wfg_line",
    "wfg_mixed",
    "zdt3",
]

N_POINTS_2D = 2000
N_POINTS_MAX = 10000
_FINE_GRID = 1_000_001  # resolution at which disconnected pieces are located (step 1e-6)


def _lattice_divisions(n_obj: int) -> int:
    """Largest H whose Das-Dennis lattice, C(H + M - 1, M - 1) points, fits the size budget."""
    if n_obj == 2:
        return N_POINTS_2D - 1
    h = 1
    while math.comb(h + 1 + n_obj - 1, n_obj - 1) <= N_POINTS_MAX:
        h += 1
    return h


def _simplex(n_obj: int) -> np.ndarray:
    """Das-Dennis points on the unit simplex, (n, n_obj)."""
    return get_reference_directions("das-dennis", n_obj, n_partitions=_lattice_divisions(n_obj))


def _sphere(n_obj: int) -> np.ndarray:
    """Das-Dennis directions projected onto the positive unit sphere, (n, n_obj)."""
    w = _simplex(n_obj)
    return w / np.linalg.norm(w, axis=1, keepdims=True)


def _per_axis(n_obj: int) -> int:
    """Values per position axis of a product grid over n_obj - 1 axes."""
    return N_POINTS_2D if n_obj == 2 else int(N_POINTS_MAX ** (1.0 / (n_obj - 1)) + 1e-9)


def _improving_support(value: Callable[[np.ndarray], np.ndarray], n: int) -> np.ndarray:
    """n points evenly spread over {x in [0, 1] : value(x) < value(x') for all x' < x}.

    That set is the parameter range of a disconnected front whose first objective increases
    with x and whose last objective is ``value`` (ZDT3, DTLZ7 per axis, WFG2's x_1): a point
    is dominated exactly when an earlier x reached a value at least as low.
    """
    x = np.linspace(0.0, 1.0, _FINE_GRID)
    v = value(x)
    best_before = np.minimum.accumulate(np.concatenate([[np.inf], v[:-1]]))
    support = x[v < best_before]
    pick = np.round(np.linspace(0, support.size - 1, n)).astype(int)
    return support[pick]


def _grid(axes: list[np.ndarray]) -> np.ndarray:
    """Cartesian product of 1-D axes, (prod of sizes, len(axes))."""
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def _product_shape(P: np.ndarray, a: Callable, b: Callable) -> np.ndarray:
    """Shape h (n, M) from position parameters P (n, M - 1) in the WFG/DTLZ product form.

    h_1 = prod_{i<=M-1} a(P_i), h_m = prod_{i<=M-m} a(P_i) * b(P_{M-m+1}) for m >= 2 (1-based);
    (cos, sin) gives DTLZ2's sphere, (1 - cos, 1 - sin) WFG's convex, (p, 1 - p) its linear shape.
    """
    n, k = P.shape
    # leading[:, j] = prod of a(P_i) over the first j parameters, j = 0..M-1
    leading = np.cumprod(np.hstack([np.ones((n, 1)), a(P)]), axis=1)
    h = [leading[:, k]] + [leading[:, k + 1 - m] * b(P[:, k + 1 - m]) for m in range(2, k + 2)]
    return np.column_stack(h)


def _half_pi(f: Callable) -> Callable:
    return lambda p: f(0.5 * np.pi * p)


_SIN, _COS = _half_pi(np.sin), _half_pi(np.cos)
_CONVEX_A, _CONVEX_B = (lambda p: 1.0 - _COS(p)), (lambda p: 1.0 - _SIN(p))


def _zdt3_f2(f1: np.ndarray) -> np.ndarray:
    return 1.0 - np.sqrt(f1) - f1 * np.sin(10.0 * np.pi * f1)


def _dtlz7_gain(f: np.ndarray) -> np.ndarray:
    """f (1 + sin 3 pi f): with g = 1, f_M = 2 M - sum of gains over f_1..f_{M-1}."""
    return f * (1.0 + np.sin(3.0 * np.pi * f))


def _wfg_scale(n_obj: int) -> np.ndarray:
    return 2.0 * np.arange(1, n_obj + 1)


def _wfg_last(P1: np.ndarray, disconnected: bool) -> np.ndarray:
    """WFG1's mixed (alpha = 1, A = 5) or WFG2's disconnected (alpha = beta = 1, A = 5) h_M."""
    if disconnected:
        return 1.0 - P1 * np.cos(5.0 * np.pi * P1) ** 2
    return 1.0 - P1 - np.cos(10.0 * np.pi * P1 + 0.5 * np.pi) / (10.0 * np.pi)


def _wfg_mixed_front(n_obj: int, disconnected: bool) -> np.ndarray:
    """WFG1/WFG2: convex h_1..h_{M-1}, special h_M in x_1; the others trade off only among
    themselves, so x_1 on its improving support times a full grid of the rest is the front."""
    n = _per_axis(n_obj)
    first = (_improving_support(lambda p: _wfg_last(p, True), n) if disconnected
             else np.linspace(0.0, 1.0, n))
    P = _grid([first] + [np.linspace(0.0, 1.0, n)] * (n_obj - 2))
    h = _product_shape(P, _CONVEX_A, _CONVEX_B)
    h[:, -1] = _wfg_last(P[:, 0], disconnected)
    return _wfg_scale(n_obj) * h


def _curve(n_obj: int, a: Callable, b: Callable, rest: float) -> np.ndarray:
    """A degenerate front: P_1 evenly on [0, 1], the other position parameters fixed."""
    P = np.full((N_POINTS_2D, n_obj - 1), rest)
    P[:, 0] = np.linspace(0.0, 1.0, N_POINTS_2D)
    return _product_shape(P, a, b)


def _bi_objective(shape: str, low: float = 0.0) -> np.ndarray:
    f1 = np.linspace(low, 1.0, N_POINTS_2D)
    f2 = 1.0 - np.sqrt(f1) if shape == "convex" else 1.0 - f1**2
    return np.column_stack([f1, f2])


def _dtlz7(n_obj: int) -> np.ndarray:
    # The front is separable: a point is non-dominated iff each f_i is on the 1-D support.
    axis = _improving_support(lambda f: -_dtlz7_gain(f), _per_axis(n_obj))
    head = _grid([axis] * (n_obj - 1))
    return np.column_stack([head, 2 * n_obj - _dtlz7_gain(head).sum(axis=1)])


def convex(n_obj: int) -> np.ndarray:
    """f2 = 1 - sqrt(f1) on [0, 1] (ZDT1, ZDT4, IMF1/5/9/10)."""
    return _bi_objective("convex")


def concave(n_obj: int) -> np.ndarray:
    """f2 = 1 - f1^2 on [0, 1] (ZDT2, IMF2/6)."""
    return _bi_objective("concave")


def concave_biased(n_obj: int) -> np.ndarray:
    """f2 = 1 - f1^2 on [phi_min, 1] (ZDT6, IMF3/7)."""
    return _bi_objective("concave", low=phi_min())


def zdt3(n_obj: int) -> np.ndarray:
    """ZDT3's five pieces."""
    f1 = _improving_support(_zdt3_f2, N_POINTS_2D)
    return np.column_stack([f1, _zdt3_f2(f1)])


def linear(scale: float) -> Callable[[int], np.ndarray]:
    """The simplex sum f = `scale` (DTLZ1: 0.5, LSMOP1-4: 1)."""
    return lambda n_obj: scale * _simplex(n_obj)


def spherical(n_obj: int) -> np.ndarray:
    """The sphere sum f^2 = 1 (DTLZ2-4, IMF4/8, LSMOP5-8)."""
    return _sphere(n_obj)


def c2dtlz2(n_obj: int) -> np.ndarray:
    """The feasible part of DTLZ2's sphere under C2-DTLZ2's constraint (pymoo's radius r)."""
    from pymoo.problems.many.cdtlz import C2DTLZ2, constraint_c2

    S = _sphere(n_obj)
    return S[constraint_c2(S, C2DTLZ2(n_obj=n_obj).r) <= 0]


def c3dtlz4(n_obj: int) -> np.ndarray:
    """C3-DTLZ4's constraint boundary: each sphere direction s scaled by
    1 / sqrt(1 - 3/4 max_i s_i^2), the smallest feasible radius along s."""
    S = _sphere(n_obj)
    return S / np.sqrt(1.0 - 0.75 * (S**2).max(axis=1, keepdims=True))


def degenerate_curve(n_obj: int) -> np.ndarray:
    """DTLZ5/6's curve."""
    return _curve(n_obj, _COS, _SIN, rest=0.5)


def disconnected(n_obj: int) -> np.ndarray:
    """DTLZ7's 2^(M-1) pieces (also LSMOP9's)."""
    return _dtlz7(n_obj)


def wfg_mixed(disconnected: bool) -> Callable[[int], np.ndarray]:
    """WFG1's convex-and-mixed front, or WFG2's disconnected one."""
    return lambda n_obj: _wfg_mixed_front(n_obj, disconnected=disconnected)


def wfg_line(n_obj: int) -> np.ndarray:
    """WFG3's degenerate linear front."""
    return _wfg_scale(n_obj) * _curve(n_obj, lambda p: p, lambda p: 1.0 - p, rest=0.5)


def wfg_concave(n_obj: int) -> np.ndarray:
    """WFG4-9's scaled sphere."""
    return _wfg_scale(n_obj) * _sphere(n_obj)


@cache
def _cached_front(name: str, n_obj: int, sample: Callable[[int], np.ndarray]) -> np.ndarray:
    F = sample(n_obj)
    F = np.ascontiguousarray(F[moocore.is_nondominated(F, keep_weakly=False)])
    F.setflags(write=False)
    return F


def _benchmark_name(problem: Problem) -> str:
    name = getattr(problem, "benchmark_name", None)
    if name is None:
        raise ConfigError(f"problem {type(problem).__name__!r} has no benchmark_name; build it "
                          "with evogan.problems.get_problem")
    return name


def reference_front(problem: Problem) -> np.ndarray:
    """The locally generated reference front of a problem from `get_problem`.

    Sizes and sampling are in the module docstring. Never touches the network.

    Args:
        problem: A problem carrying ``benchmark_name`` (as built by `get_problem`).

    Returns:
        Read-only (n_points, n_obj) array of mutually non-dominated objective vectors.
    """
    sample = getattr(problem, "front_sampler", None)
    if sample is None:
        raise ConfigError(f"problem {_benchmark_name(problem)!r} has no reference front sampler")
    return _cached_front(_benchmark_name(problem), problem.n_obj, sample)


def hv_reference_point(problem: Problem) -> np.ndarray:
    """HV reference point: 1.1 times the nadir point (column maximum) of `reference_front`.

    The 10 % margin lets the front's extreme points contribute to the hypervolume.

    Returns:
        (n_obj,) array.
    """
    return 1.1 * reference_front(problem).max(axis=0)
