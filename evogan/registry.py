"""Algorithms by name: `register_algorithm` adds one, `get_algorithm` builds a fresh instance.

Every algorithm module registers a factory whose keyword-only arguments are its hyperparameters
with their defaults; `evogan list` shows them from the signature, and the CLI passes them on.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evogan.errors import ConfigError

if TYPE_CHECKING:
    from evogan.algorithms.base import Algorithm

__all__ = [
    "AlgorithmEntry",
    "algorithm_entry",
    "available_algorithms",
    "get_algorithm",
    "register_algorithm",
]


@dataclass(frozen=True)
class AlgorithmEntry:
    """A registered algorithm: its factory, one-line summary and the paper it implements."""

    name: str
    factory: Callable[..., Algorithm]
    summary: str
    reference: str = ""

    def parameters(self) -> dict[str, Any]:
        """The factory's keyword parameters and their defaults."""
        return {
            name: param.default
            for name, param in inspect.signature(self.factory).parameters.items()
            if param.kind is inspect.Parameter.KEYWORD_ONLY
        }


_ALGORITHMS: dict[str, AlgorithmEntry] = {}


def register_algorithm(
    name: str, *, summary: str, reference: str = ""
) -> Callable[[Callable[..., Algorithm]], Callable[..., Algorithm]]:
    """Decorator that registers a factory `(*, pop_size, ...) -> Algorithm` under `name`."""

    def decorate(factory: Callable[..., Algorithm]) -> Callable[..., Algorithm]:
        if name in _ALGORITHMS:
            raise ValueError(f"algorithm {name!r} is registered twice")
        _ALGORITHMS[name] = AlgorithmEntry(name, factory, summary, reference)
        return factory

    return decorate


def _load_builtin() -> None:
    importlib.import_module("evogan.algorithms")


def available_algorithms() -> list[str]:
    """Names of all registered algorithms, sorted."""
    _load_builtin()
    return sorted(_ALGORITHMS)


def algorithm_entry(name: str) -> AlgorithmEntry:
    """The registry entry of `name`; ConfigError listing the choices if there is none."""
    _load_builtin()
    if name not in _ALGORITHMS:
        raise ConfigError(
            f"unknown algorithm {name!r}; choose one of: {', '.join(sorted(_ALGORITHMS))}"
        )
    return _ALGORITHMS[name]


def get_algorithm(name: str, **params: Any) -> Algorithm:
    """A new instance of the algorithm `name` built with the given hyperparameters."""
    entry = algorithm_entry(name)
    known = entry.parameters()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ConfigError(
            f"algorithm {name!r} has no parameter {unknown[0]!r}; "
            f"its parameters are: {', '.join(known) or 'none'}"
        )
    return entry.factory(**params)
