"""The 2-D mode-collapse benchmark: Gaussian ring and grid, mode metrics, the `evogan toy` command.

Data follow the E-GAN toy code (Wang et al., TEVC 2019; the official Theano toy code), which takes them from
Gulrajani et al.'s WGAN-GP toys: 8 Gaussians on a circle of radius 2 with std 0.02, and a 5x5
grid with spacing 2 and std 0.05, each then divided by 1.414 and 2.828 respectively. Samples are
drawn fresh every step (the Theano 25-Gaussian loader uses a fixed set of 500 points instead).

Metrics follow VEEGAN (Srivastava et al., NeurIPS 2017) and PacGAN (Lin et al., NeurIPS 2018),
on 2,500 generated points: each point is assigned to the nearest mode; it is high quality when it
lies within 3 standard deviations of it; a mode is captured when it has at least one high-quality
point; the reverse KL compares the histogram of high-quality points over the modes with the
uniform mode distribution. MMD^2 (unbiased, RBF kernel with the median-heuristic bandwidth, as in
MO-EGAN) compares 1,000 of the generated points with as many fresh real points.

Every trainer is the same `evogan.gan.egan.EGAN` harness: `egan` evolves the generator with all three
losses; `gan-<loss>` uses that single loss, which makes E-GAN's selection trivial and leaves a
plain GAN with the same networks, optimisers and iteration budget.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from evogan.core.errors import ConfigError, EvoganError
from evogan.core.rng import make_rng
from evogan.device import resolve_device, set_cpu_threads
from evogan.gan.egan import EGAN, EGANConfig, Sampler
from evogan.lab.record import check_parent_writable, replace_folder, write_bytes_atomic
from evogan.lab.toy_options import BATCH_SIZE, DATASET_NAMES, TRAINERS, ToyOptions

__all__ = [
    "DATASETS",
    "SEED0_SAMPLES",
    "TOY_FILES",
    "ToyData",
    "ToyRun",
    "check_toy_out",
    "linear_decay",
    "load_runs",
    "merge_runs",
    "mmd2_unbiased",
    "mode_metrics",
    "plot_samples",
    "run_toy_benchmark",
    "runs_to_do",
    "save_seed0_samples",
    "summary_table",
    "toy_config",
    "toy_data",
    "train_toy",
    "with_seed0_samples",
    "write_runs",
]

logger = logging.getLogger(__name__)

N_METRIC_SAMPLES = 2500
"""Generated points per metric evaluation (PacGAN's `num_log_figure_sample`)."""

N_MMD_SAMPLES = 1000
"""Generated and real points for MMD^2 (the first of the metric samples; MO-EGAN uses 512)."""

@dataclass(frozen=True)
class ToyData:
    """A mixture of equal-weight isotropic Gaussians: `centers` (K, 2), common std `sigma`."""

    name: str
    centers: np.ndarray
    sigma: float

    def sampler(self, device: str = "cpu") -> Sampler:
        """Draw `n` points (n, 2) of the mixture from a torch generator."""
        centers = torch.as_tensor(self.centers, dtype=torch.float32, device=device)

        def draw(n: int, generator: torch.Generator) -> torch.Tensor:
            mode = torch.randint(len(centers), (n,), generator=generator, device=device)
            jitter = torch.randn(n, 2, generator=generator, device=device) * self.sigma
            return centers[mode] + jitter

        return draw


def _ring8() -> ToyData:
    angles = np.arange(8) * (2 * np.pi / 8)
    centers = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1) / 1.414
    return ToyData("ring8", centers, 0.02 / 1.414)


def _grid25() -> ToyData:
    ticks = np.arange(-2, 3) * 2.0
    centers = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(25, 2) / 2.828
    return ToyData("grid25", centers, 0.05 / 2.828)


DATASETS = dict(zip(DATASET_NAMES, (_ring8, _grid25), strict=True))


def toy_data(name: str) -> ToyData:
    """The dataset `ring8` or `grid25` with the E-GAN constants."""
    if name not in DATASETS:
        raise ConfigError(f"--data {name!r} is not one of {', '.join(DATASETS)}")
    return DATASETS[name]()


# ----------------------------------------------------------------------------- metrics


