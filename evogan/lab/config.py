"""The run configuration: one frozen dataclass that builds the CLI options and is saved with results."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evogan.core.errors import ConfigError

__all__ = ["RunConfig", "parse_param", "parse_point"]


def _opt(default: Any, help: str, **kwargs: Any) -> Any:
    return field(default=default, metadata={"help": help, **kwargs})


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one run; saved as config.json next to its results."""

    algo: str = _opt("nsga2", "algorithm name (see `evogan list`)")
    problem: str = _opt("dtlz2", "problem name (see `evogan list`), or a user's pymoo problem "
                        "path/to/file.py:NAME or MODULE:NAME (a Problem subclass or factory)")
    n_obj: int | None = _opt(None, "number of objectives (default: the problem's)", type=int)
    n_var: int | None = _opt(None, "number of decision variables (default: the problem's)",
                             type=int)
    pop_size: int = _opt(100, "population size", type=int)
    max_evals: int = _opt(10_000, "evaluation budget, never exceeded", type=int)
    seed: int = _opt(1, "random seed (a non-negative integer)", type=int)
    device: str = _opt("cpu", "where GAN training runs: auto, cpu, cuda or cuda:N")
    variation: str | None = _opt(
        None, "a user operator MODULE:NAME or path/to/file.py:NAME, run as the `ga` algorithm's "
        "variation or in the GAN's place in `gmoea`'s loop"
    )
    hv_ref: tuple[float, ...] | None = _opt(
        None, "HV reference point, one value per objective, comma-separated (e.g. 1.1,1.1); "
        "default: 1.1 x the nadir of the reference front, or for a user problem without one, of "
        "a fixed sample (README: Your own problem)"
    )
    params: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "algorithm hyperparameter KEY=VALUE (repeatable; `evogan list` shows "
                          "each one's type and range)"},
    )

    def __post_init__(self) -> None:
        if self.pop_size < 4:
            raise ConfigError(f"--pop-size {self.pop_size} is too small; it must be >= 4")
        if self.max_evals < self.pop_size:
            raise ConfigError(
                f"--max-evals {self.max_evals} is smaller than --pop-size {self.pop_size}; "
                "the budget must cover at least the initial population"
            )
        if self.seed < 0:
            raise ConfigError(f"--seed {self.seed} is negative; seeds are integers >= 0")
        for name in ("n_obj", "n_var"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} {value} must be a positive integer")
        if self.hv_ref is not None:
            object.__setattr__(self, "hv_ref", parse_point(self.hv_ref))
        from evogan.registry import algorithm_entry, available_algorithms

        if self.variation is not None and not algorithm_entry(self.algo).accepts("variation"):
            hosts = [name for name in available_algorithms()
                     if algorithm_entry(name).accepts("variation")]
            raise ConfigError(f"--variation runs inside {' or '.join(hosts)}, not {self.algo!r}")

        # one source of truth: the record holds the values the algorithm receives
        object.__setattr__(self, "params", algorithm_entry(self.algo).convert_params(self.params))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)


def parse_param(text: str) -> tuple[str, str]:
    """Split `KEY=VALUE`; the value stays text until the algorithm's declaration converts it
    (`evogan.registry.AlgorithmEntry.convert_params`)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--param {text!r} is not of the form KEY=VALUE")
    return key.strip().replace("-", "_"), value


def parse_point(value: str | Sequence[Any]) -> tuple[float, ...]:
    """An HV reference point from `1.1,1.1` or a list of numbers: finite floats, at least two
    (evogan's problems have two or more objectives)."""
    items = value.split(",") if isinstance(value, str) else value
    try:
        point = tuple(_number(item) for item in items)
    except (TypeError, ValueError):
        point = ()
    if len(point) < 2 or not all(math.isfinite(v) for v in point):
        raise ConfigError(f"--hv-ref {value!r} is not a point: give two or more finite numbers, "
                          "comma-separated, one per objective (e.g. 1.1,1.1)")
    return point


def _number(item: Any) -> float:
    """A number, or its text; TypeError for anything else (a boolean included)."""
    if isinstance(item, bool) or not isinstance(item, (str, int, float)):
        raise TypeError(f"{item!r} is not a number")
    return float(item)
