"""IMF1-IMF10, the IM-MOEA test suite with variable linkages (GMOEA's benchmark).

R. Cheng, Y. Jin, K. Narukawa, B. Sendhoff, "A multiobjective evolutionary algorithm using
Gaussian process-based inverse modeling", IEEE TEVC 19(6):838-856, 2015. The formulas follow
PlatEMO's IMF code (its version is normative); indices in the
comments are 1-based as in the paper, so variable x_i is column ``i - 1``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pymoo.core.problem import Problem

__all__ = ["IMF", "IMF_NUMBERS", "phi", "phi_min"]

IMF_NUMBERS = tuple(range(1, 11))


def phi(x1: np.ndarray) -> np.ndarray:
    """ZDT6-style map 1 - exp(-4 x_1) sin^6(6 pi x_1), used as f1 by IMF3, IMF7 (and ZDT6)."""
    return 1.0 - np.exp(-4.0 * x1) * np.sin(6.0 * np.pi * x1) ** 6


def phi_min() -> float:
    """The minimum of ``phi`` over [0, 1] (about 0.280775318815), solved to machine precision.

    The minimum lies in the first period, near x_1 = 0.0814578; a bounded scalar minimisation
    there is exact where the brute-force grids of PlatEMO and the GMOEA code are off by ~1e-11.
    """
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda x: float(phi(np.asarray(x))), bounds=(0.05, 0.12),
                          method="bounded", options={"xatol": 1e-12})
    return float(res.fun)


# --- linkages: t for the linked variables i = first..D -----------------------------------

def _linear_linkage(X: np.ndarray, first: int) -> np.ndarray:
    """t_i = (1 + 5 i / D) x_i - x_1; X (n, D) -> t (n, D - first + 1)."""
    D = X.shape[1]
    i = np.arange(first, D + 1)
    return (1.0 + 5.0 * i / D) * X[:, first - 1:] - X[:, :1]


def _nonlinear_linkage(X: np.ndarray, first: int) -> np.ndarray:
    """t_i = x_i^(1 / (1 + 3 i / D)) - x_1; X (n, D) -> t (n, D - first + 1)."""
    D = X.shape[1]
    i = np.arange(first, D + 1)
    return X[:, first - 1:] ** (1.0 / (1.0 + 3.0 * i / D)) - X[:, :1]


# --- distance functions g over t (n, n_t) -> (n,) ------------------------------------------------

def _g_mean(t: np.ndarray) -> np.ndarray:
    """g_A = 1 + 9 mean(t^2); minimum 1."""
    return 1.0 + 9.0 * np.mean(t**2, axis=1)


def _g_sum(t: np.ndarray) -> np.ndarray:
    """g_B = sum(t^2); minimum 0 (the objectives then scale by 1 + g)."""
    return np.sum(t**2, axis=1)


def _g_griewank(t: np.ndarray) -> np.ndarray:
    """g_C = 1 + Griewank(t); the cosine divisor is sqrt of the position in t (1, 2, ...)."""
    position = np.arange(1, t.shape[1] + 1)
    return 2.0 + np.sum(t**2, axis=1) / 4000.0 - np.prod(np.cos(t / np.sqrt(position)), axis=1)


def _g_rastrigin(t: np.ndarray) -> np.ndarray:
    """g_D = 1 + Rastrigin(t); many local minima near integer t_i."""
    return 1.0 + 10.0 * t.shape[1] + np.sum(t**2 - 10.0 * np.cos(2.0 * np.pi * t), axis=1)


# --- shapes: (f1, g) -> F ------------------------------------------------------------------------

def _convex(f1: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.column_stack([f1, g * (1.0 - np.sqrt(f1 / g))])


def _concave(f1: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.column_stack([f1, g * (1.0 - (f1 / g) ** 2)])


def _sphere(X: np.ndarray, g: np.ndarray) -> np.ndarray:
    """DTLZ2-style octant with x_1 as elevation and x_2 as azimuth; the radius is 1 + g."""
    a, b = 0.5 * np.pi * X[:, 0], 0.5 * np.pi * X[:, 1]
    r = 1.0 + g
    return np.column_stack([r * np.cos(a) * np.cos(b), r * np.cos(a) * np.sin(b), r * np.sin(a)])


@dataclass(frozen=True)
class _Definition:
    """One row of the IMF suite's summary table."""

    linkage: Callable[[np.ndarray, int], np.ndarray]
    g: Callable[[np.ndarray], np.ndarray]
    shape: str  # "convex" | "concave" | "sphere"
    phi_f1: bool = False  # f1 = phi(x_1) instead of x_1
    upper: float = 1.0  # upper bound of x_2..x_D (x_1 is always in [0, 1])

    @property
    def n_obj(self) -> int:
        return 3 if self.shape == "sphere" else 2

    @property
    def first_linked(self) -> int:
        """1-based index of the first linked variable (x_2 is free on the sphere problems)."""
        return 3 if self.shape == "sphere" else 2


