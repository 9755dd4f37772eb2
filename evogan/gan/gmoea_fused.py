"""GMOEA's GAN training as a fused torch loop: hand-written backward passes, preallocated
buffers, one Adam call per network and step. It trains on any device (the GPU path); on the
CPU the compiled loop of `evogan.gan.gmoea_compiled` is faster and gives the same maths.
"""

from __future__ import annotations

import torch

from evogan.gan.gmoea_training import (
    BN_EPS,
    BN_MOMENTUM,
    GanTrainer,
    GMOEADiscriminator,
    GMOEAGenerator,
    TrainingDraws,
    minibatch_bounds,
)
from evogan.gan.losses import nonsaturating_loss

__all__ = ["FusedGanTrainer"]


def _bce_with_logits(logits: torch.Tensor, target: torch.Tensor) -> float:
    """The D step's loss: BCE with GMOEA's labels (elite 1, others and generated 0).

    Not `evogan.gan.losses.discriminator_loss`: the minibatch's own rows carry both labels.
    """
    return float(torch.nn.functional.binary_cross_entropy_with_logits(logits, target))


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


class FusedGanTrainer(GanTrainer):
    """GMOEA's GAN training (as the official code trains) with hand-written backward passes.

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
    (as in the official code).

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
                    loss_g += float(nonsaturating_loss(logits.view(-1)))  # BCE(D(G(z)), 1)
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