def mode_metrics(X: np.ndarray, centers: np.ndarray, sigma: float, *, threshold: float = 3.0
                 ) -> dict[str, float]:
    """VEEGAN/PacGAN mode metrics of generated points `X` (n, 2) for modes `centers` (K, 2).

    Returns:
        modes: modes with at least one high-quality point; hq: share of points within
        `threshold` sigma of their nearest mode, in [0, 1]; reverse_kl: KL(p_gen || uniform)
        of the high-quality points' mode histogram (inf when there are none).
    """
    dist = np.linalg.norm(X[:, None, :] - centers[None, :, :], axis=-1) / sigma  # (n, K)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(X)), nearest] < threshold
    counts = np.bincount(nearest[good], minlength=len(centers))
    if counts.sum() == 0:
        reverse_kl = math.inf
    else:
        p = counts[counts > 0] / counts.sum()
        reverse_kl = float(np.sum(p * np.log(p * len(centers))))
    return {"modes": float((counts > 0).sum()), "hq": float(good.mean()), "reverse_kl": reverse_kl}


def mmd2_unbiased(X: np.ndarray, Y: np.ndarray) -> float:
    """Unbiased MMD^2 between samples `X` (n, d) and `Y` (m, d), RBF kernel exp(-r^2 / (2 s^2)).

    The bandwidth s is the median distance between all points of X and Y (median heuristic).
    """
    Z = np.concatenate([X, Y]).astype(float)
    sq = np.maximum(np.sum(Z**2, 1)[:, None] + np.sum(Z**2, 1)[None, :] - 2 * Z @ Z.T, 0.0)
    n, m = len(X), len(Y)
    bandwidth2 = np.median(sq[np.triu_indices(n + m, k=1)])
    K = np.exp(-sq / (2 * bandwidth2))
    Kxx, Kyy, Kxy = K[:n, :n], K[n:, n:], K[:n, n:]
    return float(
        (Kxx.sum() - np.trace(Kxx)) / (n * (n - 1))
        + (Kyy.sum() - np.trace(Kyy)) / (m * (m - 1))
        - 2 * Kxy.mean()
    )


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True)
class ToyRun:
    """Outcome of one toy run: the metrics, the cost, and the final generated points."""

    data: str
    trainer: str
    seed: int
    iterations: int
    decay_start: float
    wall_s: float
    modes: float
    hq: float
    reverse_kl: float
    mmd2: float
    selection_rates: dict[str, float]
    config: dict  # the EGANConfig's fields
    samples: np.ndarray  # (N_METRIC_SAMPLES, 2)

    def record(self) -> dict:
        """The run as a JSON-friendly dict, without the samples."""
        row = asdict(self)
        row.pop("samples")
        return row


def toy_config(trainer: str, *, hidden: int, layers: int = 3, batch_size: int = BATCH_SIZE,
               eval_size: int = 256, gamma: float = 2.0, lr: float = 1e-4, mu: int = 1,
               init_std: float | None = None, optimizer_state: str = "per_mutation",
               common_noise: bool = True) -> EGANConfig:
    """The E-GAN configuration of a toy trainer: the E-GAN toy code's constants, `layers` x `hidden` nets.

    The official code initialises its 512-wide layers with N(0, 0.02); narrower layers shrink
    the signal at each layer under that scale (64 wide: G's output spread is ~1e-5, a fully
    collapsed start), so the default here is PyTorch's fan-in scaled init (`init_std=None`).
    `optimizer_state` and `common_noise` only matter for `egan*` (a single-loss GAN with mu = 1
    has one Adam state and one candidate); the toy defaults are the Theano toy code's one Adam
    state per loss ("per_mutation"), which gave E-GAN more grid modes than per-generator state at
    4,000 iterations (22 vs 18, p = 0.008; results/egan_toy_4000*), and children scored on common
    noise (`EGANConfig.common_noise`; results/egan_toy_10000 uses both).
    """
    if trainer not in TRAINERS:
        raise ConfigError(f"--trainer {trainer!r} is not one of {', '.join(TRAINERS)}")
    widths = (hidden,) * layers
    return EGANConfig(
        data_dim=2, noise_dim=2, g_hidden=widths, d_hidden=widths, g_output="linear", mu=mu,
        **{"gamma": gamma, **TRAINERS[trainer]}, batch_size=batch_size, eval_size=eval_size,
        lr_g=lr, lr_d=lr, init_std=init_std, optimizer_state=optimizer_state,
        common_noise=common_noise,
    )


