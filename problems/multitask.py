"""Multitask problems: several tasks over one unified search space, and the CEC2017 MO-MTO suite.

A multitask problem groups T tasks, each an ordinary vectorised pymoo `Problem` with its own
`n_var`, `n_obj` and bounds, over one unified space [0, 1]^D_u with D_u = max_t n_var_t. Task t
reads the first n_var_t genes of a unified vector and maps them into its box (`UnifiedCodec`).

So that the ask/tell engine can drive multitask algorithms unchanged, a `MultitaskProblem` is
itself a pymoo `Problem` over D_u + 1 variables: the unified genes followed by a task-index
column. Each row is evaluated on its own task only; tasks with fewer objectives than the most
have their missing objective columns filled with 0.

The CEC2017 benchmark (Yuan, Ong, Feng, Qin, Gupta, Da, Zhang, Tan, Jin, Ishibuchi, "Evolutionary
multitasking for multiobjective continuous optimization: benchmark problems, performance metrics
and baseline results", arXiv:1706.02766, 2017) has nine two-task pairs, `cec17-cihs` ...
`cec17-nils`, entries of the problem catalog (`evogan.problems.get_problem`) built by
`cec17_problem`. Its rotation matrices and shift vectors ship in `data/cec17_mtmo/cec17_mtmo.npz`
(converted from the competition's .mat files as redistributed by the MIT-licensed ddmtolab).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.bounds import from_unit, to_unit
from evogan.core.errors import ConfigError
from evogan.core.problem import MULTITASK, problem_kind

__all__ = [
    "DEFAULT_FRONT_POINTS",
    "CEC17Task",
    "CEC17_VARIANTS",
    "MultitaskProblem",
    "UnifiedCodec",
    "ackley_g",
    "CEC17_PAIRS",
    "cec17_data",
    "cec17_description",
    "cec17_problem",
    "griewank_g",
    "is_multitask",
    "mean_g",
    "rastrigin_g",
    "rosenbrock_g",
    "rosenbrock_mtop_g",
    "sphere_g",
]

DEFAULT_FRONT_POINTS = 10_000
"""Reference-front size used for IGD, as in MToP: 10,000 points on two-objective fronts; the
three-objective sphere uses the largest simplex lattice not above it (H = 139, 9,870 points)."""


class UnifiedCodec:
    """Maps between the unified space [0, 1]^D_u and each task's own box.

    Task t uses the first `n_vars[t]` genes; the remaining genes are carried along and ignored.

    Args:
        xl: lower bounds of each task, one array (n_var_t,) per task.
        xu: upper bounds of each task, one array (n_var_t,) per task.
    """

    def __init__(self, xl: Sequence[np.ndarray], xu: Sequence[np.ndarray]) -> None:
        self.xl = tuple(np.asarray(bound, dtype=float) for bound in xl)
        self.xu = tuple(np.asarray(bound, dtype=float) for bound in xu)
        self.n_vars = tuple(len(bound) for bound in self.xl)
        self.n_var = max(self.n_vars)

    def decode(self, U: np.ndarray, task: int) -> np.ndarray:
        """Task `task`'s decision vectors (n, n_var_t) from unified vectors `U` (n, D_u)."""
        n_var = self.n_vars[task]
        return from_unit(np.asarray(U)[:, :n_var], self.xl[task], self.xu[task])

    def encode(
        self, X: np.ndarray, task: int, *, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Unified vectors (n, D_u) of task `task`'s decision vectors `X` (n, n_var_t).

        The genes beyond the task's own are 0.5 (the centre), or uniform random if `rng` is given.
        """
        X = np.atleast_2d(np.asarray(X, dtype=float))
        n_pad = self.n_var - self.n_vars[task]
        pad = np.full((len(X), n_pad), 0.5) if rng is None else rng.random((len(X), n_pad))
        return np.hstack([to_unit(X, self.xl[task], self.xu[task]), pad])


class MultitaskProblem(Problem):
    """T tasks over one unified space, evaluable as one pymoo problem with a task-index column.

    Its `kind` is "multitask" (`evogan.core.problem`): run, report and CLI dispatch on it.

    Variables: the D_u unified genes in [0, 1], then the task index in {0, ..., T-1}. Objectives:
    max_t n_obj_t columns; row i holds the objectives of its task in the first n_obj_t columns
    and 0 in the rest.

    Args:
        tasks: the tasks, ordinary pymoo problems (vectorised `_evaluate`) in their own bounds.
        name: the problem's name (e.g. "cec17-cihs").
    """

    kind = MULTITASK

    def __init__(self, tasks: Sequence[Problem], *, name: str) -> None:
        if len(tasks) < 2:
            raise ConfigError(f"a multitask problem needs at least two tasks, got {len(tasks)}")
        self.tasks = tuple(tasks)
        self.benchmark_name = name
        self.codec = UnifiedCodec([task.xl for task in tasks], [task.xu for task in tasks])
        self.task_n_obj = tuple(task.n_obj for task in tasks)
        n_tasks = len(tasks)
        super().__init__(
            n_var=self.codec.n_var + 1,
            n_obj=max(self.task_n_obj),
            xl=np.zeros(self.codec.n_var + 1),
            xu=np.append(np.ones(self.codec.n_var), n_tasks - 1.0),
            vtype=float,
        )

    def name(self) -> str:
        """The problem's name, e.g. "cec17-cihs" (pymoo's `Problem.name`, which printing a
        problem calls)."""
        return self.benchmark_name

    @property
    def n_tasks(self) -> int:
        """Number of tasks T."""
        return len(self.tasks)

    @property
    def n_unified(self) -> int:
        """Dimension D_u of the unified space."""
        return self.codec.n_var

    def task_index(self, X: np.ndarray) -> np.ndarray:
        """The task of each row of `X` (n, D_u + 1), as ints; ValueError if one is not a task."""
        column = np.asarray(X, dtype=float)[:, -1]
        task = np.rint(column).astype(int)
        bad = (np.abs(column - task) > 1e-9) | (task < 0) | (task >= self.n_tasks)
        if bad.any():
            raise ValueError(
                f"task column of {self.benchmark_name} must hold integers 0..{self.n_tasks - 1}, "
                f"got {column[bad][0]!r}"
            )
        return task

    def with_task(self, U: np.ndarray, task: np.ndarray | int) -> np.ndarray:
        """Rows (n, D_u + 1) of this problem: unified vectors `U` (n, D_u) and their tasks."""
        U = np.asarray(U, dtype=float)
        column = np.broadcast_to(np.asarray(task, dtype=float), (len(U),))
        return np.hstack([U, column[:, None]])

    def split(
        self, X: np.ndarray, F: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per task t: (unified vectors (n_t, D_u), objectives (n_t, n_obj_t)) of the rows of t."""
        task = self.task_index(X)
        return [
            (X[task == t, :-1], F[task == t, : self.task_n_obj[t]]) for t in range(self.n_tasks)
        ]

    def reference_front(self, task: int, n_points: int = DEFAULT_FRONT_POINTS) -> np.ndarray:
        """Points on the true Pareto front of task `task`, (about n_points, n_obj_t).

        Uses the task's own `reference_front(n_points)` where it has one (CEC2017 tasks), else
        pymoo's `pareto_front()` (which caches one front and ignores `n_points`).
        """
        sampler = getattr(self.tasks[task], "reference_front", None)
        return sampler(n_points) if sampler is not None else self.tasks[task].pareto_front()

    def _evaluate(self, x: np.ndarray, out: dict, *args, **kwargs) -> None:
        task = self.task_index(x)
        F = np.zeros((len(x), self.n_obj))
        for t, problem in enumerate(self.tasks):
            rows = task == t
            if rows.any():
                X_task = self.codec.decode(x[rows, :-1], t)  # (n_t, n_var_t)
                F[rows, : self.task_n_obj[t]] = problem.evaluate(X_task, return_values_of=["F"])
        out["F"] = F


