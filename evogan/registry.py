"""Algorithms by name: `register_algorithm` adds one, `get_algorithm` builds a fresh instance.

Every algorithm module registers a factory whose keyword-only arguments are its hyperparameters
with their defaults, and declares each one's type and range (`evogan.params`). The registry is
the one place where hyperparameter values are converted and checked, whether they come from
`--param`, a campaign file or Python; `evogan list` shows the defaults and the ranges.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evogan.core.errors import ConfigError
from evogan.core.problem import PROBLEM_KINDS, SINGLE_TASK
from evogan.params import Param

if TYPE_CHECKING:
    from evogan.core.algorithm import Algorithm

__all__ = [
    "RUN_OPTIONS",
    "AlgorithmEntry",
    "algorithm_entry",
    "available_algorithms",
    "get_algorithm",
    "register_algorithm",
]


RUN_OPTIONS = {"pop_size": "--pop-size", "device": "--device", "variation": "--variation"}
"""Factory arguments that belong to the run, not to the algorithm's hyperparameters: each has
its own command-line option (and campaign key), so it is never set through `--param`."""



@dataclass(frozen=True)
class AlgorithmEntry:
    """A registered algorithm: its factory, one-line summary, paper and declared parameters.

    Args:
        problem_kind: the kind of problem it solves, "single-task" or "multitask" (two or more
            tasks solved at once, `evogan.problems.multitask`).
        memory_bytes: an estimate of the peak memory of one run, `(n_var, pop_size, params) ->
            bytes`, for algorithms whose memory grows faster than the population (GAN widths).
    """

    name: str
    factory: Callable[..., Algorithm]
    summary: str
    reference: str = ""
    params: Mapping[str, Param] = field(default_factory=dict)
    problem_kind: str = SINGLE_TASK
    memory_bytes: Callable[[int, int, Mapping[str, Any]], float] | None = None

    def keyword_defaults(self) -> dict[str, Any]:
        """The factory's keyword-only parameters (run options included) and their defaults."""
        return {
            name: param.default
            for name, param in inspect.signature(self.factory).parameters.items()
            if param.kind is inspect.Parameter.KEYWORD_ONLY
        }

    def parameters(self) -> dict[str, Any]:
        """The hyperparameters (settable with `--param`) and their defaults."""
        return {k: v for k, v in self.keyword_defaults().items() if k not in RUN_OPTIONS}

    def accepts(self, option: str) -> bool:
        """Whether the factory takes the run option `option` (e.g. "device", "variation")."""
        return option in self.keyword_defaults()

    def convert_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """`params` converted to their declared types and checked against their ranges.

        Raises:
            ConfigError: an unknown name, a run option given as a parameter, or a bad value.
        """
        known = self.parameters()
        converted = {}
        for key, value in params.items():
            if key in RUN_OPTIONS:
                raise ConfigError(f"{key} is set by {RUN_OPTIONS[key]} (a run option, also a key of "
                                  f"its own in campaign files), not as a parameter of {self.name!r}")
            if key not in known:
                raise ConfigError(f"algorithm {self.name!r} has no parameter {key!r}; its "
                                  f"parameters are: {', '.join(known) or 'none'}")
            converted[key] = self.params[key].convert(key, value)
        return converted


_ALGORITHMS: dict[str, AlgorithmEntry] = {}


def register_algorithm(
    name: str,
    *,
    summary: str,
    reference: str = "",
    params: Mapping[str, Param],
    problem_kind: str = SINGLE_TASK,
    memory_bytes: Callable[[int, int, Mapping[str, Any]], float] | None = None,
) -> Callable[[Callable[..., Algorithm]], Callable[..., Algorithm]]:
    """Decorator that registers a factory `(*, pop_size, ...) -> Algorithm` under `name`.

    `params` declares every keyword-only argument of the factory except the run options
    (`RUN_OPTIONS`); a missing or extra declaration is a programming error, raised at import.
    """

    def decorate(factory: Callable[..., Algorithm]) -> Callable[..., Algorithm]:
        if name in _ALGORITHMS:
            raise ValueError(f"algorithm {name!r} is registered twice")
        if problem_kind not in PROBLEM_KINDS:
            raise ValueError(f"algorithm {name!r}: problem_kind must be one of {PROBLEM_KINDS}")
        entry = AlgorithmEntry(name, factory, summary, reference, dict(params), problem_kind,
                               memory_bytes)
        undeclared = set(entry.parameters()) ^ set(params)
        if undeclared:
            raise ValueError(f"algorithm {name!r}: parameters {sorted(undeclared)} are in the "
                             "factory's signature or in `params`, not in both")
        for key, default in entry.parameters().items():
            params[key].convert(key, default)  # a default outside its own range is a bug
        _ALGORITHMS[name] = entry
        return factory

    return decorate


BUILTIN_MODULES = (
    "evogan.algorithms.ga",
    "evogan.algorithms.gmoea",
    "evogan.algorithms.gmoea_plus",
    "evogan.algorithms.egan",
    "evogan.algorithms.portfolio",
    "evogan.algorithms.pymoo_baselines",
    "evogan.algorithms.multitask.emtgs",
    "evogan.algorithms.multitask.mfea",
    "evogan.algorithms.multitask.nsga2",
)
"""The modules that register the built-in algorithms; none imports torch at import time (their
GAN parts are imported when an algorithm is built), so listing and checking names stays cheap."""


def _load_builtin() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


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
    """A new instance of the algorithm `name` built with the given hyperparameters.

    Run options (`pop_size`, `device`, `variation`) pass through when the factory takes them;
    every other value is converted and checked as declared (ConfigError otherwise).
    """
    entry = algorithm_entry(name)
    run_options = {key: params.pop(key) for key in RUN_OPTIONS if key in params}
    for key in run_options:
        if not entry.accepts(key):
            raise ConfigError(f"algorithm {name!r} does not take {RUN_OPTIONS[key]}")
    return entry.factory(**entry.convert_params(params), **run_options)
