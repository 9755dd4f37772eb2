"""GMOEA (He et al., IEEE TCYB 2021) and its controls: the GAN loop (`GANLoop`) with GMOEA's GAN
operator, with a user's learned operator (`--variation`), with none (`gmoea-ga`), with the elite
Gaussian sampled directly (`gmoea-elite-gaussian`) or with GMOEA's generator never trained
(`gmoea-untrained`). `gmoea-plus` is in `evogan.algorithms.gmoea_plus`."""

from __future__ import annotations

from evogan.algorithms.gan_loop import GANLoop
from evogan.core.errors import ConfigError
from evogan.core.variation import LearnedVariation, Variation
from evogan.device import DEFAULT_CPU_THREADS
from evogan.params import flag, integer, real
from evogan.registry import register_algorithm

__all__ = ["check_real_set", "gan_memory_bytes", "make_gmoea", "make_gmoea_elite_gaussian", "make_gmoea_ga",
           "make_gmoea_untrained"]

REFERENCE = (
    "C. He, S. Huang, R. Cheng, K. C. Tan, Y. Jin, Evolutionary Multiobjective Optimization "
    "Driven by Generative Adversarial Networks (GANs), IEEE Trans. Cybernetics, 2021 "
    "(arXiv:1910.04966)"
)


def check_real_set(k: int, pop_size: int) -> None:
    """The real set is k of the population's solutions: a larger k is a one-line error."""
    if k > pop_size:
        raise ConfigError(f"parameter k={k} is larger than the population ({pop_size}); the GAN's "
                          "real set is k of its solutions")


def gan_memory_bytes(n_var: int, pop_size: int, epochs: int) -> float:
    """Peak memory of GMOEA's GAN training, estimated from its shapes.

    Four n_var x n_var weight matrices (three in the generator, one in the discriminator), each
    held as float32 in about eight copies (parameters, gradients, two Adam moments, the
    compiled loop's and the torch modules' copies, activations of the same width), plus one
    epoch-major noise and data array of `epochs x 3 pop_size x n_var` float64.
    """
    return 8 * 4 * 4 * n_var**2 + 8 * epochs * 3 * pop_size * n_var


@register_algorithm(
    "gmoea",
    summary="GAN-driven MOEA: a GAN learns SPEA2's best-spread parents against the rest",
    reference=REFERENCE,
    params={
        "k": integer(ge=2), "w_max": integer(ge=1), "epochs": integer(ge=1),
        "batch_size": integer(ge=1), "lr": real(gt=0), "eta_c": real(ge=0), "eta_m": real(ge=0),
        "cpu_threads": integer(ge=1, optional=True), "shuffle_labels_bug": flag(),
    },
    memory_bytes=lambda n_var, pop_size, params: gan_memory_bytes(
        n_var, pop_size, params.get("epochs", 200)),
)
def make_gmoea(
    *,
    pop_size: int = 100,
    k: int = 10,
    w_max: int = 5,
    epochs: int = 200,
    batch_size: int = 8,
    lr: float = 1e-4,
    eta_c: float = 20.0,
    eta_m: float = 20.0,
    device: str | None = None,
    cpu_threads: int | None = DEFAULT_CPU_THREADS,
    shuffle_labels_bug: bool = False,
    variation: LearnedVariation | Variation | None = None,
) -> GANLoop:
    """GMOEA with the official code's defaults, its bugs fixed; or GMOEA's loop around a user's
    learned operator.

    Args:
        pop_size: population and offspring batch size N.
        k: size of the GAN's real set.
        w_max: offspring batches per GAN training.
        epochs: GAN training epochs per training.
        batch_size: GAN minibatch size.
        lr: discriminator learning rate (the generator's is 4 * lr).
        eta_c: SBX distribution index of the GA branch.
        eta_m: polynomial mutation distribution index (GAN and GA offspring).
        device: where the GAN trains; None follows the run's device (`minimize(device=...)`,
            the CLI's `--device`), "auto" picks CUDA when available.
        cpu_threads: torch threads when training on the CPU (one is fastest here).
        shuffle_labels_bug: reproduce the official code's label/shuffle bug P1.
        variation: a user's operator (`--variation`) in the GAN's place: a `LearnedVariation`
            refits once per cycle and samples its batches; a plain variation is called on the
            population. The GAN's own parameters (k, epochs, batch_size, lr, cpu_threads,
            shuffle_labels_bug) then do not apply.
    """
    if variation is not None:
        return GANLoop(pop_size=pop_size, w_max=w_max, gan=variation, eta_c=eta_c, eta_m=eta_m,
                       device=device)
    check_real_set(k, pop_size)
    from evogan.gan.gmoea import GMOEAGAN  # torch, imported when a GMOEA is built

    gan = GMOEAGAN(
        k=k, epochs=epochs, batch_size=batch_size, lr=lr, eta_m=eta_m,
        cpu_threads=cpu_threads, shuffle_labels_bug=shuffle_labels_bug,
    )
    return GANLoop(pop_size=pop_size, w_max=w_max, gan=gan, eta_c=eta_c, eta_m=eta_m, device=device)


