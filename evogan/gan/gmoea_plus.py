"""GMOEA+'s GAN operator: GMOEA's GAN with options that act on what it learns from and on how its
samples spread, each measured alone (results/gmoea_plus_ablation).

GMOEA (He et al., IEEE TCYB 2021) trains its GAN on the k = 10 parents that SPEA2 keeps against
the other 90, and feeds the generator the Gaussian of those 10. On IMF1-3 and IMF10 its
population collapses along the position variables (results/gmoea_controls): the real set
narrows with the population, and the discriminator calls everything fake. The options here
change that input and nothing else; with all of them off the operator is GMOEA's, bit for bit.
"""

from __future__ import annotations

import numpy as np

from evogan.core.errors import ConfigError
from evogan.device import DEFAULT_CPU_THREADS
from evogan.gan.gmoea import GMOEAGAN
from evogan.survival import spea2_fitness, spea2_select

__all__ = ["LABELS", "NOISES", "REAL_SETS", "SAMPLES", "GMOEAPlusGAN", "rank_labels",
           "spread_subset"]

REAL_SETS = ("spea2", "spread")
"""How the real set is chosen: the k parents SPEA2 keeps (GMOEA), or the k of SPEA2's best 2k
that lie farthest apart in decision space (`spread_subset`)."""

NOISES = ("real", "population")
"""What the generator's noise Gaussian is fitted to: the real set (GMOEA) or all parents."""

LABELS = ("binary", "rank")
"""Discriminator targets of the parents: 1 for the real set and 0 for the rest (GMOEA), or
graded by SPEA2 fitness rank (`rank_labels`)."""

SAMPLES = ("all", "spread")
"""Which generated samples become offspring: as many as asked for (GMOEA), or the n farthest
apart in decision space among `oversample` times as many (`spread_subset`)."""


def spread_subset(X: np.ndarray, pool: np.ndarray, k: int) -> np.ndarray:
    """`k` indices of `pool` that lie far apart in decision space, by greedy max-min distance.

    Starts from `pool[0]` and adds, one at a time, the pool member whose Euclidean distance to
    the nearest one already chosen is largest (the first such member in pool order on a tie):
    Gonzalez's farthest-point heuristic, within a factor 2 of the best max-min subset.

    Args:
        X: (n, n_var) the parents on the unit cube.
        pool: (p,) indices into `X`, p >= k, the first one always chosen.
        k: how many to choose.

    Returns:
        (k,) indices into `X` in the order chosen.
    """
    pool = np.asarray(pool)
    if not 1 <= k <= len(pool):
        raise ValueError(f"k must be in [1, {len(pool)}] (the pool's size), got {k}")
    points = X[pool]  # (p, n_var)
    chosen = [0]
    nearest = np.linalg.norm(points - points[0], axis=1)  # (p,) distance to the chosen set
    for _ in range(k - 1):  # a loop over the k choices, not over individuals
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, np.linalg.norm(points - points[nxt], axis=1))
    return pool[np.array(chosen)]


def rank_labels(F: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Discriminator targets (n,): 1 for the real set, the others graded by SPEA2 fitness.

    The parents outside `real` are ordered by SPEA2 fitness (better first, ties by index); the
    j-th of the m of them gets 1 - (j + 1) / (m + 1), so the best non-real parent is just
    under the real set and the worst just above 0. The discriminator then learns how good a
    parent is rather than only whether it is among the k best.
    """
    n = len(F)
    labels = np.ones(n)
    rest = np.setdiff1d(np.arange(n), real)  # sorted
    order = rest[np.argsort(spea2_fitness(F)[rest], kind="stable")]  # better (lower) first
    labels[order] = 1.0 - np.arange(1, len(order) + 1) / (len(order) + 1)
    return labels


class GMOEAPlusGAN(GMOEAGAN):
    """GMOEA's GAN operator with options on its input and its batch; all off, it is `GMOEAGAN`.

    He, Huang, Cheng, Tan, Jin, "Evolutionary Multiobjective Optimization Driven by Generative
    Adversarial Networks (GANs)", IEEE TCYB 2021, for the operator itself; the options:

    - `real_set="spread"`: SPEA2 environmental selection keeps 2k parents (objective-space
      spread), of which the k farthest apart in decision space (`spread_subset`) form the real
      set, so that the generator sees good solutions across the position variables rather
      than where the population already crowds.
    - `noise="population"`: the noise Gaussian is fitted to all parents instead of the k real
      ones, so generator input spreads as the population does (full rank when n > n_var).
    - `labels="rank"`: soft discriminator targets graded by SPEA2 fitness (`rank_labels`);
      GMOEA's 10-against-90 hard labels leave its discriminator below 0.5 on everything.
    - `samples="spread"`: the generator makes `oversample` * n samples, of which the n
      farthest apart in decision space (`spread_subset`, from the first one generated) are
      mutated and offered, so a batch spreads as widely as the generator can.

    A larger real set is GMOEA's own `k`. GMOEA's P1 bug is not offered.

    Args:
        real_set: one of `REAL_SETS`.
        noise: one of `NOISES`.
        labels: one of `LABELS`.
        samples: one of `SAMPLES`.
        oversample: candidates generated per offspring when `samples="spread"`.
        k, epochs, batch_size, lr, eta_m, prob_mutation, device, cpu_threads: as `GMOEAGAN`.
    """

    def __init__(
        self,
        *,
        real_set: str = "spea2",
        noise: str = "real",
        labels: str = "binary",
        samples: str = "all",
        oversample: int = 4,
        k: int = 10,
        epochs: int = 200,
        batch_size: int = 8,
        lr: float = 1e-4,
        eta_m: float = 20.0,
        prob_mutation: float | None = None,
        device: str = "cpu",
        cpu_threads: int | None = DEFAULT_CPU_THREADS,
    ) -> None:
        for name, value, accepted in (("real_set", real_set, REAL_SETS),
                                      ("noise", noise, NOISES), ("labels", labels, LABELS),
                                      ("samples", samples, SAMPLES)):
            if value not in accepted:
                raise ConfigError(f"GMOEA+ GAN: {name} must be one of {', '.join(accepted)}, "
                                  f"got {value!r}")
        if int(oversample) != oversample or oversample < 1:
            raise ConfigError(f"GMOEA+ GAN: oversample must be an integer >= 1, got {oversample!r}")
        super().__init__(k=k, epochs=epochs, batch_size=batch_size, lr=lr, eta_m=eta_m,
                         prob_mutation=prob_mutation, device=device, cpu_threads=cpu_threads)
        self.real_set, self.noise, self.labels = real_set, noise, labels
        self.samples, self.oversample = samples, oversample

    def _real_set(self, X: np.ndarray, F: np.ndarray) -> np.ndarray:
        n = len(F)
        k = min(self.k, n)
        if self.real_set == "spea2":
            real = spea2_select(F, k)
        else:
            real = spread_subset(X, spea2_select(F, min(2 * k, n)), k)
        if self.labels == "rank":
            self.rank_labels_ = rank_labels(F, real)
        return real

    def _noise_rows(self, X: np.ndarray, real: np.ndarray) -> np.ndarray:
        return real if self.noise == "real" else np.arange(len(X))

    def _labels(self, n: int, real: np.ndarray) -> np.ndarray:
        return super()._labels(n, real) if self.labels == "binary" else self.rank_labels_

    def _n_candidates(self, n: int) -> int:
        return n if self.samples == "all" else self.oversample * n

    def _pick(self, Y: np.ndarray, n: int) -> np.ndarray:
        return Y if self.samples == "all" else Y[spread_subset(Y, np.arange(len(Y)), n)]
