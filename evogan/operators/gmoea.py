"""GMOEA's GAN operator (He et al., IEEE TCYB 2021): a GAN trained on good versus bad parents.

C. He, S. Huang, R. Cheng, K. C. Tan, Y. Jin, "Evolutionary Multiobjective Optimization Driven by
Generative Adversarial Networks (GANs)", IEEE Transactions on Cybernetics, 2021 (arXiv 1910.04966).
The behaviour follows the official PyTorch code (EMI-Group/GMOEA, commit c2031eb), with its bugs
fixed; see `GMOEAGAN`.

The file holds the two networks, the torch training loop (`FusedGanTrainer`, hand-written
backward passes, a few dozen tensor operations per step; it trains on a GPU) and the operator
itself. On the CPU the operator trains with `evogan.operators.gmoea_kernel.CompiledGanTrainer`,
the same maths compiled into one loop.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from evogan.device import DEFAULT_CPU_THREADS, resolve_device, set_cpu_threads
from evogan.errors import ConfigError
from evogan.operators.elite_noise import EliteGaussian
from evogan.operators.pm import PolynomialMutation
from evogan.rng import torch_generator
from evogan.survival import spea2_select
from evogan.variation import LearnedVariation

__all__ = [
    "FusedGanTrainer",
    "GanTrainer",
    "GMOEAGAN",
    "GMOEADiscriminator",
    "GMOEAGenerator",
    "TrainingDraws",
    "build_networks",
    "minibatch_bounds",
]

logger = logging.getLogger(__name__)

BN_MOMENTUM, BN_EPS = 0.1, 1e-5  # PyTorch's BatchNorm1d defaults, as in the official code
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # PyTorch's Adam defaults, as in the official code
G_LR_FACTOR = 4.0  # the official code trains the generator at 4x the discriminator's rate


class GMOEAGenerator(nn.Module):
    """Noise (b, n_var) -> samples (b, n_var) in (0, 1) (spec §1.4).

    Three Linear(n_var, n_var) + BatchNorm1d layers with tanh, tanh, sigmoid activations.
    """

    def __init__(self, n_var: int) -> None:
        super().__init__()
        self.linear1, self.bn1 = nn.Linear(n_var, n_var), nn.BatchNorm1d(n_var)
        self.linear2, self.bn2 = nn.Linear(n_var, n_var), nn.BatchNorm1d(n_var)
        self.linear3, self.bn3 = nn.Linear(n_var, n_var), nn.BatchNorm1d(n_var)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.bn1(self.linear1(z)))
        h = torch.tanh(self.bn2(self.linear2(h)))
        return torch.sigmoid(self.bn3(self.linear3(h)))


class GMOEADiscriminator(nn.Module):
    """Solutions (b, n_var) -> probability (b, 1) that each is a good ("real") one.

    Linear(n_var, n_var), tanh, Linear(n_var, 1), sigmoid; no BatchNorm (spec §1.4).
    """

    def __init__(self, n_var: int) -> None:
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(n_var, n_var), nn.Linear(n_var, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.linear2(torch.tanh(self.linear1(x))))


def build_networks(
    n_var: int, *, device: str | torch.device, generator: torch.Generator
) -> tuple[GMOEAGenerator, GMOEADiscriminator]:
    """A freshly initialised generator and discriminator on `device`.

    PyTorch's default initialisation (weights and biases uniform in ±1/sqrt(fan_in), BatchNorm
    scale 1 and shift 0), drawn from `generator` instead of the global RNG: the modules are built
    on the meta device, so building them draws nothing.
    """
    with torch.device("meta"):
        networks = GMOEAGenerator(n_var), GMOEADiscriminator(n_var)
    with torch.no_grad():
        for network in networks:
            network.to_empty(device=device)
            for module in network.modules():
                if isinstance(module, nn.Linear):
                    bound = 1.0 / np.sqrt(module.in_features)
                    module.weight.uniform_(-bound, bound, generator=generator)
                    module.bias.uniform_(-bound, bound, generator=generator)
                elif isinstance(module, nn.BatchNorm1d):
                    module.reset_parameters()
    return networks


def minibatch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Row ranges [start, stop) of the minibatches of one epoch over `n` rows.

    Consecutive minibatches of `batch_size` rows, the last one shorter (as in the official code),
    except that a last minibatch of a single row joins the previous one: BatchNorm cannot
    normalise one sample in training mode (spec P9).
    """
    if n < 2:
        raise ValueError(f"GAN training needs at least 2 samples, got {n}")
    bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    if bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


