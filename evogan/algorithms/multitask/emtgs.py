"""EMT-GS: evolutionary multitasking with GAN-translated donors and an inertial DE.

Liang, Zhu, Wang, Li, Zhu, "Evolutionary Multitasking for Multi-objective Optimization Based on
Generative Strategies", IEEE TEVC 27(4):1042-1056, 2023, DOI 10.1109/TEVC.2022.3189029. The
paper's full text was not available; this follows its only public realisation (MToP's MATLAB
code), with each reference quirk kept or dropped as listed in `EMTGS`'s docstring.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from evogan.algorithms.multitask.base import MultitaskAlgorithm
from evogan.core.errors import ConfigError
from evogan.core.rng import torch_generator
from evogan.device import set_cpu_threads
from evogan.params import choice, flag, integer, real
from evogan.registry import register_algorithm

__all__ = ["EMTGS", "ide_offspring", "truncated_normal"]

logger = logging.getLogger(__name__)

_LAYOUTS = ("columns", "rows")
_DISCRIMINATOR_BATCHES = ("separate", "joint")
_GAN_LOSSES = ("gan", "wgan-gp")


def truncated_normal(
    mean: float, std: float, n: int, *, rng: np.random.Generator
) -> np.ndarray:
    """`n` draws of N(mean, std^2) resampled until they lie in [0, 1] (EMT-GS's DE weight)."""
    values = rng.normal(mean, std, n)
    outside = (values < 0.0) | (values > 1.0)
    while outside.any():
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < 0.0) | (values > 1.0)
    return values