def linear_decay(iteration: int, iterations: int, start: float) -> float:
    """Learning-rate factor: 1 until the fraction `start` of the run, then linearly down to 0.

    The pix2pix/CycleGAN schedule (`niter` constant, then `niter_decay` to zero); `start = 1`
    keeps the rate constant. With a constant rate of 1e-3 the toy GANs keep hopping between
    modes to the last iteration (a grid run at 22 modes after 4,000 iterations ended with 16);
    decaying over the second half lets them settle.
    """
    begin = start * iterations
    if iteration < begin:
        return 1.0
    return max(0.0, 1.0 - (iteration - begin) / max(iterations - begin, 1.0))


def train_toy(data: ToyData, trainer: str, *, seed: int, iterations: int, config: EGANConfig,
              decay_start: float = 1.0, device: str = "cpu") -> ToyRun:
    """Train one trainer on `data` for `iterations` generations and measure the result.

    `decay_start` is the fraction of the run after which the learning rates decay linearly to
    zero (`linear_decay`; 1 = constant).
    """
    rng = make_rng(seed)
    gan = EGAN(config, device=device)
    gan.setup(rng=rng)
    real = data.sampler(device)
    start = time.perf_counter()
    for iteration in range(iterations):
        gan.step(real, lr_scale=linear_decay(iteration, iterations, decay_start))
    wall_s = time.perf_counter() - start
    samples = gan.sample(N_METRIC_SAMPLES).cpu().numpy().astype(float)
    reference = real(N_MMD_SAMPLES, gan.generator_).cpu().numpy().astype(float)
    return ToyRun(
        data=data.name, trainer=trainer, seed=seed, iterations=iterations,
        decay_start=decay_start, wall_s=wall_s,
        **mode_metrics(samples, data.centers, data.sigma),
        mmd2=mmd2_unbiased(samples[:N_MMD_SAMPLES], reference),
        selection_rates=gan.selection_rates(), config=asdict(config), samples=samples,
    )


def plot_samples(runs: Sequence[ToyRun], path: Path) -> None:
    """Generated points over the modes (3-sigma circles): one row per dataset, one panel per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(dict.fromkeys(run.data for run in runs))
    n_cols = max(sum(run.data == row for run in runs) for row in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(3.0 * n_cols, 3.2 * len(rows)),
                             squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for r, row in enumerate(rows):
        data = toy_data(row)
        limit = np.abs(data.centers).max() + 0.5
        for ax, run in zip(axes[r], [run for run in runs if run.data == row], strict=False):
            ax.set_axis_on()
            ax.scatter(run.samples[:, 0], run.samples[:, 1], s=2, alpha=0.4, color="tab:blue")
            for center in data.centers:
                ax.add_patch(plt.Circle(center, 3 * data.sigma, fill=False, color="tab:red",
                                        lw=0.8))
            ax.set_title(f"{run.trainer} ({run.data}, seed {run.seed})\n"
                         f"{run.modes:.0f} modes, {100 * run.hq:.0f}% HQ", fontsize=8)
            ax.set_xlim(-limit, limit)
            ax.set_ylim(-limit, limit)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=6)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ----------------------------------------------------------------------------- command line


def run_toy_benchmark(options: ToyOptions | argparse.Namespace) -> list[ToyRun]:
    """`evogan toy`'s work: every trainer x seed, then its result files in --out.

    --out is checked first (`check_toy_out`), and the files are written to a new folder that
    then replaces --out, so an error or an interruption leaves --out as it was. With --resume
    the recorded runs are kept (`load_runs`) and only the missing ones run.

    Raises:
        ConfigError: an option is out of range, or --out may not be written (nothing is
            written then).
    """
    if isinstance(options, argparse.Namespace):
        options = ToyOptions.from_args(options)
    for trainer in options.trainers:  # EGANConfig's own checks, before any work
        toy_config(trainer, **options.egan_options())
    data = toy_data(options.data)
    device = resolve_device(options.device)
    out = Path(options.out)
    check_toy_out(out, overwrite=options.overwrite, resume=options.resume)
    done: list[ToyRun] = []
    if options.resume:
        try:
            done = with_seed0_samples(load_runs(out, options.egan_options(), options.iterations,
                                                options.decay_start), out)
        except ConfigError as error:
            raise ConfigError(f"--resume: {error}") from None
        other = sorted({run.data for run in done} - {data.name})
        if other:
            raise ConfigError(f"--resume: --out {out} holds {', '.join(other)} runs; these "
                              f"options ask for --data {data.name}")
    set_cpu_threads(options.threads)
    fresh = []
    for _, trainer, seed in runs_to_do(done, [data.name], options.trainers, options.seeds):
        config = toy_config(trainer, **options.egan_options())
        fresh.append(train_toy(data, trainer, seed=seed, iterations=options.iterations,
                               config=config, decay_start=options.decay_start, device=device))
        logger.info("%s", fresh[-1].record())
    runs = merge_runs(done, fresh)
    replace_folder(out, lambda folder: _write_toy_files(runs, folder))
    return runs


def _write_toy_files(runs: Sequence[ToyRun], folder: Path) -> None:
    write_runs(runs, folder)
    save_seed0_samples(runs, folder)
    for name in dict.fromkeys(run.data for run in runs):
        plot_samples([r for r in runs if r.data == name and r.seed == 0 and len(r.samples)],
                     folder / f"samples_{name}.png")


# ----------------------------------------------------------------------------- result folders

SEED0_SAMPLES = "samples_seed0.npz"
"""Seed 0's generated points per (data, trainer), kept for the figure of a resumed run."""