def is_multitask(problem: object) -> bool:
    """Whether `problem` is a multitask problem (so that algorithms and reports can dispatch)."""
    return problem_kind(problem) == MULTITASK


# --- CEC2017 MO-MTO building blocks (competition report); each g includes its "+1" offset ---


def sphere_g(z: np.ndarray) -> np.ndarray:
    """q = 1 + sum z_i^2, for z (n, m); returns (n,)."""
    return 1.0 + np.sum(z**2, axis=1)


def mean_g(z: np.ndarray) -> np.ndarray:
    """q = 1 + (9/m) sum |z_i|."""
    return 1.0 + 9.0 / z.shape[1] * np.sum(np.abs(z), axis=1)


def rosenbrock_g(z: np.ndarray) -> np.ndarray:
    """Standard Rosenbrock: q = 1 + sum_{i<m} [100 (z_i^2 - z_{i+1})^2 + (1 - z_i)^2]."""
    head, tail = z[:, :-1], z[:, 1:]
    return 1.0 + np.sum(100.0 * (head**2 - tail) ** 2 + (1.0 - head) ** 2, axis=1)


def rosenbrock_mtop_g(z: np.ndarray) -> np.ndarray:
    """MToP's CIMS task-1 variant: 100 multiplies both terms (same optimum, other landscape)."""
    head, tail = z[:, :-1], z[:, 1:]
    return 1.0 + np.sum(100.0 * ((head**2 - tail) ** 2 + (1.0 - head) ** 2), axis=1)


