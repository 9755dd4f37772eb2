"""Multitask optimisation: per-task populations over a unified space, EMT-GS and its baselines.

`base.py` holds the shared ask/tell loop (per-task NSGA-II survival), `emtgs.py` and ``evogan.gan.transfer``
EMT-GS, `mfea.py` MO-MFEA, `nsga2.py` the per-task NSGA-II baseline and `metrics.py` per-task
IGD/HV and the CEC multitask score. The problems live in `evogan.problems.multitask`.
"""

from evogan.algorithms.multitask.base import MultitaskAlgorithm
from evogan.algorithms.multitask.emtgs import EMTGS
from evogan.algorithms.multitask.mfea import MOMFEA
from evogan.algorithms.multitask.nsga2 import PerTaskNSGA2

__all__ = ["EMTGS", "MOMFEA", "MultitaskAlgorithm", "PerTaskNSGA2"]
