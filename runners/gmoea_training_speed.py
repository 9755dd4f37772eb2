"""Time one GMOEA GAN training: a plain eager PyTorch loop against evogan's two fast loops.

One training as GMOEA does it after every w_max batches: 200 epochs over a population of
N = 100 solutions with n_var = 30 and k = 10 real ones, minibatches of 8, on one CPU thread.
Both loops get the same networks and the same random draws (epoch orders, noise), so they
compute the same thing (tests/test_gmoea.py holds them together); only the implementation
differs: "fused" is the hand-differentiated torch loop (`FusedGanTrainer`, what runs on a
GPU), "compiled" the numba loop (`CompiledGanTrainer`, what runs on the CPU; its one-off
compilation, cached on disk, happens before the timing and is reported apart). The runs
alternate (eager, fused, compiled, eager, ...) so that load on a shared machine hits all
alike. Writes results/gmoea_training_speed/report.md and report.json.

Usage: python runners/gmoea_training_speed.py [--repeats 5] [--epochs 200] [--device cpu]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import nn

from evogan.device import resolve_device, set_cpu_threads
from evogan.gan.elite_noise import EliteGaussian
from evogan.gan.gmoea_compiled import CompiledGanTrainer
from evogan.gan.gmoea_fused import FusedGanTrainer
from evogan.gan.gmoea_training import (
    G_LR_FACTOR,
    GMOEADiscriminator,
    GMOEAGenerator,
    TrainingDraws,
    build_networks,
    minibatch_bounds,
)

OUT = Path(__file__).resolve().parents[1] / "results" / "gmoea_training_speed"


def eager_train(
    generator: GMOEAGenerator,
    discriminator: GMOEADiscriminator,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    X: torch.Tensor,
    labels: torch.Tensor,
    draws: TrainingDraws,
    *,
    batch_size: int,
) -> tuple[float, float]:
    """The straightforward loop: modules, autograd, `nn.BCELoss`, `torch.optim.Adam`.

    Returns the mean D and G losses over the last epoch, like the fast loops' `train`.
    """
    bce = nn.BCELoss()
    bounds = minibatch_bounds(len(X), batch_size)
    epochs = draws.order.shape[0]
    for epoch in range(epochs):
        loss_d_sum = loss_g_sum = 0.0
        for a, b in bounds:
            rows = draws.order[epoch, a:b]
            x, y = X[rows], labels[rows].unsqueeze(1)  # (m, n_var), (m, 1)
            opt_d.zero_grad()
            fake = generator(draws.noise[epoch, 0, a:b]).detach()
            loss_d = bce(discriminator(x), y) + bce(discriminator(fake), torch.zeros_like(y))
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            fake = generator(draws.noise[epoch, 1, a:b])
            loss_g = bce(discriminator(fake), torch.ones_like(y))
            loss_g.backward()
            opt_g.step()
            if epoch == epochs - 1:
                loss_d_sum += loss_d.item()
                loss_g_sum += loss_g.item()
    return loss_d_sum / len(bounds), loss_g_sum / len(bounds)


def eager_optimisers(
    generator: GMOEAGenerator, discriminator: GMOEADiscriminator, lr: float
) -> tuple[torch.optim.Adam, torch.optim.Adam]:
    """Adam with PyTorch's defaults, G at 4 * lr (the official code's setting)."""
    return (
        torch.optim.Adam(generator.parameters(), lr=G_LR_FACTOR * lr),
        torch.optim.Adam(discriminator.parameters(), lr=lr),
    )


def training_problem(
    *, n: int, n_var: int, k: int, epochs: int, seed: int, device: str
) -> tuple[torch.Tensor, torch.Tensor, TrainingDraws, GMOEAGenerator, GMOEADiscriminator]:
    """A population, its labels (first k real), the draws of one training and fresh networks."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_var))
    labels = np.zeros(n)
    labels[:k] = 1.0
    generator = torch.Generator(device=device).manual_seed(seed)
    G, D = build_networks(n_var, device=device, generator=generator)
    draws = TrainingDraws.draw(EliteGaussian.fit(X[:k], device=device), n, epochs, generator)
    as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)
    return as_tensor(X), as_tensor(labels), draws, G, D


