"""GMOEA's GAN training on the CPU as one compiled loop (numba): no per-operation overhead.

A GMOEA training step at n_var = 30 is a few hundred thousand floating-point operations on
minibatches of 8 rows. In PyTorch (or NumPy) every array operation costs microseconds of
dispatch however small its arrays, and a step needs about fifty of them, so the step is
latency-bound (about 0.65 ms in the fused torch loop and 6 ms in the eager one on one idle
core; a NumPy port of the fused loop was tried and was only 1.4x faster than torch).
Here the whole training, all epochs and minibatches, is one numba-compiled function over
the flat parameter, gradient and Adam buffers of `_FlatAdam`, which hold the modules'
parameters, so the modules (used for sampling) and the optimiser state are the same memory
whichever trainer ran last. Numba was chosen over hand-written C (no compiler needed at
install time) and over `torch.compile` (which still pays a call per step and compiles for
tens of seconds in every fresh process); the compiled code is cached on disk.

The maths is `FusedGanTrainer`'s in float32: matrix products go to BLAS through `np.dot`
(about 0.5 us each from compiled code), BatchNorm, activations, losses and Adam are plain
loops, and tanh and sigmoid use float32 exp. Results agree with the torch loops to float32
round-off (a test holds the three together). The one reordering: the generator's two
training-mode passes of a minibatch (the D step's and the G step's noise) run back to back,
before the D step, since G does not change in between; the BatchNorm running statistics
still see them in the torch order.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numba import njit

from evogan.operators.gmoea import (
    ADAM_BETAS,
    ADAM_EPS,
    BN_EPS,
    BN_MOMENTUM,
    GanTrainer,
    TrainingDraws,
    _FlatAdam,
    minibatch_bounds,
)

__all__ = ["CompiledGanTrainer"]


class CompiledGanTrainer(GanTrainer):
    """GMOEA's GAN training (spec §1.5) on the CPU, compiled; see `GanTrainer`.

    Per minibatch (x, y): a discriminator step on BCE(D(x), y) + BCE(D(G(z1)), 0), then a
    generator step on BCE(D(G(z2)), 1), Adam at lr and 4 * lr, BatchNorm running statistics
    updated by every training-mode pass of G. The networks must live on the CPU.
    """

    def _train(
        self,
        X: torch.Tensor,
        labels: torch.Tensor,
        draws: TrainingDraws,
        batch_size: int,
        label_order: torch.Tensor | None,
    ) -> tuple[float, float]:
        order = draws.order.numpy()
        y_epochs = labels.numpy()[order if label_order is None else label_order.numpy()]
        bounds = np.array(minibatch_bounds(len(X), batch_size), dtype=np.int64)
        bns = (self.generator.bn1, self.generator.bn2, self.generator.bn3)
        running = np.stack(
            [np.stack([bn.running_mean.numpy(), bn.running_var.numpy()]) for bn in bns]
        )  # (3 layers, 2, n_var)
        losses = np.zeros(2)
        steps = np.array([int(self.adam_g.step_count), int(self.adam_d.step_count)])
        _train(
            np.ascontiguousarray(X.numpy()[order]), np.ascontiguousarray(y_epochs),
            draws.noise.numpy(), bounds, running, steps,
            *_adam_arrays(self.adam_g), *_adam_arrays(self.adam_d), losses,
        )
        for bn, (mean, var) in zip(bns, running, strict=True):
            bn.running_mean.copy_(torch.from_numpy(mean))
            bn.running_var.copy_(torch.from_numpy(var))
            bn.num_batches_tracked.add_(2 * len(order) * len(bounds))
        self.adam_g.step_count.fill_(int(steps[0]))
        self.adam_d.step_count.fill_(int(steps[1]))
        return float(losses[0]), float(losses[1])


def _adam_arrays(adam: _FlatAdam) -> tuple[np.ndarray, ...]:
    """Parameters, gradients, Adam moments (flat, views of the torch buffers) and lr."""
    return (
        adam.param.numpy(), adam.grad.numpy(), adam.exp_avg.numpy(), adam.exp_avg_sq.numpy(),
        np.float32(adam.lr),
    )


# --- the compiled training ----------------------------------------------------------------
# Sums may be reassociated (that is what lets LLVM vectorise the dot products): the result is
# still deterministic, and differs from a sequential sum only by float32 round-off. No flag
# that assumes finite values is set, so a saturated exp or tanh behaves as IEEE says.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
# Parameter layout (`_FlatAdam`): G = [L1 | BN1 | L2 | BN2 | L3 | BN3], D = [L1 | L2], where a
# Linear block is (out, in + 1) = [weight | bias] and a BatchNorm block is (2, n) = [scale; shift].


@njit(cache=True, fastmath=_FASTMATH)
def _train(
    X_epochs, y_epochs, noise, bounds, running, steps,
    g_param, g_grad, g_m, g_v, g_lr, d_param, d_grad, d_m, d_v, d_lr, losses,
):  # pragma: no cover - compiled; tested through CompiledGanTrainer
    epochs, n, n_var = X_epochs.shape
    m_max = 0
    for j in range(bounds.shape[0]):
        m_max = max(m_max, bounds[j, 1] - bounds[j, 0])
    f32 = np.float32
    # G per (half, layer): act[:, l] is the input of layer l, with a ones column for the bias
    act = np.ones((2, 4, m_max, n_var + 1), dtype=f32)
    xhat = np.empty((2, 3, m_max, n_var), dtype=f32)
    invstd = np.empty((2, 3, n_var), dtype=f32)
    d_x = np.ones((2 * m_max, n_var + 1), dtype=f32)  # D's input rows, with a ones column
    d_hidden = np.ones((2 * m_max, n_var + 1), dtype=f32)
    d_pre = np.empty((2 * m_max, n_var), dtype=f32)
    d_logit = np.empty(2 * m_max, dtype=f32)
    d_target = np.empty(2 * m_max, dtype=f32)
    grad = np.empty((m_max, n_var), dtype=f32)
    grad_in = np.empty((m_max, n_var + 1), dtype=f32)
    losses[0] = losses[1] = 0.0
    for epoch in range(epochs):
        for j in range(bounds.shape[0]):
            a, b = bounds[j, 0], bounds[j, 1]
            m = b - a
            for half in range(2):  # G does not change before its step: both passes now
                act[half, 0, :m, :n_var] = noise[epoch, half, a:b]
                _generator_forward(g_param, act[half], xhat[half], invstd[half], m, running)
            # discriminator step on the minibatch (targets y) and G(z1) (target 0)
            d_x[:m, :n_var] = X_epochs[epoch, a:b]
            d_x[m : 2 * m] = act[0, 3, :m]
            d_target[:m] = y_epochs[epoch, a:b]
            d_target[m : 2 * m] = 0.0
            _discriminator_forward(d_param, d_x[: 2 * m], d_pre, d_hidden, d_logit)
            loss = _bce_and_logit_grad(d_logit, d_target, 2 * m, f32(1.0) / f32(m))
            _discriminator_backward(d_param, d_logit, d_hidden, d_pre, 2 * m)
            _linear_grad(d_grad, 0, d_pre[: 2 * m], d_x[: 2 * m])
            np.dot(d_hidden[: 2 * m].T, d_logit[: 2 * m], d_grad[n_var * (n_var + 1) :])
            steps[1] += 1
            _adam(d_param, d_grad, d_m, d_v, d_lr, steps[1])
            if epoch == epochs - 1:
                losses[0] += loss / bounds.shape[0]
            # generator step on G(z2) (target 1) through the updated discriminator
            d_target[:m] = 1.0
            _discriminator_forward(d_param, act[1, 3, :m], d_pre, d_hidden, d_logit)
            loss = _bce_and_logit_grad(d_logit, d_target, m, f32(1.0) / f32(m))
            _discriminator_backward(d_param, d_logit, d_hidden, d_pre, m)
            np.dot(d_pre[:m], _block(d_param, 0, n_var), grad_in[:m])  # d(loss)/d(G(z2))
            grad[:m] = grad_in[:m, :n_var]
            _generator_backward(g_param, g_grad, act[1], xhat[1], invstd[1], grad, grad_in, m)
            steps[0] += 1
            _adam(g_param, g_grad, g_m, g_v, g_lr, steps[0])
            if epoch == epochs - 1:
                losses[1] += loss / bounds.shape[0]


@njit(cache=True)
def _block(param, offset, n):  # pragma: no cover - compiled
    """The Linear block (n, n + 1) = [weight | bias] at `offset` of a flat parameter vector."""
    return param[offset : offset + n * (n + 1)].reshape((n, n + 1))


@njit(cache=True)
def _linear_grad(grad_param, offset, grad_out, x):  # pragma: no cover - compiled
    """The Linear block's gradient [dW | db] = grad_out.T @ [x | 1]; `x` carries the ones."""
    np.dot(grad_out.T, x, _block(grad_param, offset, grad_out.shape[1]))


