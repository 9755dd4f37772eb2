"""Drawing parent indices for the classic operators."""

import numpy as np


def draw_parents(n_parents: int, n_rows: int, n_cols: int, rng: np.random.Generator) -> np.ndarray:
    """Indices into `n_parents` parents, shape (n_rows, n_cols), distinct within a row if possible.

    Rows are filled from concatenated random permutations, so each parent is used about equally
    often, as in pymoo's random mating.
    """
    n_needed = n_rows * n_cols
    n_perms = -(-n_needed // n_parents)  # ceil
    order = np.concatenate([rng.permutation(n_parents) for _ in range(n_perms)])[:n_needed]
    return order.reshape(n_rows, n_cols)  # (n_rows, n_cols)