def ide_offspring(
    populations: Sequence[np.ndarray],
    previous: Sequence[np.ndarray],
    translated: np.ndarray,
    *,
    rng: np.random.Generator,
    p_random_base: float = 0.5,
    cr: float = 0.6,
    f_mean: float = 0.5,
    f_std: float = 0.2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EMT-GS's inertial DE (as in MToP's code): one child per parent, for the parent's own task.

    All T*N parents are shuffled and position i is paired with position i + floor(T*N/2)
    (cyclically), so for T = 2 a pair crosses tasks with probability N/(2N-1); there is no rmp.
    A pair shares F ~ N(f_mean, f_std^2) truncated to [0, 1]. Parent p of task s paired with
    task s' gets the base b = a random member of P_s (prob. `p_random_base`) or P_s's best (row 0),
    r = a random member of the previous population of s, and the mutant v = b + F (d - r) with
    d = p for a same-task pair, or d = p translated into task s' (`translated[s', s]` at p's row)
    for an inter-task pair. Binomial crossover (rate `cr`, one gene forced) takes the other genes
    from p (same task) or from b (inter-task); children are clipped to [0, 1].

    Args:
        populations: per task (N, D_u), each in NSGA-II order (row 0 the best).
        previous: per task (N, D_u), the populations of the previous generation.
        translated: (T, T, N, D_u); translated[t, k] = G_{t<-k}(P_k), rows aligned with P_k.

    Returns:
        Children (T*N, D_u) grouped by task, their tasks (T*N,), and whether each came from an
        inter-task pair (T*N,).
    """
    n_tasks, n = len(populations), len(populations[0])
    P = np.concatenate(populations)  # (T*N, D_u)
    prev = np.concatenate(previous)  # (T*N, D_u)
    total, n_var = P.shape
    task = np.repeat(np.arange(n_tasks), n)
    row = np.tile(np.arange(n), n_tasks)
    half = total // 2
    shuffle = rng.permutation(total)
    partner = np.empty(total, dtype=int)
    partner[shuffle] = shuffle[(np.arange(total) + half) % total]
    pair = np.empty(total, dtype=int)
    pair[shuffle] = np.arange(total) % half
    weight = truncated_normal(f_mean, f_std, half, rng=rng)[pair]  # (T*N,), shared by a pair

    partner_task = task[partner]
    inter = partner_task != task
    random_base = task * n + rng.integers(0, n, total)
    base = P[np.where(rng.random(total) < p_random_base, random_base, task * n)]
    inertia = prev[task * n + rng.integers(0, n, total)]
    donor = np.where(inter[:, None], translated[partner_task, task, row], P)
    mutant = base + weight[:, None] * (donor - inertia)
    take = rng.random((total, n_var)) < cr
    take[np.arange(total), rng.integers(0, n_var, total)] = True
    other = np.where(inter[:, None], base, P)
    children = np.clip(np.where(take, mutant, other), 0.0, 1.0)
    return children, task, inter


@register_algorithm(
    "emt-gs",
    summary="EMT-GS: GAN-translated donors per ordered task pair + inertial DE (multitask)",
    reference="Liang et al., IEEE TEVC 27(4), 2023, DOI 10.1109/TEVC.2022.3189029",
    params={
        "layout": choice(*_LAYOUTS), "retrain_interval": integer(ge=1),
        "initial_epochs": integer(ge=0), "retrain_epochs": integer(ge=0),
        "batch_size": integer(ge=1), "lr_g": real(gt=0), "lr_d": real(gt=0),
        "p_random_base": real(ge=0, le=1), "cr": real(ge=0, le=1), "f_mean": real(ge=0, le=1),
        "f_std": real(ge=0), "unpermute_training_output": flag(),
        "discriminator_batch": choice(*_DISCRIMINATOR_BATCHES), "gan_loss": choice(*_GAN_LOSSES),
    },
    problem_kind="multitask",
)
class EMTGS(MultitaskAlgorithm):
    """EMT-GS (Liang et al., IEEE TEVC 2023): see the module docstring.

    Per generation: for every ordered task pair (t, k) the generator G_{t<-k} translates task
    k's population into task t (after 2 more training epochs every `retrain_interval`
    generations, on task t's population as real data and task k's as input); the inertial DE
    (`ide_offspring`) makes N children per task; NSGA-II keeps the best N per task.

    Reference behaviour kept: the column layout (Q1, default), gene-permuted donors in
    retraining generations (Q2, unless `unpermute_training_output`), batch statistics (Q3),
    Adam reset per call (Q4), raw dropout (Q5), simultaneous G/D updates (Q6), no training when
    there are fewer samples than a batch (Q7, logged once), a discriminator blind to batch
    location (Q8, unless `discriminator_batch="joint"`). Dropped: the MATLAB branch that uses
    the reverse GAN's batch-norm state with probability 0.5 (a no-op besides drawing a number),
    and the reference's exact random-number order (we use our own generators).

    Args:
        pop_size: individuals per task (N).
        layout: "columns" (reference): a GAN sample is one gene across the N rank-sorted
            individuals, width N, D_u samples; "rows" (an evogan variant, the textbook reading):
            a sample is one individual, width D_u, N samples.
        retrain_interval: G; the GANs get `retrain_epochs` more epochs in generations divisible
            by it (first at generation 10, counting the initial population as generation 1).
        initial_epochs: epochs of the first training, right after the initial population.
        retrain_epochs: epochs of every later training.
        batch_size, lr_g, lr_d: GAN training (reference: 10, 3e-4, 2e-4).
        p_random_base: probability that the DE base is a random member instead of the best.
        cr: binomial crossover rate.
        f_mean, f_std: the DE weight's normal distribution, truncated to [0, 1].
        unpermute_training_output: use the generator's output in the source's own order also in
            retraining generations (fixes quirk Q2: otherwise the donors' genes are permuted in
            the column layout, and in the row layout each donor translates another individual).
        discriminator_batch: "separate" (reference): the discriminator normalises the real and
            the fake batch each on its own, which hides their location from it (quirk Q8, see
            `TransferGANs`); "joint" (an evogan variant): both in one batch-norm pass.
        gan_loss: "gan" (reference) or "wgan-gp" (an evogan variant: Wasserstein loss with
            gradient penalty and a critic without batch norm or dropout, see `TransferGANs`).
    """

    def __init__(
        self,
        *,
        pop_size: int = 100,
        layout: str = "columns",
        retrain_interval: int = 10,
        initial_epochs: int = 20,
        retrain_epochs: int = 2,
        batch_size: int = 10,
        lr_g: float = 3e-4,
        lr_d: float = 2e-4,
        p_random_base: float = 0.5,
        cr: float = 0.6,
        f_mean: float = 0.5,
        f_std: float = 0.2,
        unpermute_training_output: bool = False,
        discriminator_batch: str = "separate",
        gan_loss: str = "gan",
    ) -> None:
        super().__init__(pop_size=pop_size)
        if layout not in _LAYOUTS:
            raise ConfigError(f"layout must be one of {', '.join(_LAYOUTS)}, got {layout!r}")
        if discriminator_batch not in _DISCRIMINATOR_BATCHES:
            raise ConfigError(
                f"discriminator_batch must be one of {', '.join(_DISCRIMINATOR_BATCHES)}, "
                f"got {discriminator_batch!r}"
            )
        if gan_loss not in _GAN_LOSSES:
            raise ConfigError(f"gan_loss must be one of {', '.join(_GAN_LOSSES)}, got {gan_loss!r}")
        if retrain_interval < 1:
            raise ConfigError(f"retrain_interval must be at least 1, got {retrain_interval}")
        self.layout = layout
        self.retrain_interval = retrain_interval
        self.initial_epochs, self.retrain_epochs = initial_epochs, retrain_epochs
        from evogan.gan.transfer import GANConfig  # torch, imported when EMT-GS is built

        self.gan_config = GANConfig(
            batch_size=batch_size, lr_g=lr_g, lr_d=lr_d, discriminator_batch=discriminator_batch,
            loss=gan_loss,
        )
        self.p_random_base, self.cr, self.f_mean, self.f_std = p_random_base, cr, f_mean, f_std
        self.unpermute_training_output = unpermute_training_output

    def _setup(self) -> None:
        if self.device_ == "cpu":
            set_cpu_threads()
        self.torch_generator_ = torch_generator(self.rng_, self.device_)
        n_tasks = self.problem_.n_tasks
        self.pairs_ = [(t, k) for t in range(n_tasks) for k in range(n_tasks) if t != k]
        self.gans_ = None  # TransferGANs, built on the first offspring call
        self.gen_ = 1  # the initial population is generation 1
        self.epochs_trained_ = 0  # in the current generation
        self.losses_ = (float("nan"), float("nan"))

    def _samples(self, U: np.ndarray) -> np.ndarray:
        """GAN samples of a population U (N, D_u): (D_u, N) in columns layout, else (N, D_u)."""
        return U.T if self.layout == "columns" else U

    def _pair_samples(self) -> tuple[np.ndarray, np.ndarray]:
        """Real (target t) and source (task k) samples of every ordered pair, (pairs, n, width)."""
        real = np.stack([self._samples(self.U_[t]) for t, _ in self.pairs_])
        source = np.stack([self._samples(self.U_[k]) for _, k in self.pairs_])
        return real, source

    def _translations(self, output: np.ndarray) -> np.ndarray:
        """(T, T, N, D_u) array with translated[t, k] = the pair (t, k)'s output as a population."""
        translated = np.zeros((self.problem_.n_tasks, *np.shape(self.U_)))
        for index, (t, k) in enumerate(self.pairs_):
            translated[t, k] = self._samples(output[index])
        return translated

    def _lockstep_key(self) -> tuple[object, ...]:
        """What must agree for seeds to share stacked GANs: settings, shapes and generation."""
        return (self.layout, self.gan_config, self.initial_epochs, self.retrain_epochs,
                self.retrain_interval, self.unpermute_training_output, self.gen_,
                self.device_, np.shape(self.U_))

    @staticmethod
    def _train_many(algorithms: Sequence[EMTGS], epochs: int) -> list[np.ndarray]:
        """Train the stacked GANs of `algorithms` (every pair of every seed) for `epochs`; each
        seed shuffles with its own generator. Returns each seed's translations (T, T, N, D_u)."""
        first = algorithms[0]
        samples = [a._pair_samples() for a in algorithms]
        output, d_loss, g_loss = first.gans_.train(
            np.concatenate([real for real, _ in samples]),  # (K * pairs, n, width)
            np.concatenate([source for _, source in samples]),
            epochs=epochs, rng=[a.rng_ for a in algorithms],
            unpermute_output=first.unpermute_training_output,
        )
        return [a._trained(output, d_loss, g_loss, i, epochs) for i, a in enumerate(algorithms)]

    def _trained(self, output: np.ndarray, d_loss: np.ndarray, g_loss: np.ndarray, slot: int,
                 epochs: int) -> np.ndarray:
        """Take this seed's block `slot` of a stacked training's outputs and losses."""
        block = slice(slot * len(self.pairs_), (slot + 1) * len(self.pairs_))
        self.losses_ = (float(np.mean(d_loss[block])), float(np.mean(g_loss[block])))
        self.epochs_trained_ = epochs
        return self._translations(output[block])

    @staticmethod
    def _build_gans(algorithms: Sequence[EMTGS]) -> None:
        """One stacked TransferGANs for every pair of every seed in `algorithms`, shared by them
        and initialised from the first one's torch generator, then its initial training."""
        first = algorithms[0]
        n_samples, width = first._samples(first.U_[0]).shape
        if n_samples < first.gan_config.batch_size:
            logger.warning(
                "EMT-GS: %d GAN samples per task < batch size %d, so the GANs are never "
                "trained (as in the reference code)", n_samples, first.gan_config.batch_size,
            )
        from evogan.gan.transfer import TransferGANs

        gans = TransferGANs(
            len(algorithms) * len(first.pairs_), width, config=first.gan_config,
            generator=first.torch_generator_, device=first.device_,
        )
        for algorithm in algorithms:
            algorithm.gans_ = gans
        EMTGS._train_many(algorithms, first.initial_epochs)  # translations recomputed below

    @staticmethod
    def _translated_many(algorithms: Sequence[EMTGS]) -> list[np.ndarray]:
        """This generation's translations (T, T, N, D_u) of each seed, from the GANs they share:
        built and trained first if needed, trained further in retraining generations."""
        first = algorithms[0]
        for algorithm in algorithms:
            algorithm.epochs_trained_ = 0
        if first.gans_ is None:
            EMTGS._build_gans(algorithms)
        for algorithm in algorithms:
            algorithm.gen_ += 1
        if first.gen_ % first.retrain_interval == 0:
            return EMTGS._train_many(algorithms, first.retrain_epochs)
        sources = np.concatenate([a._pair_samples()[1] for a in algorithms])
        output = first.gans_.translate(sources)  # (K * pairs, n, width)
        per = len(first.pairs_)
        return [a._translations(output[i * per : (i + 1) * per]) for i, a in enumerate(algorithms)]

    def _ide(self, translated: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return ide_offspring(
            self.U_, self.prev_U_, translated, rng=self.rng_, p_random_base=self.p_random_base,
            cr=self.cr, f_mean=self.f_mean, f_std=self.f_std,
        )

    def _offspring(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._ide(self._translated_many([self])[0])

    @classmethod
    def ask_many(cls, algorithms: Sequence[EMTGS]) -> list[np.ndarray]:
        """The next batch of K EMT-GS runs in lockstep (`evogan.core.algorithm.LockstepAsk`):
        every pair's GAN of every seed is one network of a single stacked `TransferGANs`
        (K * T (T - 1) networks, one Adam step for all), so that a generation's training costs
        about one seed's number of torch operations.

        Each seed keeps its own population, numpy generator (its shuffles, DE and crossover
        draws) and record. It is statistically the same run as an unbatched one but not bit for
        bit: the stacked networks are initialised, and their dropout masks drawn, from the first
        seed's torch generator (one stream for the whole stack), so a seed's networks depend on
        its place in the batch. Seeds whose settings, shapes or generation differ, and the
        initial population, are asked one by one.
        """
        first = algorithms[0]
        if not first.U_ or any(a._lockstep_key() != first._lockstep_key() or
                               a.gans_ is not first.gans_ for a in algorithms):
            return [algorithm.ask() for algorithm in algorithms]
        return [a._asked(*a._ide(translated))
                for a, translated in zip(algorithms, cls._translated_many(algorithms),
                                         strict=True)]
    def _extra_metrics(self) -> dict[str, float]:
        return {
            "gan_epochs": float(self.epochs_trained_),
            "d_loss": float(self.losses_[0]),
            "g_loss": float(self.losses_[1]),
        }
