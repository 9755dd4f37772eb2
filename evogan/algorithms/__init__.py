"""Algorithms, registered by name on import (see evogan.registry)."""

from evogan.algorithms import ga, pymoo_baselines  # noqa: F401  (register by import)
from evogan.algorithms.base import Algorithm

__all__ = ["Algorithm"]