def _timed(run, device: str) -> tuple[float, float, tuple[float, float]]:
    if device != "cpu":
        torch.cuda.synchronize(device)
    wall, cpu = time.perf_counter(), time.process_time()
    losses = run()
    if device != "cpu":
        torch.cuda.synchronize(device)
    return time.perf_counter() - wall, time.process_time() - cpu, losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--n-var", type=int, default=30)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    device = resolve_device(args.device)
    set_cpu_threads(args.threads)
    lr = 1e-4
    steps = args.epochs * len(minibatch_bounds(args.n, args.batch_size))
    fast_loops = {"fused": FusedGanTrainer}
    if device == "cpu":
        fast_loops["compiled"] = CompiledGanTrainer
        compile_s = _first_call_seconds(args)
    timings: dict[str, dict[str, list[float]]] = {
        loop: {"wall_s": [], "cpu_s": []} for loop in ("eager", *fast_loops)
    }
    losses = {}
    for repeat in range(args.repeats):
        X, labels, draws, G, D = training_problem(
            n=args.n, n_var=args.n_var, k=args.k, epochs=args.epochs, seed=args.seed + repeat,
            device=device,
        )
        runs = {}
        for loop, trainer_class in fast_loops.items():
            trainer = trainer_class(copy.deepcopy(G), copy.deepcopy(D), lr=lr)
            runs[loop] = partial(trainer.train, X, labels, draws, batch_size=args.batch_size)
        opt_g, opt_d = eager_optimisers(G, D, lr)
        runs = {
            "eager": partial(
                eager_train, G, D, opt_g, opt_d, X, labels, draws, batch_size=args.batch_size
            ),
            **runs,
        }
        for loop, run in runs.items():
            wall, cpu, losses[loop] = _timed(run, device)
            timings[loop]["wall_s"].append(wall)
            timings[loop]["cpu_s"].append(cpu)
            print(f"repeat {repeat}: {loop:5s} {wall:7.3f} s wall, {cpu:7.3f} s cpu", flush=True)
    summary = {}
    for loop, t in timings.items():
        summary[loop] = {
            "median_wall_s": statistics.median(t["wall_s"]),
            "min_wall_s": min(t["wall_s"]),
            "median_cpu_s": statistics.median(t["cpu_s"]),
            "ms_per_step_median_wall": 1e3 * statistics.median(t["wall_s"]) / steps,
            "ms_per_step_median_cpu": 1e3 * statistics.median(t["cpu_s"]) / steps,
            **t,
        }
    speedups = {
        loop: {
            key: [e / f for e, f in zip(timings["eager"][key], timings[loop][key], strict=True)]
            for key in ("wall_s", "cpu_s")
        }
        for loop in fast_loops
    }
    record = {
        "what": "one GMOEA GAN training (D step + G step per minibatch)",
        "setting": {
            "n": args.n, "n_var": args.n_var, "k": args.k, "epochs": args.epochs,
            "batch_size": args.batch_size, "steps": steps, "threads": args.threads,
            "device": device, "seeds": [args.seed + r for r in range(args.repeats)],
            "lr_d": lr, "lr_g": G_LR_FACTOR * lr,
        },
        "machine": {
            "platform": platform.platform(), "processor": platform.processor(),
            "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "cpu_count": os.cpu_count(),
            "load_average": list(os.getloadavg()),
            "cuda": torch.cuda.get_device_name(device) if device != "cpu" else None,
        },
        "timings": summary,
        "compiled_first_call_s": compile_s if device == "cpu" else None,
        "speedup_vs_eager": {
            loop: {
                "wall_per_repeat": r["wall_s"], "cpu_per_repeat": r["cpu_s"],
                "wall_median": statistics.median(r["wall_s"]),
                "cpu_median": statistics.median(r["cpu_s"]),
            }
            for loop, r in speedups.items()
        },
        "last_losses": losses,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if device == "cpu" else f"_{device.replace(':', '')}"
    (args.out / f"report{suffix}.json").write_text(json.dumps(record, indent=2) + "\n")
    (args.out / f"report{suffix}.md").write_text(_markdown(record))
    print(_markdown(record))


def _first_call_seconds(args: argparse.Namespace) -> float:
    """Wall time of a first, one-epoch compiled training: loading (or compiling) the kernel."""
    X, labels, draws, G, D = training_problem(
        n=args.n, n_var=args.n_var, k=args.k, epochs=1, seed=args.seed, device="cpu"
    )
    start = time.perf_counter()
    CompiledGanTrainer(G, D, lr=1e-4).train(X, labels, draws, batch_size=args.batch_size)
    return time.perf_counter() - start


def _markdown(record: dict) -> str:
    s, m, t = record["setting"], record["machine"], record["timings"]
    lines = [
        "# GMOEA GAN training speed: eager loop vs evogan's fused (torch) and compiled (numba) loops",
        "",
        f"One training = {s['epochs']} epochs x {s['steps'] // s['epochs']} minibatches = "
        f"{s['steps']} D+G steps; N = {s['n']}, n_var = {s['n_var']}, k = {s['k']}, "
        f"batch {s['batch_size']}, device {s['device']}, {s['threads']} torch thread(s), "
        f"seeds {s['seeds']}. Both loops get the same networks and random draws; runs alternate.",
        "",
        f"Machine: {m['platform']}, {m['cpu_count']} CPUs, load average at the end "
        f"{', '.join(f'{x:.1f}' for x in m['load_average'])}; Python {m['python']}, "
        f"torch {m['torch']}, numpy {m['numpy']}" + (f", GPU {m['cuda']}" if m["cuda"] else "")
        + ".",
        "",
        "| loop | s/training (median wall) | s/training (min wall) | ms/step (median wall) "
        "| ms/step (median CPU time) |",
        "|---|---|---|---|---|",
    ]
    for loop, r in t.items():
        lines.append(
            f"| {loop} | {r['median_wall_s']:.3f} | {r['min_wall_s']:.3f} | "
            f"{r['ms_per_step_median_wall']:.3f} | {r['ms_per_step_median_cpu']:.3f} |"
        )
    lines.append("")
    for loop, r in record["speedup_vs_eager"].items():
        lines.append(
            f"Speedup eager / {loop} (per repeat, wall): "
            f"{', '.join(f'{x:.1f}' for x in r['wall_per_repeat'])}; median "
            f"**{r['wall_median']:.1f}x** wall, {r['cpu_median']:.1f}x CPU time."
        )
    if record["compiled_first_call_s"] is not None:
        lines += [
            "",
            f"First compiled call in this process (one epoch, kernel loaded from numba's disk "
            f"cache or compiled): {record['compiled_first_call_s']:.2f} s.",
        ]
    lines += [
        "",
        "Last-epoch losses (D, G) of the last repeat: "
        + ", ".join(f"{loop} {value}" for loop, value in record["last_losses"].items()) + ".",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