_DEFINITIONS: dict[int, _Definition] = {
    1: _Definition(_linear_linkage, _g_mean, "convex"),
    2: _Definition(_linear_linkage, _g_mean, "concave"),
    3: _Definition(_linear_linkage, _g_mean, "concave", phi_f1=True),
    4: _Definition(_linear_linkage, _g_sum, "sphere"),
    5: _Definition(_nonlinear_linkage, _g_mean, "convex"),
    6: _Definition(_nonlinear_linkage, _g_mean, "concave"),
    7: _Definition(_nonlinear_linkage, _g_mean, "concave", phi_f1=True),
    8: _Definition(_nonlinear_linkage, _g_sum, "sphere"),
    9: _Definition(_nonlinear_linkage, _g_griewank, "convex", upper=10.0),
    10: _Definition(_nonlinear_linkage, _g_rastrigin, "convex", upper=10.0),
}


class IMF(Problem):
    """IMF<number> as a vectorised pymoo Problem (PlatEMO's IMF definitions).

    Decision vectors are clipped into the bounds before evaluation, as PlatEMO does: a
    fractional power of a negative number (IMF5-IMF10) would otherwise be NaN.

    Args:
        number: Which problem, 1..10.
        n_var: D, the number of variables; at least 2 (at least 3 for IMF4 and IMF8).
    """

    def __init__(self, number: int, *, n_var: int = 30) -> None:
        if number not in _DEFINITIONS:
            raise ValueError(f"IMF number {number!r} is not one of 1..10")
        definition = _DEFINITIONS[number]
        if n_var < definition.first_linked:
            raise ValueError(f"IMF{number} needs n_var >= {definition.first_linked}, got {n_var}")
        xu = np.full(n_var, definition.upper)
        xu[0] = 1.0
        super().__init__(n_var=n_var, n_obj=definition.n_obj, xl=0.0, xu=xu, vtype=float)
        self.number = number
        self.definition = definition

    def pareto_set(self, x_free: np.ndarray) -> np.ndarray:
        """Pareto-optimal decision vectors from the free variables (where every linkage term is zero).

        Args:
            x_free: (n, 1) values of x_1, or (n, 2) values of (x_1, x_2) for IMF4/IMF8, in [0, 1].

        Returns:
            (n, n_var) decision vectors with every t_i = 0.
        """
        d = self.definition
        D = self.n_var
        i = np.arange(d.first_linked, D + 1)
        x1 = x_free[:, :1]
        if d.linkage is _linear_linkage:
            linked = x1 / (1.0 + 5.0 * i / D)
        else:
            linked = x1 ** (1.0 + 3.0 * i / D)
        return np.hstack([x_free, linked])

    def _evaluate(self, x, out, *args, **kwargs):
        d = self.definition
        X = np.clip(x, self.xl, self.xu)
        g = d.g(d.linkage(X, d.first_linked))
        if d.shape == "sphere":
            out["F"] = _sphere(X, g)
            return
        f1 = phi(X[:, 0]) if d.phi_f1 else X[:, 0]
        out["F"] = _convex(f1, g) if d.shape == "convex" else _concave(f1, g)