def rastrigin_g(z: np.ndarray) -> np.ndarray:
    """q = 1 + sum [z_i^2 - 10 cos(2 pi z_i) + 10]."""
    return 1.0 + np.sum(z**2 - 10.0 * np.cos(2.0 * np.pi * z) + 10.0, axis=1)


def ackley_g(z: np.ndarray) -> np.ndarray:
    """q = 21 + e - 20 exp(-0.2 sqrt(mean z_i^2)) - exp(mean cos(2 pi z_i))."""
    return (
        21.0
        + np.e
        - 20.0 * np.exp(-0.2 * np.sqrt(np.mean(z**2, axis=1)))
        - np.exp(np.mean(np.cos(2.0 * np.pi * z), axis=1))
    )


def griewank_g(z: np.ndarray) -> np.ndarray:
    """q = 2 + sum z_i^2 / 4000 - prod cos(z_i / sqrt(i)), i = 1..m."""
    scale = np.sqrt(np.arange(1, z.shape[1] + 1))
    return 2.0 + np.sum(z**2, axis=1) / 4000.0 - np.prod(np.cos(z / scale), axis=1)


_G_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sphere": sphere_g,
    "mean": mean_g,
    "rosenbrock": rosenbrock_g,
    "rosenbrock-mtop": rosenbrock_mtop_g,
    "rastrigin": rastrigin_g,
    "ackley": ackley_g,
    "griewank": griewank_g,
}


