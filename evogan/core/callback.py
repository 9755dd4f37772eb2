"""What callbacks see: `RunState` after each generation, the `Callback` hooks, and the log-record
marker of a compiled kernel's first call (for progress displays)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from pymoo.core.problem import Problem

from evogan.core.algorithm import Algorithm

__all__ = ["KERNEL_EVENT", "Callback", "RunState"]

KERNEL_EVENT = "kernel"
"""The attribute that marks the log records around a compiled kernel's first call in a process:
"loading" before it (numba loads the kernel from its disk cache, or compiles it, 15-30 s, the
first time on a machine) and "ready" after it. A progress display listens for them to say why
nothing moves and to leave that time out of its estimate; the library itself never prints."""


@dataclass
class RunState:
    """What callbacks see after each generation."""

    problem: Problem
    algorithm: Algorithm
    max_evals: int
    n_evals: int = 0
    n_gen: int = 0
    elapsed_s: float = 0.0
    latest: dict[str, float] = field(default_factory=dict)
    """The last row that a logging callback (History) recorded, for callbacks after it."""


class Callback(Protocol):
    """Hooks into the loop; implement any of them (missing ones are skipped)."""

    def on_start(self, state: RunState) -> None: ...

    def on_generation(self, state: RunState) -> None: ...

    def on_end(self, state: RunState) -> None: ...