@dataclass(frozen=True)
class TrainingDraws:
    """All the randomness of one training, drawn up front in two batched calls.

    Attributes:
        order: (epochs, n) the order in which each epoch visits the population.
        noise: (epochs, 2, n, n_var) generator input; `noise[e, 0, a:b]` feeds the discriminator
            step of minibatch [a, b) in epoch e, `noise[e, 1, a:b]` its generator step.
    """

    order: torch.Tensor
    noise: torch.Tensor

    @classmethod
    def draw(
        cls, gaussian: EliteGaussian, n: int, epochs: int, generator: torch.Generator
    ) -> TrainingDraws:
        """Independent uniform orders per epoch and fresh noise for every step."""
        keys = torch.rand(epochs, n, generator=generator, device=gaussian.mean.device)
        noise = gaussian.sample(epochs * 2 * n, generator)
        return cls(
            order=torch.argsort(keys, dim=1),
            noise=noise.reshape(epochs, 2, n, -1),  # (epochs, 2, n, n_var)
        )


class _FlatAdam:
    """Adam over all parameters of one network, kept in one flat buffer.

    Each Linear layer is stored as one block (out, in + 1) holding [weight | bias], so that its
    forward pass is one matrix product with inputs that carry a trailing column of ones and its
    weight and bias gradients come from one product too; each BatchNorm's scale and shift form
    one (2, n_var) block. The module's parameters become views into these blocks. One fused
    kernel updates everything: the same update as `torch.optim.Adam` with its defaults.
    """

    def __init__(self, network: nn.Module, lr: float) -> None:
        layers = [mod for mod in network.modules() if isinstance(mod, nn.Linear | nn.BatchNorm1d)]
        shapes = [
            (mod.out_features, mod.in_features + 1) if isinstance(mod, nn.Linear)
            else (2, mod.num_features)
            for mod in layers
        ]
        sizes = [rows * cols for rows, cols in shapes]
        first = next(network.parameters())
        self.param = torch.empty(sum(sizes), dtype=first.dtype, device=first.device)
        self.grad = torch.zeros_like(self.param)
        self.exp_avg = torch.zeros_like(self.param)
        self.exp_avg_sq = torch.zeros_like(self.param)
        self.step_count = torch.zeros((), dtype=torch.float32, device=first.device)
        self.one = torch.ones((), dtype=torch.float32, device=first.device)
        self.lr = lr
        split = lambda flat: [
            part.view(shape) for part, shape in zip(flat.split(sizes), shapes, strict=True)
        ]
        self.blocks, self.grad_blocks = split(self.param), split(self.grad)
        with torch.no_grad():
            for mod, block in zip(layers, self.blocks, strict=True):
                linear = isinstance(mod, nn.Linear)
                weight, bias = (block[:, :-1], block[:, -1]) if linear else block
                weight.copy_(mod.weight)
                bias.copy_(mod.bias)
                mod.weight.data, mod.bias.data = weight, bias

    def step(self) -> None:
        self.step_count.add_(self.one)
        torch._fused_adam_(
            [self.param], [self.grad], [self.exp_avg], [self.exp_avg_sq], [], [self.step_count],
            lr=self.lr, beta1=ADAM_BETAS[0], beta2=ADAM_BETAS[1], weight_decay=0.0, eps=ADAM_EPS,
            amsgrad=False, maximize=False,
        )


