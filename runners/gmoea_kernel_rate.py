"""Arithmetic rate of GMOEA's compiled GAN training: matrix-product FLOPs per training / CPU time.

One training as GMOEA does it (200 epochs over N = 100 rows, minibatches of 8, k = 10 real
ones) with `CompiledGanTrainer`, the same inputs every time, on this thread; timed by the
thread's CPU time, which a shared machine disturbs far less than wall time (the median of
`--rounds`). FLOPs count the matrix products only (a multiply and an add are two), from the
layer shapes: G's three Linear layers forward for two noise batches, D forward on 2m rows
(real and generated) and on m rows (the G step), the weight gradients of both and the input
gradients back through D and G's upper two layers; Adam, BatchNorm and the activations come
on top. Also prints a SHA-256 prefix of the trained parameters, so that two versions of the
kernel can be checked for the same bits (run this with PYTHONPATH pointing at another
checkout of evogan to time that one).

Usage: python runners/gmoea_kernel_rate.py [--n-var 30,100] [--rounds 5] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from evogan.gan.gmoea_compiled import CompiledGanTrainer
from evogan.gan.gmoea_training import TrainingDraws, build_networks, minibatch_bounds
from evogan.lab.run import environment

N, K, EPOCHS, BATCH = 100, 10, 200, 8


def product_flops(n_var: int, n: int = N, epochs: int = EPOCHS, batch_size: int = BATCH) -> int:
    """Matrix-product FLOPs of one training (see the module docstring)."""
    inputs, total = n_var + 1, 0  # a Linear layer's inputs carry the bias as a ones column
    for start, stop in minibatch_bounds(n, batch_size):
        m = stop - start
        total += 2 * 3 * m * inputs * n_var  # G forward, two noise batches
        total += 2 * m * inputs * (n_var + 1) + m * inputs * (n_var + 1)  # D forward, 2m + m
        total += 2 * m * n_var * inputs + 2 * m * inputs  # D weight gradients
        total += m * n_var * n_var  # d(loss)/d(G output) through D
        total += 3 * m * n_var * inputs + 2 * m * n_var * n_var  # G weight and input gradients
    return 2 * total * epochs  # a multiply and an add


def _trainer(n_var: int) -> tuple[CompiledGanTrainer, tuple]:
    """A fresh trainer and the inputs of one training, drawn from fixed seeds."""
    rng = np.random.default_rng(7)
    G, D = build_networks(n_var, device="cpu", generator=torch.Generator().manual_seed(7))
    X = torch.from_numpy(rng.random((N, n_var)).astype(np.float32))
    labels = torch.from_numpy((np.arange(N) < K).astype(np.float32))
    draws = TrainingDraws(
        order=torch.from_numpy(np.argsort(rng.random((EPOCHS, N)), axis=1)),
        noise=torch.from_numpy(rng.random((EPOCHS, 2, N, n_var)).astype(np.float32)))
    return CompiledGanTrainer(G, D, lr=1e-4), (X, labels, draws)


def measure(n_var: int, rounds: int) -> dict:
    """CPU seconds of one training (median of `rounds`), its FLOP rate and its bits' digest."""
    trainer, inputs = _trainer(n_var)
    trainer.train(*inputs, batch_size=BATCH)  # loads or compiles the kernel
    digest = hashlib.sha256()
    for network in (trainer.generator, trainer.discriminator):
        for value in network.state_dict().values():
            digest.update(value.numpy().tobytes())
    seconds = []
    for _ in range(rounds):
        trainer, inputs = _trainer(n_var)
        started = time.thread_time()
        trainer.train(*inputs, batch_size=BATCH)
        seconds.append(time.thread_time() - started)
    flops, median = product_flops(n_var), statistics.median(seconds)
    return {"n_var": n_var, "cpu_s": round(median, 4), "cpu_s_rounds": [round(s, 4) for s in seconds],
            "product_gflop": round(flops / 1e9, 3), "gflop_per_s": round(flops / median / 1e9, 1),
            "digest": digest.hexdigest()[:16]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-var", default="30,100", help="widths, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="also write the rows here (JSON)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [measure(int(n), args.rounds) for n in args.n_var.split(",")]
    for row in rows:
        print(f"n_var {row['n_var']}: {row['cpu_s']} s CPU per training, "
              f"{row['product_gflop']} GFLOP of products, {row['gflop_per_s']} GFLOP/s, "
              f"bits {row['digest']}")
    if args.out is not None:
        args.out.write_text(json.dumps({"machine": environment("cpu"), "rows": rows}, indent=2)
                            + "\n")


if __name__ == "__main__":
    main()
