"""What `evogan toy` accepts: `ToyOptions`, one frozen dataclass whose fields are the command's
options, each with its check, and the trainer and data names. It imports no torch, so that the
command line is built and checked before the training code loads.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from os import PathLike
from typing import Any

from evogan.core.errors import ConfigError
from evogan.params import choice, flag, integer, real

__all__ = ["BATCH_SIZE", "DATASET_NAMES", "TRAINERS", "ToyOptions"]

DATASET_NAMES = ("ring8", "grid25")
"""The 2-D mixtures of the benchmark: 8 Gaussians on a ring, 25 on a grid."""

BATCH_SIZE = 64
"""Real and generated points per training step (the E-GAN toy code); also the discriminator's fake batch,
which the survivor's evaluation samples fill, so `--eval-size` is at least this."""


_ALL_LOSSES = ("minimax", "nonsaturating", "least_squares")
TRAINERS: dict[str, dict[str, Any]] = {
    "egan": {"mutations": _ALL_LOSSES},
    "egan-random": {"mutations": _ALL_LOSSES, "selection": "random"},
    "egan-paired": {"mutations": _ALL_LOSSES, "common_minibatch": True},
    "egan-distance": {"mutations": _ALL_LOSSES, "diversity": "distance", "gamma": 1.0},
    "gan-minimax": {"mutations": ("minimax",)},
    "gan-nonsaturating": {"mutations": ("nonsaturating",)},
    "gan-ls": {"mutations": ("least_squares",)},
}
"""Trainer name -> its EGANConfig fields: the losses it mutates with, and how it selects.

`egan-random` is E-GAN with its survivor drawn at random instead of by fitness (the same
children, Adam states and discriminator; a random loss per step, as in Mustangs): the control
that says whether E-GAN's selection helps. `egan-paired` gives the children one common noise
minibatch for their step (`EGANConfig.common_minibatch`), so that F compares the losses rather
than the minibatches. `egan-distance` replaces F_d by IE-GAN's spread of the samples
(`EGANConfig.diversity="distance"`, with IE-GAN's toy weight gamma = 1)."""


Check = Callable[[Any], str | None]
"""An option's check: None when the value is accepted, else what is accepted."""


def _opt(default: Any, help: str, check: Check, **argparse_kwargs: Any) -> Any:
    """A ToyOptions field: its default, its --help text, its check and argparse's settings."""
    return field(default=default, metadata={"help": help, "check": check, **argparse_kwargs})


def _because(check: Check, reason: str) -> Check:
    """`check` with the reason for its bound added to its message."""
    return lambda value: None if check(value) is None else f"{check(value)} ({reason})"


def _trainer_names(spec: str) -> list[str]:
    return list(TRAINERS) if spec == "all" else [name.strip() for name in spec.split(",")]


def _trainer_list(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a comma-separated list of {', '.join(TRAINERS)}; or all"
    for name in _trainer_names(value):
        if name not in TRAINERS:
            return f"{name!r} is not one of {', '.join(TRAINERS)}, all"
    return None


def _device_name(value: Any) -> str | None:
    ok = isinstance(value, str) and (
        value in ("auto", "cpu", "cuda") or re.fullmatch(r"cuda:\d+", value) is not None)
    return None if ok else "must be one of auto, cpu, cuda, cuda:N"


def _folder_path(value: Any) -> str | None:
    return None if isinstance(value, (str, PathLike)) and str(value) else "must be a folder path"


@dataclass(frozen=True)
class ToyOptions:
    """Everything `evogan toy` accepts: each field is one option, checked when this is made.

    `add_toy_arguments` builds the command line from these fields, and each field carries its
    check in its metadata, so an option cannot be added without one.

    Raises:
        ConfigError: naming the first option out of range and what it accepts.
    """

    data: str = _opt("ring8", "ring8 or grid25", choice(*DATASET_NAMES).check)
    trainer: str = _opt("egan", f"comma-separated list of: {', '.join(TRAINERS)}; or all",
                        _trainer_list)
    seeds: int = _opt(5, "number of seeds (0..N-1)", integer(ge=1).check, type=int)
    iterations: int = _opt(1500, "E-GAN generations per run", integer(ge=1).check, type=int)
    hidden: int = _opt(64, "width of the 3 hidden layers of G and D (paper: 512)",
                       integer(ge=1).check, type=int)
    gamma: float = _opt(2.0, "weight of F_d = -log||grad_D L_D|| (Theano beta=1 is gamma=2); "
                             "egan-distance keeps IE-GAN's 1",
                        real(ge=0).check, type=float)
    eval_size: int = _opt(256, "noise samples per E-GAN child for its fitness (paper: 256)",
                          _because(integer(ge=BATCH_SIZE).check, "the batch size: the survivor's "
                                   "samples fill the discriminator's batch"), type=int)
    lr: float = _opt(1e-3, "Adam learning rate of G and D (paper: 1e-4 for 100k iterations)",
                     real(gt=0).check, type=float)
    decay_start: float = _opt(0.5, "fraction of the run after which the learning rates decay "
                                   "linearly to zero (1 = constant)", real(ge=0, le=1).check, type=float)
    optimizer_state: str = _opt(
        "per_mutation", "E-GAN's Adam state: per generator (PyTorch port) or per loss (Theano)",
        choice("per_individual", "per_mutation").check, choices=("per_individual", "per_mutation"))
    common_noise: bool = _opt(
        True, "score E-GAN's children on the same noise z (official code: fresh z)", flag().check,
        action=argparse.BooleanOptionalAction)
    out: str = _opt("runs/toy", "folder for runs.csv, runs.json, samples_seed0.npz and the "
                                "figure; new or empty, unless --overwrite or --resume",
                    _folder_path)
    overwrite: bool = _opt(False, "replace the toy results in --out (a folder of other files is "
                                  "never replaced)", flag().check, action="store_true",
                           exclusive="existing")
    resume: bool = _opt(False, "keep the runs recorded in --out (made with the same options) "
                               "and run only the missing ones", flag().check, action="store_true",
                        exclusive="existing")
    device: str = _opt("cpu", "auto, cpu, cuda or cuda:N", _device_name)
    threads: int = _opt(1, "torch CPU threads", integer(ge=1).check, type=int)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            problem = f.metadata["check"](value)
            if problem is not None:
                raise ConfigError(f"--{f.name.replace('_', '-')} {value!r}: {problem}")
        if self.overwrite and self.resume:
            raise ConfigError("--overwrite and --resume: choose one (--overwrite replaces the "
                              "recorded runs, --resume keeps them)")

    @property
    def trainers(self) -> list[str]:
        """The trainer names of `--trainer`, in the order given (`all`: every trainer)."""
        return _trainer_names(self.trainer)

    def egan_options(self) -> dict[str, Any]:
        """The keyword arguments of `toy_config` that these options set."""
        return dict(hidden=self.hidden, gamma=self.gamma, lr=self.lr, eval_size=self.eval_size,
                    optimizer_state=self.optimizer_state, common_noise=self.common_noise)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ToyOptions:
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})