class _Buffers:
    """Preallocated tensors of the steps on minibatches of `m` rows.

    Every operation writes into one of these (`out=`), activations carry their ones column,
    and the transposed views that weight gradients need exist once, so the steps allocate
    almost nothing and never transpose.
    """

    def __init__(self, m: int, n_var: int, like: torch.Tensor) -> None:
        new = lambda *shape: torch.empty(*shape, dtype=like.dtype, device=like.device)
        ones = lambda rows: torch.ones(rows, n_var + 1, dtype=like.dtype, device=like.device)
        self.m = m
        # generator: pre-activations, hidden activations (with ones column), output
        self.g_pre = [new(m, n_var) for _ in range(3)]
        self.g_act = [ones(m), ones(m)]
        self.g_act_h = [act[:, :-1] for act in self.g_act]
        self.g_act_t = [act.t() for act in self.g_act]
        self.g_out = ones(m)  # G's output in the G step, input of D
        self.g_out_h = self.g_out[:, :-1]
        self.g_grad = [new(m, n_var) for _ in range(3)]  # d(loss) / d(output of layer i)
        # discriminator on 2m rows (D step: real and fake) and on m rows (G step: fake)
        self.d = {rows: _DiscriminatorBuffers(rows, n_var, like) for rows in (m, 2 * m)}
        self.neg_inv_m = torch.full((m, 1), -1.0 / m, dtype=like.dtype, device=like.device)


class _DiscriminatorBuffers:
    """The discriminator's tensors for a batch of `rows` rows."""

    def __init__(self, rows: int, n_var: int, like: torch.Tensor) -> None:
        new = lambda *shape: torch.empty(*shape, dtype=like.dtype, device=like.device)
        self.pre = new(rows, n_var)
        self.hidden = torch.ones(rows, n_var + 1, dtype=like.dtype, device=like.device)
        self.hidden_h = self.hidden[:, :-1]
        self.hidden_t = self.hidden.t()
        self.logits, self.prob, self.d_logits = new(rows, 1), new(rows, 1), new(rows, 1)
        self.d_hidden = new(rows, n_var)


_tanh_backward = torch.ops.aten.tanh_backward.default
_sigmoid_backward = torch.ops.aten.sigmoid_backward.default
_batch_norm_backward = torch.ops.aten.native_batch_norm_backward.default


class GanTrainer:
    """What GMOEA's two training loops share: the networks, their flat Adam buffers, `train`.

    Subclasses implement `_train`, the loop itself: `FusedGanTrainer` in torch (any device),
    `evogan.operators.gmoea_kernel.CompiledGanTrainer` compiled for the CPU.
    """

    def __init__(
        self, generator: GMOEAGenerator, discriminator: GMOEADiscriminator, *, lr: float
    ) -> None:
        self.generator, self.discriminator = generator, discriminator
        self.adam_g = _FlatAdam(generator, G_LR_FACTOR * lr)
        self.adam_d = _FlatAdam(discriminator, lr)

    def train(
        self,
        X: torch.Tensor,
        labels: torch.Tensor,
        draws: TrainingDraws,
        *,
        batch_size: int,
        label_order: torch.Tensor | None = None,
    ) -> tuple[float, float]:
        """Train on `X` (n, n_var) with `labels` (n,) for `draws.order.shape[0]` epochs.

        Args:
            label_order: (epochs, n) how labels are ordered in each epoch; None (the correct
                choice) keeps each label with its solution. The official code's bug P1 amounts
                to `label_order = arange(n)` in every epoch.

        Returns:
            The mean discriminator and generator losses over the last epoch's minibatches.
        """
        with torch.no_grad():
            return self._train(X, labels, draws, batch_size, label_order)

    def _train(
        self,
        X: torch.Tensor,
        labels: torch.Tensor,
        draws: TrainingDraws,
        batch_size: int,
        label_order: torch.Tensor | None,
    ) -> tuple[float, float]:
        raise NotImplementedError