TOY_FILES = ("runs.csv", "runs.json", SEED0_SAMPLES,
             *(f"samples_{name}.png" for name in DATASETS))
"""The files `evogan toy` writes: a folder of only these is a toy result it may replace."""


def check_toy_out(out: Path, *, overwrite: bool, resume: bool) -> None:
    """Refuse an `--out` that `evogan toy` may not write, before any work.

    A missing or empty folder is written; a folder of toy results (only `TOY_FILES`) needs
    `overwrite` (replace it) or `resume` (keep its runs); any other folder or file is refused.

    Raises:
        ConfigError: naming `out` and why, in one line.
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a folder")
    entries = sorted(path.name for path in out.iterdir()) if out.is_dir() else []
    foreign = [name for name in entries if name not in TOY_FILES or not (out / name).is_file()]
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        if overwrite:
            raise ConfigError(f"--out {out} holds files that are not evogan toy results "
                              f"({shown}); --overwrite replaces only a folder of evogan toy "
                              "results: choose another folder")
        if resume:
            raise ConfigError(f"--out {out} holds files that are not evogan toy results "
                              f"({shown}); --resume adds runs only to a folder of evogan toy "
                              "results")
        raise ConfigError(f"--out {out} is a folder with files that are not evogan toy results "
                          f"({shown}); choose a new or empty folder")
    if resume and not entries:
        state = "is an empty folder" if out.exists() else "does not exist"
        raise ConfigError(f"--resume: --out {out} {state}, so it has no recorded runs to keep; "
                          "leave out --resume")
    if entries and not (overwrite or resume):
        raise ConfigError(f"--out {out} already holds evogan toy results ({', '.join(entries)}); "
                          "pass --overwrite to replace them, or --resume to keep them and run "
                          "only the missing runs")
    check_parent_writable(out)


def load_runs(out: Path, options: dict[str, Any], iterations: int, decay_start: float
              ) -> list[ToyRun]:
    """The runs recorded in `out/runs.json` (without samples), checked against the options.

    `options` are `toy_config`'s keyword arguments; every run must have been made with them
    and with the same `iterations` and `decay_start`.

    Raises:
        ConfigError: runs.json is missing or unreadable, or a run was made with other options.
    """
    path = out / "runs.json"
    try:
        runs = [ToyRun(**record, samples=np.empty((0, 2)))
                for record in json.loads(path.read_text())]
        recorded_configs = [EGANConfig(**run.config) for run in runs]
    except (OSError, ValueError, TypeError) as error:
        raise ConfigError(f"{path} cannot be read as toy runs ({error})") from None
    for run, recorded_config in zip(runs, recorded_configs, strict=True):
        expected = {**json.loads(json.dumps(asdict(toy_config(run.trainer, **options)))),
                    "iterations": iterations, "decay_start": decay_start}
        # rebuilt, so that fields added to EGANConfig after the run count at their defaults
        recorded = {**json.loads(json.dumps(asdict(recorded_config))),
                    "iterations": run.iterations, "decay_start": run.decay_start}
        differ = [key for key in expected if recorded.get(key) != expected[key]]
        if differ:
            key = differ[0]
            raise ConfigError(f"{path} was made with other options ({run.trainer}, seed "
                              f"{run.seed}: {_OPTION_OF.get(key, key)} {recorded.get(key)}, "
                              f"these options give {expected[key]})")
    return runs


_OPTION_OF = {"lr_g": "--lr", "lr_d": "--lr", "g_hidden": "--hidden", "d_hidden": "--hidden",
              "eval_size": "--eval-size", "gamma": "--gamma", "iterations": "--iterations",
              "optimizer_state": "--optimizer-state", "common_noise": "--common-noise",
              "decay_start": "--decay-start"}
"""The option of `evogan toy` (and of runners/egan_toy.py) that sets a recorded field."""


def save_seed0_samples(runs: Sequence[ToyRun], out: Path) -> None:
    """Store seed 0's samples of every (data, trainer) in `out/samples_seed0.npz` (float32)."""
    arrays = {f"{r.data}/{r.trainer}": r.samples.astype(np.float32) for r in runs
              if r.seed == 0 and len(r.samples)}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_bytes_atomic(out / SEED0_SAMPLES, buffer.getvalue())