def _shape_objectives(shape: str, position: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Objectives (n, n_obj) from position variables (n, n_pos) and q (n,) for one PF shape."""
    half_pi = 0.5 * np.pi
    if shape == "circle":
        angle = half_pi * position[:, 0]
        return q[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    if shape == "sphere":
        a, b = half_pi * position[:, 0], half_pi * position[:, 1]
        unit = np.column_stack([np.cos(a) * np.cos(b), np.cos(a) * np.sin(b), np.sin(a)])
        return q[:, None] * unit
    u = position.mean(axis=1)  # x1, or (x1 + x2)/2 with two position variables
    if shape == "concave":
        return np.column_stack([u, q * (1.0 - (u / q) ** 2)])
    if shape == "convex":
        return np.column_stack([u, q * (1.0 - np.sqrt(u / q))])
    raise ValueError(f"unknown front shape {shape!r}")


@cache
def _front(shape: str, n_points: int) -> np.ndarray:
    """The analytic Pareto front of `shape`, read-only (it is cached)."""
    front = _sample_front(shape, n_points)
    front.setflags(write=False)
    return front


def _sample_front(shape: str, n_points: int) -> np.ndarray:
    if shape == "sphere":
        # Simplex lattice with H divisions has (H+1)(H+2)/2 points; take the largest H that fits.
        n_div = int((np.sqrt(8 * n_points + 1) - 3) // 2)
        i, j = np.meshgrid(np.arange(n_div + 1), np.arange(n_div + 1), indexing="ij")
        keep = i + j <= n_div
        W = np.column_stack([i[keep], j[keep], n_div - i[keep] - j[keep]]) / n_div  # (n, 3)
        return W / np.linalg.norm(W, axis=1, keepdims=True)
    t = np.linspace(0.0, 1.0, n_points)
    if shape == "circle":
        W = np.column_stack([t, 1.0 - t])  # NBI weights, scaled onto the unit circle
        return W / np.linalg.norm(W, axis=1, keepdims=True)
    if shape == "concave":
        return np.column_stack([t, 1.0 - t**2])
    if shape == "convex":
        return np.column_stack([t, 1.0 - np.sqrt(t)])
    raise ValueError(f"unknown front shape {shape!r}")


_N_OBJ = {"circle": 2, "concave": 2, "convex": 2, "sphere": 3}


@cache
def cec17_data() -> dict[str, np.ndarray]:
    """The CEC2017 MO-MTO rotation matrices (Mcm2, Mnm2, Mpm1, Mpm2) and shifts (Scm2, ...)."""
    path = resources.files("evogan.problems").joinpath("data/cec17_mtmo/cec17_mtmo.npz")
    with resources.as_file(path) as file, np.load(file) as archive:
        return {name: archive[name] for name in archive.files}


class CEC17Task(Problem):
    """One task of the CEC2017 MO-MTO benchmark: f(x) = shape(x_I, g(M (x_II - s))).

    Args:
        shape: Pareto-front shape: "circle", "sphere" (3 objectives), "concave" or "convex".
        g: distance function, a key of the building blocks ("sphere", "mean", "rosenbrock",
            "rosenbrock-mtop", "rastrigin", "ackley", "griewank").
        n_var: number of decision variables D.
        n_position: number of position variables x_I in [0, 1] (1 or 2).
        bounds: (lower, upper) bound of the distance variables x_II.
        rotation: name of the rotation matrix M in the data file, or None for the identity.
        shift: name of the shift vector s in the data file, or None for zero.
        name: e.g. "cec17-cims/t1".
    """

    def __init__(
        self,
        *,
        shape: str,
        g: str,
        n_var: int,
        n_position: int,
        bounds: tuple[float, float],
        rotation: str | None = None,
        shift: str | None = None,
        name: str = "",
    ) -> None:
        self.shape, self.g, self.n_position, self.task_name = shape, g, n_position, name
        data = cec17_data()
        n_distance = n_var - n_position
        self.rotation = None if rotation is None else data[rotation]
        self.shift = np.zeros(n_distance) if shift is None else data[shift]
        xl = np.concatenate([np.zeros(n_position), np.full(n_distance, float(bounds[0]))])
        xu = np.concatenate([np.ones(n_position), np.full(n_distance, float(bounds[1]))])
        super().__init__(n_var=n_var, n_obj=_N_OBJ[shape], xl=xl, xu=xu, vtype=float)

    def name(self) -> str:
        """The task's name (pymoo's `Problem.name`, which printing a problem calls)."""
        return self.task_name

    def distance_transform(self, distance: np.ndarray) -> np.ndarray:
        """z = M (x_II - s) for each row of `distance` (n, n_distance)."""
        z = distance - self.shift
        return z if self.rotation is None else z @ self.rotation.T

    def _evaluate(self, x: np.ndarray, out: dict, *args, **kwargs) -> None:
        q = _G_FUNCTIONS[self.g](self.distance_transform(x[:, self.n_position :]))
        out["F"] = _shape_objectives(self.shape, x[:, : self.n_position], q)

    def reference_front(self, n_points: int = DEFAULT_FRONT_POINTS) -> np.ndarray:
        """The analytic Pareto front, (n_points, 2), or (largest lattice <= n_points, 3)."""
        return _front(self.shape, n_points)

    def _calc_pareto_front(self) -> np.ndarray:
        return _front(self.shape, DEFAULT_FRONT_POINTS)


@dataclass(frozen=True)
class _TaskSpec:
    """One row of the competition report's task table."""

    shape: str
    g: str
    n_var: int
    bound: float  # distance variables lie in [-bound, bound] (in [0, 1] when unit_box)
    n_position: int = 1
    rotation: str | None = None
    shift: str | None = None
    unit_box: bool = False