class FusedGanTrainer(GanTrainer):
    """GMOEA's GAN training (spec §1.5) with hand-written backward passes.

    Per minibatch (x, y) of the population, y = 1 for real and 0 for bad solutions:
      1. discriminator step: BCE(D(x), y) + BCE(D(G(z1)), 0), Adam at `lr`;
      2. generator step: BCE(D(G(z2)), 1) (non-saturating), Adam at 4 * `lr`.
    It computes what the plain autograd loop computes (`nn.BCELoss` on probabilities,
    `torch.optim.Adam`; a test holds the two together), in about 50 tensor operations per step
    instead of several hundred plus autograd and optimiser bookkeeping: the randomness of the
    whole training is drawn first and each epoch's minibatches are gathered in one indexing
    call; the discriminator sees its real and generated rows as one batch; BCE on probabilities
    is differentiated on the logits (the same value, away from float saturation); biases ride in
    the weight matrices (inputs carry a ones column); activations live in preallocated buffers;
    gradients go straight into one flat buffer per network and one fused Adam kernel updates it.
    The modules, their BatchNorm running statistics and both Adam states persist across calls
    (spec P8).

    One difference is inherent in the maths rather than in the code: the Linear biases in front
    of BatchNorm have a gradient that is zero up to round-off, which Adam normalises into steps
    of up to its learning rate, in either loop; those biases (and the running means that track
    them) therefore drift by round-off noise and agree between the loops only to about 1e-3,
    while they cancel out of every training-mode output.
    """

    def __init__(
        self, generator: GMOEAGenerator, discriminator: GMOEADiscriminator, *, lr: float
    ) -> None:
        super().__init__(generator, discriminator, lr=lr)
        blocks, grads = self.adam_g.blocks, self.adam_g.grad_blocks  # linear, bn, linear, ...
        self.g_linear_t = [blocks[i].t() for i in (0, 2, 4)]  # (n_var + 1, n_var)
        self.g_weight = [blocks[i][:, :-1] for i in (0, 2, 4)]  # (n_var, n_var)
        self.g_gamma = [blocks[i][0] for i in (1, 3, 5)]  # BatchNorm scales (n_var,)
        self.g_beta = [blocks[i][1] for i in (1, 3, 5)]  # BatchNorm shifts (n_var,)
        self.g_grad_linear_t = [grads[i].t() for i in (0, 2, 4)]
        self.g_grad_bn = [grads[i] for i in (1, 3, 5)]
        bns = (generator.bn1, generator.bn2, generator.bn3)
        self.g_running = [(bn.running_mean, bn.running_var) for bn in bns]
        d_block1, d_block2 = self.adam_d.blocks
        self.d_linear1_t, self.d_linear2_t = d_block1.t(), d_block2.t()
        self.d_weight1, self.d_weight2 = d_block1[:, :-1], d_block2[:, :-1]
        self.d_grad1_t, self.d_grad2_t = (grad.t() for grad in self.adam_d.grad_blocks)
        self.buffers: dict[int, _Buffers] = {}

    def _train(
        self,
        X: torch.Tensor,
        labels: torch.Tensor,
        draws: TrainingDraws,
        batch_size: int,
        label_order: torch.Tensor | None,
    ) -> tuple[float, float]:
        n, n_var = X.shape
        epochs = draws.order.shape[0]
        bounds = minibatch_bounds(n, batch_size)
        X_epochs = X[draws.order]  # (epochs, n, n_var)
        y_epochs = labels[draws.order if label_order is None else label_order]  # (epochs, n)
        noise = torch.ones(*draws.noise.shape[:-1], n_var + 1, dtype=X.dtype, device=X.device)
        noise[..., :-1] = draws.noise  # (epochs, 2, n, n_var + 1), with a ones column
        # The D step of minibatch [a, b) (m = b - a rows) sees rows 2a..2b-1 of `d_input`: the
        # minibatch first, then the generated samples, which G writes there. Targets are stored
        # as -y / m, so that the logit gradient (p - y) / m is one fused call.
        d_input = torch.ones(epochs, 2 * n, n_var + 1, dtype=X.dtype, device=X.device)
        d_neg_target = torch.zeros(epochs, 2 * n, 1, dtype=X.dtype, device=X.device)
        minibatches = []  # per minibatch: its buffers, then per-epoch views of its inputs
        for a, b in bounds:
            m = b - a
            d_input[:, 2 * a : a + b, :-1] = X_epochs[:, a:b]
            d_neg_target[:, 2 * a : a + b, 0] = -y_epochs[:, a:b] / m
            if m not in self.buffers:
                self.buffers[m] = _Buffers(m, n_var, X)
            minibatches.append(
                (
                    self.buffers[m],
                    d_input[:, 2 * a : 2 * b].unbind(0),
                    d_input[:, 2 * a : 2 * b].transpose(1, 2).unbind(0),
                    d_input[:, a + b : 2 * b, :-1].unbind(0),
                    d_neg_target[:, 2 * a : 2 * b].unbind(0),
                    noise[:, 0, a:b].unbind(0),
                    noise[:, 1, a:b].unbind(0),
                    noise[:, 1, a:b].transpose(1, 2).unbind(0),
                )
            )
        loss_d, loss_g = 0.0, 0.0
        for epoch in range(epochs):
            last = epoch == epochs - 1  # the last epoch also reports its losses
            for buf, d_in, d_in_t, d_fake, d_tgt, z_d, z_g, z_g_t in minibatches:
                logits = self._discriminator_step(
                    buf, d_in[epoch], d_in_t[epoch], d_fake[epoch], d_tgt[epoch], z_d[epoch]
                )
                if last:  # mean over the 2m rows = (mean BCE on real + mean BCE on fake) / 2
                    loss_d += 2.0 * _bce_with_logits(logits, -buf.m * d_tgt[epoch])
                logits = self._generator_step(buf, z_g[epoch], z_g_t[epoch])
                if last:
                    loss_g += _bce_with_logits(logits, torch.ones_like(logits))
        for bn in (self.generator.bn1, self.generator.bn2, self.generator.bn3):
            bn.num_batches_tracked.add_(2 * epochs * len(bounds))  # two G passes per step
        return loss_d / len(bounds), loss_g / len(bounds)

    def _generator_forward(
        self, buf: _Buffers, z: torch.Tensor, out: torch.Tensor
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Training-mode pass of G on `z` (m, n_var + 1), its output written into `out`.

        Leaves the pre-activations in `buf.g_pre` and returns per layer the batch mean and
        1/std that BatchNorm's backward pass needs; BatchNorm updates its running statistics
        as `nn.BatchNorm1d` does.
        """
        saved = []
        h = z
        for i in range(3):
            pre = torch.mm(h, self.g_linear_t[i], out=buf.g_pre[i])
            normed, mean, invstd = torch.native_batch_norm(
                pre, self.g_gamma[i], self.g_beta[i], *self.g_running[i], True, BN_MOMENTUM,
                BN_EPS,
            )
            saved.append((mean, invstd))
            if i < 2:
                torch.tanh(normed, out=buf.g_act_h[i])
                h = buf.g_act[i]
            else:
                torch.sigmoid(normed, out=out)
        return saved

    def _discriminator_forward(self, d: _DiscriminatorBuffers, x: torch.Tensor) -> torch.Tensor:
        """D's logits (rows, 1) for `x` (rows, n_var + 1); the hidden layer stays in `d`."""
        torch.tanh(torch.mm(x, self.d_linear1_t, out=d.pre), out=d.hidden_h)
        return torch.mm(d.hidden, self.d_linear2_t, out=d.logits)

    def _discriminator_step(
        self,
        buf: _Buffers,
        d_in: torch.Tensor,
        d_in_t: torch.Tensor,
        d_fake: torch.Tensor,
        d_neg_target: torch.Tensor,
        z: torch.Tensor,
    ) -> torch.Tensor:
        """One D step; `d_in` (2m, n_var + 1) holds the minibatch, then (once G ran) fakes."""
        self._generator_forward(buf, z, out=d_fake)
        d = buf.d[2 * buf.m]
        logits = self._discriminator_forward(d, d_in)
        # d(loss)/d(logit) = (sigmoid(logit) - target) / m for each of the two BCE means
        torch.sigmoid(logits, out=d.prob)
        torch.add(d_neg_target, d.prob, alpha=1.0 / buf.m, out=d.d_logits)
        torch.mm(d.hidden_t, d.d_logits, out=self.d_grad2_t)
        torch.mm(d.d_logits, self.d_weight2, out=d.d_hidden)
        torch.mm(d_in_t, _tanh_backward(d.d_hidden, d.hidden_h), out=self.d_grad1_t)
        self.adam_d.step()
        return logits

    def _generator_step(self, buf: _Buffers, z: torch.Tensor, z_t: torch.Tensor) -> torch.Tensor:
        """One G step on noise `z` (m, n_var + 1) through the just-updated discriminator."""
        saved = self._generator_forward(buf, z, out=buf.g_out_h)
        d = buf.d[buf.m]
        logits = self._discriminator_forward(d, buf.g_out)
        torch.sigmoid(logits, out=d.prob)
        torch.add(buf.neg_inv_m, d.prob, alpha=1.0 / buf.m, out=d.d_logits)  # (p - 1) / m
        torch.mm(d.d_logits, self.d_weight2, out=d.d_hidden)
        grad_out = torch.mm(  # (m, n_var): d(loss) / d(G(z))
            _tanh_backward(d.d_hidden, d.hidden_h), self.d_weight1, out=buf.g_grad[2]
        )
        inputs_t = (z_t, buf.g_act_t[0], buf.g_act_t[1])
        outputs = (buf.g_act_h[0], buf.g_act_h[1], buf.g_out_h)
        for i in (2, 1, 0):
            mean, invstd = saved[i]
            backward = _sigmoid_backward if i == 2 else _tanh_backward
            grad_pre, grad_gamma, grad_beta = _batch_norm_backward(
                backward(grad_out, outputs[i]), buf.g_pre[i], self.g_gamma[i],
                *self.g_running[i], mean, invstd, True, BN_EPS, [True, True, True],
            )
            torch.stack((grad_gamma, grad_beta), out=self.g_grad_bn[i])
            torch.mm(inputs_t[i], grad_pre, out=self.g_grad_linear_t[i])
            if i > 0:
                grad_out = torch.mm(grad_pre, self.g_weight[i], out=buf.g_grad[i - 1])
        self.adam_g.step()
        return logits


def _trainer_class(device: str) -> type:
    """The compiled loop on the CPU (6x faster than the fused torch loop), torch elsewhere."""
    if device != "cpu":
        return FusedGanTrainer
    from evogan.operators.gmoea_kernel import CompiledGanTrainer  # imports numba: only if used

    return CompiledGanTrainer


def _bce_with_logits(logits: torch.Tensor, target: torch.Tensor) -> float:
    return float(nn.functional.binary_cross_entropy_with_logits(logits, target))


class GMOEAGAN(LearnedVariation):
    """GMOEA's GAN operator: learn the distribution of the best-spread parents, sample near it.

    He, Huang, Cheng, Tan, Jin, "Evolutionary Multiobjective Optimization Driven by Generative
    Adversarial Networks (GANs)", IEEE TCYB 2021 (arXiv 1910.04966); behaviour as in the
    official code (EMI-Group/GMOEA), spec §1.3-1.6.

    `fit` labels the `k` parents chosen by SPEA2 environmental selection as real (1) and the
    rest as bad (0); the discriminator learns to tell real parents from bad parents and from
    generated samples, the generator learns to fool it. Generator input is noise from a
    Gaussian fitted to the real set, clipped to [0, 1]. The networks, their optimiser states and
    BatchNorm statistics are created in the first `fit` and kept across generations; each `fit`
    trains them further for `epochs` epochs. `sample` draws noise from the same Gaussian, runs
    the generator in eval mode and applies polynomial mutation.

    Bugs of the official code that evogan fixes (spec §5; the published results came from the
    buggy code):
      P1. labels were not shuffled with their solutions after each epoch, so from the second
          epoch on the real/bad labels sat on random solutions (`shuffle_labels_bug=True`
          reproduces this: population order for the labels after the first epoch);
      P2. the training noise's covariance was computed from a reshaped, scrambled elite matrix;
          here it is the elites' covariance, factored once per fit for any rank;
      P3. the noise and the decoded offspring used x / ub instead of min-max scaling; evogan
          operators work on the unit cube, mapped by `evogan.bounds` alone;
      P4. SPEA2's density term and truncation deviated from SPEA2; `evogan.survival` is standard;
      P5. SBX used (2u)^(-1/(eta+1)) for u > 0.5 (in the GA branch, `evogan.operators.SBX`);
      P6. the "binary" tournament compared three candidates (GA branch, `binary_tournament`);
      P7. the budget was overshot by up to w_max * N - 1 evaluations (the engine caps it).
    P1-P3 live in this operator; P4-P7 in the algorithm `gmoea`. Also handled: a last minibatch
    of one row (BatchNorm cannot train on it; it joins the previous one, P9) and noise clipping
    in training and sampling (P10).

    Args:
        k: size of the real set.
        epochs: training epochs per `fit`.
        batch_size: minibatch size.
        lr: the discriminator's Adam learning rate; the generator's is 4 * lr.
        eta_m: polynomial mutation's distribution index.
        prob_mutation: per-variable mutation probability; None means 1 / n_var.
        device: where the networks train and sample: "cpu", "cuda", "cuda:N" or "auto".
        cpu_threads: torch's intra-op threads when training on the CPU (None: leave as is);
            one is fastest for these small networks.
        shuffle_labels_bug: reproduce the official code's label/shuffle mismatch (P1).
    """

    def __init__(
        self,
        *,
        k: int = 10,
        epochs: int = 200,
        batch_size: int = 8,
        lr: float = 1e-4,
        eta_m: float = 20.0,
        prob_mutation: float | None = None,
        device: str = "cpu",
        cpu_threads: int | None = DEFAULT_CPU_THREADS,
        shuffle_labels_bug: bool = False,
    ) -> None:
        for name, value, least in (("k", k, 1), ("epochs", epochs, 1), ("batch_size", batch_size, 2)):
            if int(value) != value or value < least:
                raise ConfigError(f"GMOEA GAN: {name} must be an integer >= {least}, got {value!r}")
        self.k, self.epochs, self.batch_size, self.lr = k, epochs, batch_size, lr
        self.eta_m, self.prob_mutation = eta_m, prob_mutation
        self.device, self.cpu_threads = device, cpu_threads
        self.shuffle_labels_bug = shuffle_labels_bug

    def fit(self, X: np.ndarray, F: np.ndarray | None, *, rng: np.random.Generator) -> None:
        """Train on the parents `X` (n, n_var) in [0, 1] with objectives `F` (n, n_obj)."""
        if F is None:
            raise ValueError("GMOEAGAN needs the parents' objectives F to pick the real set")
        X = np.asarray(X, dtype=float)
        n, n_var = X.shape
        real = spea2_select(np.asarray(F, dtype=float), min(self.k, n))
        if not hasattr(self, "trainer_"):
            self.device_ = resolve_device(self.device)
            generator, discriminator = build_networks(
                n_var, device=self.device_, generator=torch_generator(rng, self.device_)
            )
            self.trainer_ = _trainer_class(self.device_)(generator, discriminator, lr=self.lr)
        if self.device_ == "cpu":
            set_cpu_threads(self.cpu_threads)
        start = time.perf_counter()
        generator = torch_generator(rng, self.device_)
        self.gaussian_ = EliteGaussian.fit(X[real], device=self.device_)
        draws = TrainingDraws.draw(self.gaussian_, n, self.epochs, generator)
        labels = np.zeros(n)
        labels[real] = 1.0
        label_order = None
        if self.shuffle_labels_bug:  # labels stay in population order; epoch 0 is aligned
            label_order = torch.arange(n, device=self.device_).repeat(self.epochs, 1)
            label_order[0] = draws.order[0]
        self.loss_d_, self.loss_g_ = self.trainer_.train(
            torch.as_tensor(X, dtype=torch.float32, device=self.device_),
            torch.as_tensor(labels, dtype=torch.float32, device=self.device_),
            draws, batch_size=self.batch_size, label_order=label_order,
        )
        self.real_ = real
        self.train_seconds_ = time.perf_counter() - start  # .item() in train synchronises
        logger.debug(
            "GMOEA GAN trained %d epochs in %.3f s: D loss %.4f, G loss %.4f",
            self.epochs, self.train_seconds_, self.loss_d_, self.loss_g_,
        )

    def sample(self, n: int, *, rng: np.random.Generator) -> np.ndarray:
        """`n` offspring (n, n_var) in [0, 1]: generator output in eval mode, then PM."""
        if not hasattr(self, "trainer_"):
            raise RuntimeError("GMOEAGAN.sample called before fit")
        noise = self.gaussian_.sample(n, torch_generator(rng, self.device_))
        network = self.trainer_.generator
        network.eval()  # BatchNorm uses its running statistics
        with torch.no_grad():
            Y = network(noise).double().cpu().numpy()
        network.train()
        mutation = PolynomialMutation(eta=self.eta_m, prob_var=self.prob_mutation)
        return mutation(Y, None, n, rng=rng)
