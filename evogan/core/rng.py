"""Seeding: one seed becomes one numpy Generator; every other generator is derived from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["derive_seed", "make_rng", "torch_generator"]

_SEED_BOUND = 2**63 - 1


def make_rng(seed: int) -> np.random.Generator:
    """The run's single source of randomness."""
    return np.random.default_rng(seed)


def derive_seed(rng: np.random.Generator) -> int:
    """Draw a fresh integer seed from `rng`, for libraries that take a seed instead of a generator."""
    return int(rng.integers(0, _SEED_BOUND))


def torch_generator(rng: np.random.Generator, device: str | torch.device = "cpu") -> torch.Generator:
    """A torch generator on `device` seeded from `rng`, so torch randomness follows the run's seed."""
    import torch

    generator = torch.Generator(device=device)
    generator.manual_seed(derive_seed(rng))
    return generator
