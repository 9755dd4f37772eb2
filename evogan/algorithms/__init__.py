"""Algorithms, registered by name on import (see evogan.registry)."""

from evogan import multitask  # noqa: F401  (registers emt-gs, mo-mfea, mt-nsga2)
from evogan.algorithms import egan, ga, gmoea, pymoo_baselines  # noqa: F401  (register by import)
from evogan.algorithms.base import Algorithm

__all__ = ["Algorithm"]