def with_seed0_samples(runs: Sequence[ToyRun], out: Path) -> list[ToyRun]:
    """The runs, seed 0's with their samples from `out/samples_seed0.npz` where stored."""
    if not (out / SEED0_SAMPLES).exists():
        return list(runs)
    with np.load(out / SEED0_SAMPLES) as stored:
        return [replace(run, samples=stored[key].astype(float))
                if run.seed == 0 and (key := f"{run.data}/{run.trainer}") in stored else run
                for run in runs]


def runs_to_do(done: Sequence[ToyRun], datasets: Sequence[str], trainers: Sequence[str],
               seeds: int) -> list[tuple[str, str, int]]:
    """(data, trainer, seed) of every run not in `done`, and of seed 0 again where its samples
    are missing (the figure needs them; a run is bit-identical when repeated)."""
    recorded = {(r.data, r.trainer, r.seed): r for r in done}
    return [(data, trainer, seed) for data in datasets for trainer in trainers
            for seed in range(seeds)
            if (old := recorded.get((data, trainer, seed))) is None
            or (seed == 0 and not len(old.samples))]


def merge_runs(done: Sequence[ToyRun], fresh: Sequence[ToyRun]) -> list[ToyRun]:
    """The recorded and the new runs, sorted by data, trainer and seed.

    Raises:
        EvoganError: a run made again did not repeat its recorded result.
    """
    recorded = {(r.data, r.trainer, r.seed): r for r in done}
    for run in fresh:
        old = recorded.get((run.data, run.trainer, run.seed))
        if old is not None and (old.modes, old.hq, old.mmd2) != (run.modes, run.hq, run.mmd2):
            raise EvoganError(f"{run.data} {run.trainer} seed {run.seed} did not repeat its "
                              "recorded result; the records are left as they were")
    runs = {**recorded, **{(r.data, r.trainer, r.seed): r for r in fresh}}.values()
    datasets, trainers = list(DATASETS), list(TRAINERS)
    return sorted(runs, key=lambda r: (datasets.index(r.data), trainers.index(r.trainer), r.seed))


def write_runs(runs: Sequence[ToyRun], out: Path) -> None:
    """Write the runs' records to `out/runs.csv` and `out/runs.json`."""
    records = [run.record() for run in runs]
    (out / "runs.json").write_text(json.dumps(records, indent=1))
    with open(out / "runs.csv", "w", newline="") as handle:
        fields = [k for k in records[0] if k not in ("selection_rates", "config")]
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)


def summary_table(runs: Sequence[ToyRun]) -> str:
    """Median modes, HQ %, reverse KL, MMD^2 and wall time per (data, trainer), as Markdown."""
    lines = ["| data | trainer | seeds | modes | HQ % | reverse KL | MMD² | wall s |",
             "|---|---|---|---|---|---|---|---|"]
    for key in dict.fromkeys((r.data, r.trainer) for r in runs):
        group = [r for r in runs if (r.data, r.trainer) == key]

        def med(field: str, group: list[ToyRun] = group) -> float:
            return float(np.median([getattr(r, field) for r in group]))

        lines.append(
            f"| {key[0]} | {key[1]} | {len(group)} | {med('modes'):.1f} | {100 * med('hq'):.1f} "
            f"| {med('reverse_kl'):.3f} | {med('mmd2'):.4f} | {med('wall_s'):.1f} |"
        )
    return "\n".join(lines) + "\n"