@njit(cache=True, fastmath=_FASTMATH)
def _generator_forward(param, act, xhat, invstd, m, running):  # pragma: no cover - compiled
    """Training-mode pass: act[l + 1] = activation(BN(Linear(act[l]))) for l = 0, 1, 2.

    `xhat` keeps each layer's normalised pre-activations and `invstd` its 1 / std, which the
    backward pass needs; the running statistics move as `nn.BatchNorm1d` moves them.
    """
    n = xhat.shape[2]
    f32 = np.float32
    block = n * (n + 1) + 2 * n
    momentum, keep = f32(BN_MOMENTUM), f32(1.0 - BN_MOMENTUM)
    for layer in range(3):
        offset = layer * block
        bn = offset + n * (n + 1)
        pre = xhat[layer, :m]
        np.dot(act[layer, :m], _block(param, offset, n).T, pre)
        for c in range(n):
            mean = f32(0.0)
            for r in range(m):
                mean += pre[r, c]
            mean /= f32(m)
            var = f32(0.0)
            for r in range(m):
                pre[r, c] -= mean
                var += pre[r, c] * pre[r, c]
            var /= f32(m)
            inv = f32(1.0) / math.sqrt(var + f32(BN_EPS))
            invstd[layer, c] = inv
            gamma, beta = param[bn + c], param[bn + n + c]
            for r in range(m):
                pre[r, c] *= inv
                y = gamma * pre[r, c] + beta
                act[layer + 1, r, c] = _tanh(y) if layer < 2 else _sigmoid(y)
            running[layer, 0, c] = keep * running[layer, 0, c] + momentum * mean
            unbiased = var * f32(m) / f32(m - 1)
            running[layer, 1, c] = keep * running[layer, 1, c] + momentum * unbiased


