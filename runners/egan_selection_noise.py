"""How reproducible is E-GAN's choice of child? Fresh noise per child against common noise.

From one trained E-GAN state (ring-8 toy, 64-wide networks), the next generation is run many
times, each from an identical copy that differs only in its random stream, and we count how
often two such replays keep a child of the same mutation (loss). If F measured the children's
merit, replays would agree; if the sampling noise of F dominated the small differences between
children one Adam step apart, the picks would be close to uniform and two replays would agree
in about 1/3 of the pairs (3 mutations).
The official code scores each child on its own noise draw; `common_noise=True` scores all
children on the same draw (common random numbers), and `common_minibatch=True` also gives all
children the same noise minibatch for their Adam step, so that they differ only by their loss.

    python runners/egan_selection_noise.py [--iterations 3000] [--replays 60] [--seeds 3]

Writes results/egan_selection_noise/report.md.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from evogan.core.rng import make_rng
from evogan.device import set_cpu_threads
from evogan.gan.egan import EGAN
from evogan.lab.record import write_text_atomic
from evogan.lab.toy import linear_decay, toy_config, toy_data

OUT = Path(__file__).resolve().parent.parent / "results" / "egan_selection_noise"


NOISE_MODES = {
    "fresh per child": {"common_noise": False, "common_minibatch": False},
    "common evaluation noise": {"common_noise": True, "common_minibatch": False},
    "common evaluation noise and minibatch": {"common_noise": True, "common_minibatch": True},
}
"""Replay settings: label -> the EGANConfig fields that decide which noise children share."""


def replay_picks(gan: EGAN, real, replays: int, noise_mode: dict, steps_per_child: int
                 ) -> np.ndarray:
    """Index of the mutation whose child survives, in `replays` replays of the next generation."""
    picks = []
    for replay in range(replays):
        twin = copy.deepcopy(gan)
        twin.config = dataclasses.replace(gan.config, **noise_mode,
                                          steps_per_child=steps_per_child)
        twin.generator_ = torch.Generator().manual_seed(10_000 + replay)
        before = twin.selection_counts_.copy()
        twin.step(real)
        picks.append(int(np.argmax(twin.selection_counts_ - before)))
    return np.array(picks)


def agreement(picks: np.ndarray, n_mutations: int) -> float:
    """Share of the pairs of replays that keep the same mutation (1/n_mutations if uniform)."""
    counts = np.bincount(picks, minlength=n_mutations)
    n = len(picks)
    return float((counts * (counts - 1)).sum() / (n * (n - 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--replays", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps-per-child", type=int, default=1,
                        help="Adam steps of each child in the replayed generation (k_G)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    set_cpu_threads(1)
    data = toy_data("ring8")
    real = data.sampler()
    rows = []
    start = time.perf_counter()
    for seed in range(args.seeds):
        config = toy_config("egan", hidden=64, lr=1e-3, common_noise=False)
        gan = EGAN(config)
        gan.setup(rng=make_rng(seed))
        for iteration in range(args.iterations):
            gan.step(real, lr_scale=linear_decay(iteration, args.iterations, 1.0))
        for label, noise_mode in NOISE_MODES.items():
            picks = replay_picks(gan, real, args.replays, noise_mode, args.steps_per_child)
            same = agreement(picks, len(config.mutations))
            rates = np.bincount(picks, minlength=len(config.mutations)) / len(picks)
            rows.append(f"| {seed} | {label} | "
                        + " | ".join(f"{r:.2f}" for r in rates) + f" | {same:.2f} |")
    wall_s = time.perf_counter() - start
    report = [
        "# E-GAN: how reproducible is the choice of child?",
        "",
        f"Produced by `python runners/egan_selection_noise.py --iterations {args.iterations} "
        f"--replays {args.replays} --seeds {args.seeds} --steps-per-child "
        f"{args.steps_per_child}` on {datetime.date.today().isoformat()} "
        f"in {wall_s:.0f} s; {os.cpu_count()}-core CPU, torch {torch.__version__} (1 thread), "
        f"numpy {np.__version__}, Python {platform.python_version()}.",
        "",
        f"Setup: ring-8 toy, 64-wide G and D (3 hidden layers), Adam lr 1e-3, one state per "
        f"loss, fresh noise per child during training; after {args.iterations} generations "
        f"(seeds 0..{args.seeds - 1}) the next generation is replayed {args.replays} times from "
        "identical copies with different random streams (replay r: torch seed 10000 + r): with "
        "each child scored on its own noise (the official code), with common evaluation noise, "
        "and with common evaluation noise and a common minibatch for the children's step; "
        f"in the replayed generation each child takes {args.steps_per_child} Adam "
        "step(s) (k_G). Agreement: share of the pairs of replays that keep the same mutation (uniform "
        "picks among 3 mutations: 0.33).",
        "",
        "| seed | noise shared by the children | minimax | non-saturating | least squares | agreement |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    write_text_atomic(args.out / "report.md", "\n".join(report))


if __name__ == "__main__":
    main()