_CEC17_PAIRS: dict[str, tuple[_TaskSpec, _TaskSpec]] = {
    "cihs": (_TaskSpec("circle", "sphere", 50, 100), _TaskSpec("concave", "mean", 50, 100)),
    "cims": (
        _TaskSpec("concave", "rosenbrock", 10, 5),
        _TaskSpec("circle", "mean", 10, 5, rotation="Mcm2", shift="Scm2"),
    ),
    "cils": (_TaskSpec("circle", "rastrigin", 50, 2), _TaskSpec("convex", "ackley", 50, 1)),
    "pihs": (
        _TaskSpec("convex", "sphere", 50, 100),
        _TaskSpec("convex", "rastrigin", 50, 100, shift="Sph2"),
    ),
    "pims": (
        _TaskSpec("circle", "sphere", 50, 1, rotation="Mpm1", shift="Spm1", unit_box=True),
        _TaskSpec("concave", "rastrigin", 50, 1, rotation="Mpm2", unit_box=True),
    ),
    "pils": (
        _TaskSpec("circle", "griewank", 50, 50),
        _TaskSpec("circle", "ackley", 50, 100, shift="Spl2"),
    ),
    "nihs": (_TaskSpec("circle", "rosenbrock", 50, 80), _TaskSpec("convex", "sphere", 50, 80)),
    "nims": (
        _TaskSpec("sphere", "rosenbrock", 20, 20, n_position=2),
        _TaskSpec("concave", "sphere", 20, 20, n_position=2, rotation="Mnm2"),
    ),
    "nils": (
        _TaskSpec("sphere", "griewank", 25, 50, n_position=2, shift="Snl1"),
        _TaskSpec("concave", "ackley", 50, 100, n_position=2),
    ),
}

_VARIANTS = ("standard", "mtop")

CEC17_VARIANTS: dict[str, tuple[str, str]] = {"cec17-cims-mtop": ("cims", "mtop")}
"""Problem names of the variants of a pair: name -> (pair, variant). `cec17-cims-mtop` is CIMS
as MToP and ddmtolab define it, so that CIMS results compare with theirs."""


CEC17_PAIRS = tuple(sorted(_CEC17_PAIRS))
"""The nine pairs' short names ("cihs", ...): intersection of the tasks' optima (complete,
partial, none) and similarity of their landscapes (high, medium, low)."""

_INTERSECTION = {"c": "complete", "p": "partial", "n": "no"}
_SIMILARITY = {"h": "high", "m": "medium", "l": "low"}


def cec17_description(pair: str) -> str:
    """One line on a pair, e.g. "CIHS: complete intersection, high similarity; tasks ..."."""
    tasks = "; ".join(f"{spec.shape} front, {spec.g} g, D = {spec.n_var}"
                      for spec in _CEC17_PAIRS[pair])
    return (f"{pair.upper()}: {_INTERSECTION[pair[0]]} intersection, "
            f"{_SIMILARITY[pair[2]]} similarity; tasks: {tasks}")


def cec17_problem(pair: str, *, variant: str = "standard") -> MultitaskProblem:
    """A CEC2017 MO-MTO pair, named `cec17-<pair>` (e.g. pair "cims"), or by its name in
    `CEC17_VARIANTS` when `variant` changes the pair.

    Args:
        pair: one of `CEC17_PAIRS`.
        variant: "standard" uses the competition's (Java reference code's) definitions;
            "mtop" reproduces MToP and ddmtolab, which differ only in CIMS task 1, whose
            Rosenbrock has 100 multiplying both terms (same Pareto set and front).

    Raises:
        ConfigError: for an unknown pair or variant.
    """
    if pair not in _CEC17_PAIRS:
        raise ConfigError(f"unknown CEC2017 pair {pair!r}; choose one of: {', '.join(CEC17_PAIRS)}")
    if variant not in _VARIANTS:
        raise ConfigError(f"variant must be one of {', '.join(_VARIANTS)}, got {variant!r}")
    tasks = []
    for index, spec in enumerate(_CEC17_PAIRS[pair], start=1):
        g = spec.g
        if variant == "mtop" and pair == "cims" and index == 1:
            g = "rosenbrock-mtop"
        tasks.append(
            CEC17Task(
                shape=spec.shape,
                g=g,
                n_var=spec.n_var,
                n_position=spec.n_position,
                bounds=(0.0, 1.0) if spec.unit_box else (-spec.bound, spec.bound),
                rotation=spec.rotation,
                shift=spec.shift,
                name=f"cec17-{pair}/t{index}",
            )
        )
    # a variant that changes the problem goes by its own name, so records tell the two apart
    named = [key for key, value in CEC17_VARIANTS.items() if value == (pair, variant)]
    return MultitaskProblem(tasks, name=named[0] if named else f"cec17-{pair}")