@register_algorithm(
    "gmoea-ga",
    summary="GMOEA's loop with every batch from SBX + PM: the control that isolates the GAN",
    reference=REFERENCE,
    params={"eta_c": real(ge=0), "eta_m": real(ge=0)},
)
def make_gmoea_ga(*, pop_size: int = 100, eta_c: float = 20.0, eta_m: float = 20.0) -> GANLoop:
    """SPEA2 selection after every batch of binary tournament + SBX + PM offspring."""
    return GANLoop(pop_size=pop_size, w_max=1, gan=None, eta_c=eta_c, eta_m=eta_m)


_CONTROL_PARAMS = {"k": integer(ge=2), "w_max": integer(ge=1), "eta_c": real(ge=0),
                   "eta_m": real(ge=0)}


def _control_loop(control: str, *, pop_size: int, k: int, w_max: int, eta_c: float,
                  eta_m: float, device: str | None) -> GANLoop:
    """GMOEA's loop with the control operator `control` of `evogan.gan.controls` in the GAN's
    place, everything else as `make_gmoea` builds it."""
    check_real_set(k, pop_size)
    from evogan.gan import controls  # torch, imported when a control is built

    operator = getattr(controls, control)(k=k, eta_m=eta_m)
    return GANLoop(pop_size=pop_size, w_max=w_max, gan=operator, eta_c=eta_c, eta_m=eta_m,
                   device=device)


@register_algorithm(
    "gmoea-elite-gaussian",
    summary="GMOEA's loop sampling the generator's input (the elites' Gaussian) directly + PM",
    reference=REFERENCE,
    params=_CONTROL_PARAMS,
)
def make_gmoea_elite_gaussian(*, pop_size: int = 100, k: int = 10, w_max: int = 5,
                              eta_c: float = 20.0, eta_m: float = 20.0,
                              device: str | None = None) -> GANLoop:
    """The control that asks what the GAN adds to its own input: GMOEA with its operator's
    batches drawn from the Gaussian of the k SPEA2-selected parents, then mutated as GMOEA
    mutates (`evogan.gan.controls.EliteGaussianSampler`)."""
    return _control_loop("EliteGaussianSampler", pop_size=pop_size, k=k, w_max=w_max,
                         eta_c=eta_c, eta_m=eta_m, device=device)


@register_algorithm(
    "gmoea-untrained",
    summary="GMOEA's loop with its generator never trained (initial random weights) + PM",
    reference=REFERENCE,
    params=_CONTROL_PARAMS,
    memory_bytes=lambda n_var, pop_size, params: gan_memory_bytes(n_var, pop_size, 0),
)
def make_gmoea_untrained(*, pop_size: int = 100, k: int = 10, w_max: int = 5,
                         eta_c: float = 20.0, eta_m: float = 20.0,
                         device: str | None = None) -> GANLoop:
    """The control that asks what training adds: GMOEA with its generator left at its initial
    random weights, fed the same elite noise and mutated the same way
    (`evogan.gan.controls.UntrainedGenerator`)."""
    return _control_loop("UntrainedGenerator", pop_size=pop_size, k=k, w_max=w_max,
                         eta_c=eta_c, eta_m=eta_m, device=device)
