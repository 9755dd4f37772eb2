"""Quality indicators of an approximation set against a reference front: IGD, IGD+, GD, HV.

Under constraints they judge the feasible non-dominated solutions only (`feasible_front`);
with none feasible there is nothing to judge and they are NaN, and `feasibility` says why.
"""

from __future__ import annotations

import hashlib

import moocore
import numpy as np

__all__ = ["feasibility", "feasible_front", "front_hash", "gd", "hv", "hv_contributions", "igd",
           "igd_plus", "nondominated", "quality"]

# F: the approximation set, shape (n, n_obj); front: reference points, shape (n_ref, n_obj).
# All objectives are minimised. moocore computes the distances in C without an (n, n_ref) matrix.


def nondominated(F: np.ndarray) -> np.ndarray:
    """Boolean mask (n,) of the first front of F; duplicates of a non-dominated point are kept."""
    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(moocore.is_nondominated(F, keep_weakly=True), dtype=bool)


def feasible_front(F: np.ndarray, cv: np.ndarray | None = None) -> np.ndarray:
    """The non-dominated rows (k, n_obj) of the feasible solutions (cv <= 0) of F (n, n_obj);
    with `cv` None every solution counts as feasible. k is 0 when none is feasible."""
    F = np.asarray(F, dtype=float)
    if cv is not None:
        F = F[np.asarray(cv, dtype=float) <= 0]
    return F[nondominated(F)]


def feasibility(cv: np.ndarray) -> dict[str, float]:
    """The record fields of a population's constraint violation cv (n,): `feasible_share`
    (the share with cv = 0) and `best_cv` (the smallest violation; 0 once one is feasible)."""
    cv = np.asarray(cv, dtype=float)
    return {"feasible_share": float(np.mean(cv <= 0)), "best_cv": float(cv.min())}


def igd(F: np.ndarray, front: np.ndarray) -> float:
    """Inverted generational distance (Coello & Reyes Sierra, MICAI 2004).

    The mean, over the points of `front`, of the Euclidean distance to the nearest point of F.
    It rewards both convergence and coverage of the whole front; lower is better.
    """
    return float(moocore.igd(np.asarray(F, dtype=float), ref=np.asarray(front, dtype=float)))


def igd_plus(F: np.ndarray, front: np.ndarray) -> float:
    """IGD+ (Ishibuchi, Masuda, Tanigaki & Nojima, EMO 2015).

    Like IGD, but the distance from a reference point z to a solution a counts only the
    objectives where a is worse, sqrt(sum_i max(a_i - z_i, 0)^2). This makes the indicator weakly
    Pareto compliant; lower is better.
    """
    return float(moocore.igd_plus(np.asarray(F, dtype=float), ref=np.asarray(front, dtype=float)))


def gd(F: np.ndarray, front: np.ndarray) -> float:
    """Generational distance (Van Veldhuizen & Lamont 1998), in its mean form as in pymoo.

    The mean, over the points of F, of the Euclidean distance to the nearest point of `front`:
    it measures convergence only. This is IGD with the two sets swapped, which is how moocore
    computes it here.
    """
    return float(moocore.igd(np.asarray(front, dtype=float), ref=np.asarray(F, dtype=float)))


def hv(F: np.ndarray, ref_point: np.ndarray) -> float:
    """Exact hypervolume dominated by F and bounded by `ref_point` (moocore; higher is better).

    Points that do not strictly dominate the reference point add nothing.
    """
    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return 0.0
    return float(moocore.hypervolume(F, ref=np.asarray(ref_point, dtype=float)))


def hv_contributions(F: np.ndarray, ref_point: np.ndarray) -> np.ndarray:
    """Exclusive hypervolume contribution of each row of F (n, n_obj), shape (n,) (moocore).

    HV(F) - HV(F without the row), bounded by `ref_point`: zero for dominated rows (which are
    ignored, so they do not shrink anyone's contribution) and for duplicated rows (removing one
    copy loses nothing). Cheap in 2-D (one sort) and 3-D; with more objectives each contribution
    costs a hypervolume computation, whose time grows exponentially with n_obj.
    """
    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return np.zeros(0)
    return np.asarray(moocore.hv_contributions(F, ref=np.asarray(ref_point, dtype=float)), float)


def front_hash(front: np.ndarray) -> str:
    """SHA-256 hex digest that pins a reference front in a run record.

    It hashes the shape as ASCII (e.g. b"(100, 2)") followed by the values as little-endian
    float64 in C order, so the same front gives the same digest on every platform.
    """
    values = np.ascontiguousarray(front, dtype="<f8")
    digest = hashlib.sha256(str(values.shape).encode("ascii"))
    digest.update(values.tobytes())
    return digest.hexdigest()


def quality(
    F: np.ndarray, front: np.ndarray | None, ref_point: np.ndarray, *,
    cv: np.ndarray | None = None,
) -> dict[str, float]:
    """IGD, IGD+, GD and HV of the non-dominated (feasible) subset of F.

    Dominated solutions are dropped first, so that GD judges the approximation front rather than
    the whole population. Without a reference front (`front` None) only HV is computed. With a
    constraint violation `cv` (n,), infeasible solutions are dropped too, the indicators are NaN
    when none is feasible, and `feasibility(cv)` is added.

    Returns:
        {"igd": ..., "igd_plus": ..., "gd": ..., "hv": ...} ({"hv": ...} without a front), then
        "feasible_share" and "best_cv" when `cv` is given.
    """
    F_nd = feasible_front(F, cv)
    names = ("hv",) if front is None else ("igd", "igd_plus", "gd", "hv")
    if len(F_nd) == 0:
        values = dict.fromkeys(names, float("nan"))
    elif front is None:
        values = {"hv": hv(F_nd, ref_point)}
    else:
        values = {
            "igd": igd(F_nd, front),
            "igd_plus": igd_plus(F_nd, front),
            "gd": gd(F_nd, front),
            "hv": hv(F_nd, ref_point),
        }
    return values if cv is None else {**values, **feasibility(cv)}