@njit(cache=True, fastmath=_FASTMATH)
def _generator_backward(param, grad_param, act, xhat, invstd, grad, grad_in, m):  # pragma: no cover
    """Backward through G from `grad` = d(loss)/d(G output) (m, n); fills `grad_param`."""
    n = xhat.shape[2]
    f32 = np.float32
    block = n * (n + 1) + 2 * n
    for layer in range(2, -1, -1):
        offset = layer * block
        bn = offset + n * (n + 1)
        for c in range(n):
            g_sum, gx_sum = f32(0.0), f32(0.0)
            for r in range(m):
                y = act[layer + 1, r, c]
                d = grad[r, c] * (y * (f32(1.0) - y) if layer == 2 else f32(1.0) - y * y)
                grad[r, c] = d
                g_sum += d
                gx_sum += d * xhat[layer, r, c]
            grad_param[bn + c], grad_param[bn + n + c] = gx_sum, g_sum
            scale = param[bn + c] * invstd[layer, c]
            g_mean, gx_mean = g_sum / f32(m), gx_sum / f32(m)
            for r in range(m):  # d(pre) = gamma * invstd * (g - mean(g) - xhat * mean(g xhat))
                grad[r, c] = scale * (grad[r, c] - g_mean - xhat[layer, r, c] * gx_mean)
        _linear_grad(grad_param, offset, grad[:m], act[layer, :m])
        if layer > 0:  # the ones column's gradient lands in grad_in[:, n] and is ignored
            np.dot(grad[:m], _block(param, offset, n), grad_in[:m])
            grad[:m] = grad_in[:m, :n]


