"""LSMOP1-LSMOP9, the large-scale multi- and many-objective test suite.

R. Cheng, Y. Jin, M. Olhofer, B. Sendhoff, "Test problems for large-scale multiobjective and
many-objective optimization", IEEE Transactions on Cybernetics 47(12):4108-4121, 2017. The
formulas follow PlatEMO's LSMOP1.m-LSMOP9.m (BIMK/PlatEMO as of release 4.14); indices in the
comments are 1-based as there, so variable x_i is column ``i - 1``.

Structure, for M objectives and D variables:

- x_1..x_{M-1} in [0, 1] place a point on the front; x_M..x_D in [0, 10] are distance variables,
  each linked to x_1: y_i = (1 + i / D) x_i - 10 x_1 (LSMOP1-4, linear) or
  y_i = (1 + cos(pi i / (2 D))) x_i - 10 x_1 (LSMOP5-9, nonlinear).
- The linked variables y_M.. form M consecutive groups, one per objective; group j holds
  nk = 5 subcomponents of s_j variables each. Group j's distance G_j is the inner function summed
  over its subcomponents and divided by s_j nk. Odd groups (1, 3, ...) use one inner function,
  even groups another (sphere, Schwefel 2.21, Rosenbrock, Rastrigin, Griewank, Ackley: see
  ``_DEFINITIONS``).
- Sizes, PlatEMO's current rule: the logistic map c_1 = 3.8 * 0.1 * (1 - 0.1),
  c_{k+1} = 3.8 c_k (1 - c_k) gives c_1..c_M, r_j = c_j / sum(c) and
  s_j = floor(r_j (D - M + 1) / nk). The groups fill nk sum(s_j) <= D - M + 1 variables from
  x_M on; the remaining last variables belong to no group and change no objective (PlatEMO
  leaves them so as well). Other implementations size differently (EvoX 0.9: floor(r_j D / nk),
  equal at D = 100 M for M = 2, 3, not at e.g. M = 2, D = 98): the same (M, D) can be another
  problem there. PlatEMO's rule is the one implemented because PlatEMO is the suite authors'
  platform, where most published LSMOP results are computed, and because counting only
  x_M..x_D keeps every group inside the vector (floor(r_j D / nk) needs x_197 at M = 3, D = 196).
- Fronts: LSMOP1-4 are linear (sum f = 1), LSMOP5-8 spherical (sum f^2 = 1, objective m scaled
  by 1 + G_m + G_{m+1}), LSMOP9 is DTLZ7's disconnected front (2^(M-1) pieces).

Decision vectors are clipped into the bounds before evaluation, as PlatEMO's ``CalDec`` does.
Rosenbrock's minimiser is y = 1, which the last variables cannot reach when x_1 is close to 1
(``pareto_set``); the stated fronts ignore this, as PlatEMO's do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pymoo.core.problem import Problem

from evogan.problems.fronts import _product_shape

__all__ = ["LSMOP", "LSMOP_NUMBERS", "N_SUBCOMPONENTS", "min_n_var", "subcomponent_sizes"]

LSMOP_NUMBERS = tuple(range(1, 10))
N_SUBCOMPONENTS = 5  # nk, subcomponents per group (the paper's and PlatEMO's default)


# --- subcomponent sizes ---------------------------------------------------------------------------

def _shares(n_obj: int) -> np.ndarray:
    """r_j = c_j / sum(c) from the logistic map, (n_obj,); summed in order, as PlatEMO does."""
    c = [3.8 * 0.1 * (1 - 0.1)]
    for _ in range(n_obj - 1):
        c.append(3.8 * c[-1] * (1 - c[-1]))
    values = np.array(c)
    return values / np.cumsum(values)[-1]


def _sizes(n_var: int | np.ndarray, n_obj: int, n_subcomponents: int) -> np.ndarray:
    """s_j for each n_var: (...,) -> (..., n_obj) integers."""
    spread = np.asarray(n_var)[..., None] - n_obj + 1  # variables x_M..x_D
    return np.floor(_shares(n_obj) * spread / n_subcomponents).astype(int)


def subcomponent_sizes(n_var: int, n_obj: int,
                       n_subcomponents: int = N_SUBCOMPONENTS) -> tuple[int, ...]:
    """s_1..s_M, the variables per subcomponent of each group (PlatEMO's rule, module docstring)."""
    return tuple(int(s) for s in _sizes(n_var, n_obj, n_subcomponents))


def min_n_var(n_obj: int, n_subcomponents: int = N_SUBCOMPONENTS) -> int:
    """The smallest D for which every subcomponent has at least one variable.

    With an empty subcomponent G_j would be 0 / 0. The smallest share r_min needs
    D - M + 1 >= nk / r_min, so the answer lies below M + nk / r_min + 1.
    """
    candidates = np.arange(n_obj, n_obj + math.ceil(n_subcomponents / _shares(n_obj).min()) + 1)
    filled = np.all(_sizes(candidates, n_obj, n_subcomponents) >= 1, axis=1)
    return int(candidates[np.argmax(filled)])


# --- inner functions over subcomponents: Y (n, nk, s) -> (n, nk) ----------------------------------

def _sphere(Y: np.ndarray) -> np.ndarray:
    return np.sum(Y**2, axis=-1)


def _schwefel(Y: np.ndarray) -> np.ndarray:
    """Schwefel 2.21: the largest |y|."""
    return np.max(np.abs(Y), axis=-1)


def _rosenbrock(Y: np.ndarray) -> np.ndarray:
    """Minimum 0 at y = 1, not 0: its Pareto set differs from the other functions'."""
    head, tail = Y[..., :-1], Y[..., 1:]
    return np.sum(100.0 * (head**2 - tail) ** 2 + (head - 1.0) ** 2, axis=-1)


def _rastrigin(Y: np.ndarray) -> np.ndarray:
    return np.sum(Y**2 - 10.0 * np.cos(2.0 * np.pi * Y) + 10.0, axis=-1)


def _griewank(Y: np.ndarray) -> np.ndarray:
    position = np.arange(1, Y.shape[-1] + 1)
    return (np.sum(Y**2, axis=-1) / 4000.0 - np.prod(np.cos(Y / np.sqrt(position)), axis=-1)
            + 1.0)


def _ackley(Y: np.ndarray) -> np.ndarray:
    return (20.0 - 20.0 * np.exp(-0.2 * np.sqrt(np.mean(Y**2, axis=-1)))
            - np.exp(np.mean(np.cos(2.0 * np.pi * Y), axis=-1)) + np.e)


@dataclass(frozen=True)
class _Definition:
    """One LSMOP: inner functions of the odd and even groups, linkage and front shape."""

    odd: Callable[[np.ndarray], np.ndarray]  # groups 1, 3, 5, ...
    even: Callable[[np.ndarray], np.ndarray]  # groups 2, 4, ...
    nonlinear: bool  # cosine linkage (LSMOP5-9) instead of the linear one
    front: str  # "linear" | "sphere" | "disconnected"


_DEFINITIONS: dict[int, _Definition] = {
    1: _Definition(_sphere, _sphere, False, "linear"),
    2: _Definition(_griewank, _schwefel, False, "linear"),
    3: _Definition(_rastrigin, _rosenbrock, False, "linear"),
    4: _Definition(_ackley, _griewank, False, "linear"),
    5: _Definition(_sphere, _sphere, True, "sphere"),
    6: _Definition(_rosenbrock, _schwefel, True, "sphere"),
    7: _Definition(_ackley, _rosenbrock, True, "sphere"),
    8: _Definition(_griewank, _sphere, True, "sphere"),
    9: _Definition(_sphere, _ackley, True, "disconnected"),
}


def _cos_half_pi(P: np.ndarray) -> np.ndarray:
    return np.cos(P * np.pi / 2)


def _sin_half_pi(P: np.ndarray) -> np.ndarray:
    return np.sin(P * np.pi / 2)


class LSMOP(Problem):
    """LSMOP<number> as a vectorised pymoo Problem (module docstring for the definitions).

    Args:
        number: Which problem, 1..9.
        n_obj: M, the number of objectives; at least 2.
        n_var: D, the number of variables; None takes PlatEMO's default 100 M. At least
            `min_n_var(n_obj)`.
        n_subcomponents: nk, subcomponents per group.
    """

    def __init__(self, number: int, *, n_obj: int = 3, n_var: int | None = None,
                 n_subcomponents: int = N_SUBCOMPONENTS) -> None:
        if number not in _DEFINITIONS:
            raise ValueError(f"LSMOP number {number!r} is not one of 1..9")
        if n_obj < 2:
            raise ValueError(f"LSMOP{number} needs n_obj >= 2, got {n_obj}")
        n_var = 100 * n_obj if n_var is None else n_var
        smallest = min_n_var(n_obj, n_subcomponents)
        if n_var < smallest:
            raise ValueError(f"LSMOP{number} with n_obj={n_obj} needs n_var >= {smallest} "
                             f"(every subcomponent non-empty), got {n_var}")
        xu = np.full(n_var, 10.0)
        xu[:n_obj - 1] = 1.0
        super().__init__(n_var=n_var, n_obj=n_obj, xl=0.0, xu=xu, vtype=float)
        self.number = number
        self.definition = _DEFINITIONS[number]
        self.n_subcomponents = n_subcomponents
        self.subcomponent_sizes = subcomponent_sizes(n_var, n_obj, n_subcomponents)
        i = np.arange(n_obj, n_var + 1)  # indices of the distance variables x_M..x_D
        # y_i = slope_i x_i - 10 x_1
        self._slope = 1.0 + (np.cos(i / n_var * np.pi / 2) if self.definition.nonlinear
                             else i / n_var)

    def _groups(self) -> list[tuple[int, int, Callable[[np.ndarray], np.ndarray]]]:
        """(first column in y, s_j, inner function) per group j = 1..M; y starts at x_M."""
        starts = np.cumsum([0] + [s * self.n_subcomponents for s in self.subcomponent_sizes])
        d = self.definition
        return [(int(starts[j]), s, d.odd if j % 2 == 0 else d.even)
                for j, s in enumerate(self.subcomponent_sizes)]

    def distances(self, X: np.ndarray) -> np.ndarray:
        """G_1..G_M, each group's inner function summed over its subcomponents / (s_j nk).

        Args:
            X: (n, n_var) decision vectors, inside the bounds.

        Returns:
            (n, n_obj) array; all zero on the Pareto set.
        """
        n, nk = len(X), self.n_subcomponents
        Y = self._slope * X[:, self.n_obj - 1:] - 10.0 * X[:, :1]  # (n, D - M + 1)
        G = [inner(Y[:, start:start + nk * s].reshape(n, nk, s)).sum(axis=1) / s / nk
             for start, s, inner in self._groups()]  # each (n,); reshape: (n, nk, s_j)
        return np.column_stack(G)

    def pareto_set(self, x_position: np.ndarray) -> np.ndarray:
        """Decision vectors whose every linked variable sits at its inner function's minimiser.

        y_i = 0 (y_i = 1 in Rosenbrock groups; the ungrouped tail at y_i = 0), so every G_j = 0.
        In Rosenbrock groups the required x_i = (1 + 10 x_1) / slope_i exceeds 10 when x_1 is
        close to 1 and slope_i < 1.1 (LSMOP6/7 near x_D, LSMOP3 with many objectives): such rows
        have values above ``xu`` and are not Pareto-optimal points of the bounded problem.

        Args:
            x_position: (n, n_obj - 1) values of x_1..x_{M-1} in [0, 1].

        Returns:
            (n, n_var) decision vectors; check them against ``xu`` (see above).
        """
        target = np.zeros(self.n_var - self.n_obj + 1)
        for start, s, inner in self._groups():
            if inner is _rosenbrock:
                target[start:start + self.n_subcomponents * s] = 1.0
        linked = (target + 10.0 * x_position[:, :1]) / self._slope
        return np.hstack([x_position, linked])

    def _evaluate(self, x, out, *args, **kwargs):
        X = np.clip(x, self.xl, self.xu)
        G = self.distances(X)
        P = X[:, :self.n_obj - 1]
        front = self.definition.front
        if front == "linear":
            out["F"] = (1.0 + G) * _product_shape(P, lambda p: p, lambda p: 1.0 - p)
        elif front == "sphere":
            next_G = np.hstack([G[:, 1:], np.zeros((len(X), 1))])  # G_{m+1}, G_{M+1} = 0
            out["F"] = (1.0 + G + next_G) * _product_shape(P, _cos_half_pi, _sin_half_pi)
        else:  # DTLZ7-style: f_m = x_m, f_M = (1 + g) h with g = 1 + sum G_j
            g = 1.0 + G.sum(axis=1, keepdims=True)
            h = self.n_obj - np.sum(P / (1.0 + g) * (1.0 + np.sin(3.0 * np.pi * P)), axis=1,
                                    keepdims=True)
            out["F"] = np.hstack([P, (1.0 + g) * h])
