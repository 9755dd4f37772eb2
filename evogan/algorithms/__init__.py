"""Algorithms, registered by name on import (see evogan.registry)."""

from evogan.algorithms import pymoo_baselines  # noqa: F401  (registers nsga2, nsga3, moead)
from evogan.algorithms.base import Algorithm

__all__ = ["Algorithm"]