@njit(cache=True, fastmath=_FASTMATH)
def _discriminator_forward(param, x, pre, hidden, logit):  # pragma: no cover - compiled
    """hidden = tanh(L1(x)) (with a ones column), logit = L2(hidden), for the rows of `x`."""
    rows, n = x.shape[0], pre.shape[1]
    np.dot(x, _block(param, 0, n).T, pre[:rows])
    for r in range(rows):
        for c in range(n):
            hidden[r, c] = _tanh(pre[r, c])
    np.dot(hidden[:rows], param[n * (n + 1) :], logit[:rows])


@njit(cache=True, fastmath=_FASTMATH)
def _bce_and_logit_grad(logit, target, rows, inv_m):  # pragma: no cover - compiled
    """Mean BCE of sigmoid(logit) over `rows` rows (times rows * inv_m), logit := its gradient.

    The losses are means over m rows each: the D loss over 2m rows is twice their mean, so
    it is returned as sum / m; the logit gradient of each is (sigmoid(logit) - target) / m.
    """
    loss = 0.0
    for r in range(rows):
        z = np.float64(logit[r])
        loss += max(z, 0.0) - z * target[r] + math.log1p(math.exp(-abs(z)))
        logit[r] = (_sigmoid(logit[r]) - target[r]) * inv_m
    return loss * inv_m


@njit(cache=True, fastmath=_FASTMATH)
def _discriminator_backward(param, d_logit, hidden, pre, rows):  # pragma: no cover - compiled
    """pre := d(loss)/d(D's hidden pre-activation), from the logit gradient `d_logit`."""
    n = pre.shape[1]
    offset2 = n * (n + 1)
    for r in range(rows):
        for c in range(n):
            h = hidden[r, c]
            pre[r, c] = d_logit[r] * param[offset2 + c] * (np.float32(1.0) - h * h)


@njit(cache=True, fastmath=_FASTMATH)
def _adam(param, grad, exp_avg, exp_avg_sq, lr, step):  # pragma: no cover - compiled
    """One `torch.optim.Adam` update (default betas and eps) of the flat parameters."""
    f32 = np.float32
    beta1, beta2 = f32(ADAM_BETAS[0]), f32(ADAM_BETAS[1])
    step_size = lr / (f32(1.0) - beta1**step)
    bias_correction2_sqrt = math.sqrt(f32(1.0) - beta2**step)
    for i in range(param.shape[0]):
        g = grad[i]
        exp_avg[i] += (f32(1.0) - beta1) * (g - exp_avg[i])
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (f32(1.0) - beta2) * g * g
        denom = math.sqrt(exp_avg_sq[i]) / bias_correction2_sqrt + f32(ADAM_EPS)
        param[i] -= step_size * exp_avg[i] / denom


@njit(cache=True)
def _sigmoid(x):  # pragma: no cover - compiled
    """1 / (1 + exp(-x)) in float32 (float32 exp is about twice as fast as libm's tanh)."""
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-np.float32(x)))


@njit(cache=True)
def _tanh(x):  # pragma: no cover - compiled
    """tanh(x) = sign(x) (1 - e) / (1 + e) with e = exp(-2|x|), in float32."""
    e = np.exp(np.float32(-2.0) * abs(np.float32(x)))
    t = (np.float32(1.0) - e) / (np.float32(1.0) + e)
    return t if x >= 0 else -t
