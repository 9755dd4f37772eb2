"""The one place where decision vectors move between a problem's bounds and the unit cube."""

import numpy as np

__all__ = ["from_unit", "to_unit"]


def to_unit(X: np.ndarray, xl: np.ndarray, xu: np.ndarray) -> np.ndarray:
    """Map `X` (n, n_var) from the box [xl, xu] to [0, 1]^n_var by min-max scaling.

    Variables with xl == xu map to 0, so fixed variables never divide by zero.
    """
    span = np.asarray(xu, dtype=float) - np.asarray(xl, dtype=float)
    safe = np.where(span > 0, span, 1.0)
    return np.where(span > 0, (np.asarray(X, dtype=float) - xl) / safe, 0.0)


def from_unit(U: np.ndarray, xl: np.ndarray, xu: np.ndarray) -> np.ndarray:
    """Map `U` (n, n_var) from the unit cube back into [xl, xu]; inverse of `to_unit`."""
    xl = np.asarray(xl, dtype=float)
    return xl + np.clip(np.asarray(U, dtype=float), 0.0, 1.0) * (np.asarray(xu, dtype=float) - xl)
