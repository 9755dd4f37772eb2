"""GMOEA's GAN training on the CPU as one compiled loop (numba): no per-operation overhead.

A GMOEA training step at n_var = 30 is a few hundred thousand floating-point operations on
minibatches of 8 rows. In PyTorch (or NumPy) every array operation costs microseconds of
dispatch however small its arrays, and a step needs about fifty of them, so the step is
latency-bound (about 0.65 ms in the fused torch loop and 6 ms in the eager one on one idle
core; a NumPy port of the fused loop was tried and was only 1.4x faster than torch).
Here the whole training, all epochs and minibatches, is one numba-compiled function over
the flat parameter, gradient and Adam buffers of `FlatAdam`, which hold the modules'
parameters, so the modules (used for sampling) and the optimiser state are the same memory
whichever trainer ran last. Numba was chosen over hand-written C (no compiler needed at
install time) and over `torch.compile` (which still pays a call per step and compiles for
tens of seconds in every fresh process); the compiled code is cached on disk.

The maths is `FusedGanTrainer`'s in float32, computed so that the trained parameters are the
same bits on every x86-64 CPU: every matrix product is the loop's own, each sum in one fixed
order, compiled without fastmath (no reassociation, no FMA contraction), and exp (in tanh,
sigmoid and the BCE value) is computed from additions and multiplications in float64 rather
than by libm, whose variants dispatch on CPU features. An earlier version sent the products
to BLAS through `np.dot` and allowed fastmath: OpenBLAS picks its kernel per CPU and LLVM
reassociated the sums differently for each vector width, so a seed gave different runs on
different machines. The loops are laid out so that LLVM vectorises them across independent
outputs, which changes no rounding; this is about as fast as the BLAS version (see
`results/gmoea_training_speed`); blocking the matrix products four rows by four inputs
(`_product`) made a training at n_var = 100 1.27x faster again, 18 GFLOP/s of products on one
core (`results/throughput`), where FMA, which would round a multiply-add once instead of
twice, would give another 1.1x. The loop releases the GIL, so batched seeds
(`evogan.engine.minimize_lockstep` with threads) train on several cores at once.
`tests/test_gmoea_kernel.py` compiles the loop for SSE2, AVX2 and the host, forces numpy's
OpenBLAS onto other kernels, and checks a pinned digest.
What remains is the process's floating-point mode: results assume round-to-nearest without
flush-to-zero (what a process gets unless something calls `torch.set_flush_denormal(True)`
or changes the MXCSR register).
Results agree with the torch loops to float32 round-off (a test holds the three together).
The one reordering: the generator's two training-mode passes of a minibatch (the D step's and
the G step's noise) run back to back, before the D step, since G does not change in between;
the BatchNorm running statistics still see them in the torch order.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import numpy as np
import torch
from numba import njit

from evogan.core.callback import KERNEL_EVENT
from evogan.gan.gmoea_training import (
    ADAM_BETAS,
    ADAM_EPS,
    BN_EPS,
    BN_MOMENTUM,
    FlatAdam,
    GanTrainer,
    TrainingDraws,
    minibatch_bounds,
)
from evogan.gan.portable_math import log1p_exp_neg, power_int, sigmoid32, tanh32

__all__ = ["CompiledGanTrainer"]

logger = logging.getLogger(__name__)


class CompiledGanTrainer(GanTrainer):
    """GMOEA's GAN training (as the official code trains) on the CPU, compiled; see `GanTrainer`.

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
        _call_kernel(
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


_LOADING = threading.Lock()


def _call_kernel(*args: np.ndarray | np.float32) -> None:
    """`_train(*args)`. The first call in this process loads or compiles the kernel, and says
    so in the log, once, however many threads (batched seeds) call at the same time."""
    if not _train.signatures:
        with _LOADING:
            if not _train.signatures:
                logger.info("GAN training kernel: loading it, or compiling it (once per machine)",
                            extra={KERNEL_EVENT: "loading"})
                start = time.perf_counter()
                _train(*args)
                how = "compiled" if _train.stats.cache_misses else "loaded from numba's cache"
                logger.info("GAN training kernel %s in %.1f s (first training included)", how,
                            time.perf_counter() - start, extra={KERNEL_EVENT: "ready"})
                return
    _train(*args)


def _adam_arrays(adam: FlatAdam) -> tuple[np.ndarray, ...]:
    """Parameters, gradients, Adam moments (flat, views of the torch buffers) and lr."""
    return (
        adam.param.numpy(), adam.grad.numpy(), adam.exp_avg.numpy(), adam.exp_avg_sq.numpy(),
        np.float32(adam.lr),
    )


# --- the compiled training ----------------------------------------------------------------
# Bit-reproducible across x86-64 CPUs: no fastmath (no reassociation, no contraction into
# FMA, no approximate reciprocals), no BLAS, no libm. Every sum runs in one fixed order
# (a product accumulates over its inner index in increasing order); the loops are written so
# that the innermost one runs over independent outputs, which LLVM vectorises for whatever
# vector width the CPU has without changing a single operation; the products are blocked
# (`_product`) so that their partial sums stay in registers, in the same order. exp is `portable_math.exp64`,
# built from +, * and the bits of 2**k; sqrt and division are IEEE-exact everywhere;
# error_model="numpy" only drops Python's zero-division checks, which kept LLVM from
# vectorising.
# Parameter layout (`FlatAdam`): G = [L1 | BN1 | L2 | BN2 | L3 | BN3], D = [L1 | L2], where a
# Linear block is (out, in + 1) = [weight | bias] and a BatchNorm block is (2, n) = [scale; shift].
# Rows of activations and products are padded with zeros to `_LANES`-multiples of columns, so
# that the innermost loops have no scalar remainder; the padding never enters a real column.

_LANES = 8


@njit(cache=True, error_model="numpy", nogil=True)
def _train(
    X_epochs, y_epochs, noise, bounds, running, steps,
    g_param, g_grad, g_m, g_v, g_lr, d_param, d_grad, d_m, d_v, d_lr, losses,
):  # pragma: no cover - compiled; tested through CompiledGanTrainer
    epochs, n, n_var = X_epochs.shape
    m_max = 0
    for j in range(bounds.shape[0]):
        m_max = max(m_max, bounds[j, 1] - bounds[j, 0])
    f32 = np.float32
    w = -(-(n_var + 1) // _LANES) * _LANES  # padded row width, >= n_var + 1
    # G per (half, layer): act[:, l] is the input of layer l, with a ones column for the bias
    act = np.zeros((2, 4, m_max, w), dtype=f32)
    act[:, :, :, n_var] = 1.0
    xhat = np.zeros((2, 3, m_max, w), dtype=f32)
    invstd = np.empty((2, 3, n_var), dtype=f32)
    stats = np.empty((2, n_var), dtype=f32)  # batch mean and variance of one layer
    d_x = np.zeros((2 * m_max, w), dtype=f32)  # D's input rows, with a ones column
    d_x[:, n_var] = 1.0
    d_hidden = np.zeros((2 * m_max, w), dtype=f32)
    d_hidden[:, n_var] = 1.0
    d_pre = np.zeros((2 * m_max, w), dtype=f32)
    d_logit = np.empty(2 * m_max, dtype=f32)
    d_target = np.empty(2 * m_max, dtype=f32)
    grad = np.empty((m_max, n_var), dtype=f32)
    grad_in = np.zeros((m_max, w), dtype=f32)
    grad_t = np.empty((n_var, 2 * m_max), dtype=f32)  # scratch of `_linear_grad`
    grad_block = np.zeros((n_var, w), dtype=f32)
    # each Linear block [weight | bias] (out, in + 1) transposed (in + 1, w) for the forward
    # passes and padded (out, w) for the backward ones; refreshed after each Adam step
    g_weight_t = np.zeros((3, n_var + 1, w), dtype=f32)
    g_weight = np.zeros((3, n_var, w), dtype=f32)
    d_weight_t = np.zeros((n_var + 1, w), dtype=f32)
    d_weight = np.zeros((n_var, w), dtype=f32)
    _copy_generator(g_param, g_weight_t, g_weight)
    _copy_linear(d_param, 0, d_weight_t, d_weight)
    losses[0] = losses[1] = 0.0
    for epoch in range(epochs):
        last = epoch == epochs - 1  # the last epoch also reports its losses
        for j in range(bounds.shape[0]):
            a, b = bounds[j, 0], bounds[j, 1]
            m = b - a
            for half in range(2):  # G does not change before its step: both passes now
                act[half, 0, :m, :n_var] = noise[epoch, half, a:b]
                _generator_forward(
                    g_param, g_weight_t, act[half], xhat[half], invstd[half], stats, m, running
                )
            # discriminator step on the minibatch (targets y) and G(z1) (target 0)
            d_x[:m, :n_var] = X_epochs[epoch, a:b]
            d_x[m : 2 * m] = act[0, 3, :m]
            d_target[:m] = y_epochs[epoch, a:b]
            d_target[m : 2 * m] = 0.0
            _discriminator_forward(d_param, d_weight_t, d_x, d_pre, d_hidden, d_logit, 2 * m)
            if last:  # mean over the 2m rows = (mean BCE on real + mean BCE on fake) / 2
                losses[0] += _bce_sum(d_logit, d_target, 2 * m) / m / bounds.shape[0]
            _logit_grad(d_logit, d_target, 2 * m, f32(1.0) / f32(m))
            _discriminator_backward(d_param, d_logit, d_hidden, d_pre, n_var, 2 * m)
            _linear_grad(d_grad, 0, d_pre, d_x, n_var, 2 * m, grad_t, grad_block)
            _linear_grad_vector(d_grad, n_var * (n_var + 1), d_logit, d_hidden, n_var + 1, 2 * m)
            steps[1] += 1
            _adam(d_param, d_grad, d_m, d_v, d_lr, steps[1])
            _copy_linear(d_param, 0, d_weight_t, d_weight)
            # generator step on G(z2) (target 1) through the updated discriminator
            d_target[:m] = 1.0
            _discriminator_forward(d_param, d_weight_t, act[1, 3], d_pre, d_hidden, d_logit, m)
            if last:
                losses[1] += _bce_sum(d_logit, d_target, m) / m / bounds.shape[0]
            _logit_grad(d_logit, d_target, m, f32(1.0) / f32(m))
            _discriminator_backward(d_param, d_logit, d_hidden, d_pre, n_var, m)
            _product(d_pre, d_weight, grad_in, m)  # d(loss)/d(G(z2)), column n unused
            grad[:m] = grad_in[:m, :n_var]
            _generator_backward(
                g_param, g_grad, g_weight, act[1], xhat[1], invstd[1], grad, grad_in, grad_t,
                grad_block, m,
            )
            steps[0] += 1
            _adam(g_param, g_grad, g_m, g_v, g_lr, steps[0])
            _copy_generator(g_param, g_weight_t, g_weight)


@njit(cache=True, error_model="numpy")
def _copy_linear(param, offset, weight_t, weight):  # pragma: no cover - compiled
    """weight_t[:, :out] := the Linear block (out, in + 1) at `offset`, transposed;
    weight[:, :in + 1] := the block itself (the padding columns stay zero)."""
    cols, rows = weight_t.shape[0], weight.shape[0]
    for j in range(rows):
        for k in range(cols):
            weight[j, k] = param[offset + j * cols + k]
    for k in range(cols):  # apart, and writing rows: twice as fast as both copies in one loop
        for j in range(rows):
            weight_t[k, j] = weight[j, k]


@njit(cache=True, error_model="numpy")
def _copy_generator(param, weight_t, weight):  # pragma: no cover - compiled
    """`_copy_linear` for G's three Linear blocks."""
    n = weight.shape[1]
    for layer in range(3):
        _copy_linear(param, layer * (n * (n + 1) + 2 * n), weight_t[layer], weight[layer])


@njit(cache=True, error_model="numpy")
def _product(x, b, out, rows):  # pragma: no cover - compiled
    """out[:rows] := x[:rows, :k] @ b for b (k, w): each output sums its k products in order.

    A Linear layer's forward pass (x carries the ones column, b is the transposed block) and
    its input gradient (x the output gradient, b the padded block). The innermost loop runs
    over the w (padded) outputs; each pass adds the products of four inputs, left to right,
    to four rows at once, so that a partial sum is loaded and stored once per four products
    and each row of b is loaded once per four rows: the same operations in the same order as
    one product at a time, at about twice its speed.
    """
    k, w = b.shape
    for r in range(rows):
        for c in range(w):
            out[r, c] = 0.0
    r = 0
    while r + 4 <= rows:
        j = 0
        while j + 4 <= k:
            x00, x01, x02, x03 = x[r, j], x[r, j + 1], x[r, j + 2], x[r, j + 3]
            x10, x11, x12, x13 = x[r + 1, j], x[r + 1, j + 1], x[r + 1, j + 2], x[r + 1, j + 3]
            x20, x21, x22, x23 = x[r + 2, j], x[r + 2, j + 1], x[r + 2, j + 2], x[r + 2, j + 3]
            x30, x31, x32, x33 = x[r + 3, j], x[r + 3, j + 1], x[r + 3, j + 2], x[r + 3, j + 3]
            for c in range(w):
                b0, b1, b2, b3 = b[j, c], b[j + 1, c], b[j + 2, c], b[j + 3, c]
                out[r, c] = (((out[r, c] + x00 * b0) + x01 * b1) + x02 * b2) + x03 * b3
                out[r + 1, c] = (((out[r + 1, c] + x10 * b0) + x11 * b1) + x12 * b2) + x13 * b3
                out[r + 2, c] = (((out[r + 2, c] + x20 * b0) + x21 * b1) + x22 * b2) + x23 * b3
                out[r + 3, c] = (((out[r + 3, c] + x30 * b0) + x31 * b1) + x32 * b2) + x33 * b3
            j += 4
        for i in range(r, r + 4):
            _accumulate_row(x, b, out, i, j)
        r += 4
    for i in range(r, rows):
        _accumulate_row(x, b, out, i, 0)


@njit(cache=True, error_model="numpy")
def _accumulate_row(x, b, out, r, start):  # pragma: no cover - compiled
    """out[r] += x[r, j] * b[j] for j = start, start + 1, ... in order: `_product`'s remainder."""
    k, w = b.shape
    j = start
    while j + 4 <= k:
        x0, x1, x2, x3 = x[r, j], x[r, j + 1], x[r, j + 2], x[r, j + 3]
        for c in range(w):
            out[r, c] = (((out[r, c] + x0 * b[j, c]) + x1 * b[j + 1, c]) + x2 * b[j + 2, c]) \
                + x3 * b[j + 3, c]
        j += 4
    for i in range(j, k):
        v = x[r, i]
        for c in range(w):
            out[r, c] += v * b[i, c]


@njit(cache=True, error_model="numpy")
def _linear_grad(grad_param, offset, grad_out, x, n, rows, grad_t, block):  # pragma: no cover
    """The (n, n + 1) Linear block's gradient [dW | db] = grad_out[:rows, :n].T @ x[:rows].

    `x` carries the ones column; each entry is summed over the rows of the minibatch in order,
    by `_product` on grad_out transposed into the scratch `grad_t` (>= n, >= rows), into the
    padded scratch `block` (>= n, w).
    """
    for r in range(rows):
        for j in range(n):
            grad_t[j, r] = grad_out[r, j]
    _product(grad_t, x[:rows], block, n)
    cols = n + 1
    for j in range(n):
        grad_param[offset + j * cols : offset + (j + 1) * cols] = block[j, :cols]


@njit(cache=True, error_model="numpy")
def _linear_grad_vector(grad_param, offset, grad_out, x, cols, rows):  # pragma: no cover
    """The gradient of a Linear layer with one output: grad_out[:rows] @ x[:rows, :cols]."""
    for k in range(cols):
        grad_param[offset + k] = 0.0
    for r in range(rows):
        g = grad_out[r]
        for k in range(cols):
            grad_param[offset + k] += g * x[r, k]


@njit(cache=True, error_model="numpy")
def _generator_forward(param, weight_t, act, xhat, invstd, stats, m, running):  # pragma: no cover
    """Training-mode pass: act[l + 1] = activation(BN(Linear(act[l]))) for l = 0, 1, 2.

    `xhat` keeps each layer's normalised pre-activations and `invstd` its 1 / std, which the
    backward pass needs; the running statistics move as `nn.BatchNorm1d` moves them.
    """
    n = invstd.shape[1]
    f32 = np.float32
    block = n * (n + 1) + 2 * n
    momentum, keep = f32(BN_MOMENTUM), f32(1.0 - BN_MOMENTUM)
    mean, var = stats[0], stats[1]
    for layer in range(3):
        bn = layer * block + n * (n + 1)
        pre = xhat[layer]
        _product(act[layer], weight_t[layer], pre, m)
        # batch statistics, each a sum over the rows in row order
        mean[:] = 0.0
        for r in range(m):
            for c in range(n):
                mean[c] += pre[r, c]
        for c in range(n):
            mean[c] /= f32(m)
        var[:] = 0.0
        for r in range(m):
            for c in range(n):
                pre[r, c] -= mean[c]
                var[c] += pre[r, c] * pre[r, c]
        for c in range(n):
            var[c] /= f32(m)
            invstd[layer, c] = f32(1.0) / math.sqrt(var[c] + f32(BN_EPS))
            running[layer, 0, c] = keep * running[layer, 0, c] + momentum * mean[c]
            unbiased = var[c] * f32(m) / f32(m - 1)
            running[layer, 1, c] = keep * running[layer, 1, c] + momentum * unbiased
        for r in range(m):
            for c in range(n):
                pre[r, c] *= invstd[layer, c]
                y = param[bn + c] * pre[r, c] + param[bn + n + c]
                act[layer + 1, r, c] = tanh32(y) if layer < 2 else sigmoid32(y)


@njit(cache=True, error_model="numpy")
def _generator_backward(
    param, grad_param, weight, act, xhat, invstd, grad, grad_in, grad_t, grad_block, m
):  # pragma: no cover - compiled
    """Backward through G from `grad` = d(loss)/d(G output) (m, n); fills `grad_param`."""
    n = invstd.shape[1]
    f32 = np.float32
    block = n * (n + 1) + 2 * n
    for layer in range(2, -1, -1):
        offset = layer * block
        bn = offset + n * (n + 1)
        gx_sum = grad_param[bn : bn + n]  # d(scale)
        g_sum = grad_param[bn + n : bn + 2 * n]  # d(shift)
        g_sum[:] = 0.0
        gx_sum[:] = 0.0
        for r in range(m):
            for c in range(n):
                y = act[layer + 1, r, c]
                d = grad[r, c] * (y * (f32(1.0) - y) if layer == 2 else f32(1.0) - y * y)
                grad[r, c] = d
                g_sum[c] += d
                gx_sum[c] += d * xhat[layer, r, c]
        for r in range(m):  # d(pre) = gamma * invstd * (g - mean(g) - xhat * mean(g xhat))
            for c in range(n):
                scale = param[bn + c] * invstd[layer, c]
                grad[r, c] = scale * (
                    grad[r, c] - g_sum[c] / f32(m) - xhat[layer, r, c] * (gx_sum[c] / f32(m))
                )
        _linear_grad(grad_param, offset, grad, act[layer], n, m, grad_t, grad_block)
        if layer > 0:  # the ones column's gradient lands in grad_in[:, n] and is ignored
            _product(grad, weight[layer], grad_in, m)
            grad[:m] = grad_in[:m, :n]


@njit(cache=True, error_model="numpy")
def _discriminator_forward(param, weight_t, x, pre, hidden, logit, rows):  # pragma: no cover
    """hidden = tanh(L1(x)) (with a ones column), logit = L2(hidden), for x[:rows]."""
    n = weight_t.shape[0] - 1
    offset2 = n * (n + 1)
    _product(x, weight_t, pre, rows)
    for r in range(rows):
        for c in range(n):
            hidden[r, c] = tanh32(pre[r, c])
    for r in range(rows):
        z = np.float32(0.0)
        for c in range(n + 1):
            z += hidden[r, c] * param[offset2 + c]
        logit[r] = z


@njit(cache=True, error_model="numpy")
def _bce_sum(logit, target, rows):  # pragma: no cover - compiled
    """The sum over `rows` rows of BCE(sigmoid(logit), target), in float64."""
    loss = 0.0
    for r in range(rows):
        z = np.float64(logit[r])
        loss += max(z, 0.0) - z * target[r] + log1p_exp_neg(abs(z))
    return loss


@njit(cache=True, error_model="numpy")
def _logit_grad(logit, target, rows, inv_m):  # pragma: no cover - compiled
    """logit := (sigmoid(logit) - target) * inv_m, BCE's gradient for a mean over m rows."""
    for r in range(rows):
        logit[r] = (sigmoid32(logit[r]) - target[r]) * inv_m


@njit(cache=True, error_model="numpy")
def _discriminator_backward(param, d_logit, hidden, pre, n, rows):  # pragma: no cover
    """pre := d(loss)/d(D's hidden pre-activation), from the logit gradient `d_logit`."""
    offset2 = n * (n + 1)
    for r in range(rows):
        for c in range(n):
            h = hidden[r, c]
            pre[r, c] = d_logit[r] * param[offset2 + c] * (np.float32(1.0) - h * h)


@njit(cache=True, error_model="numpy")
def _adam(param, grad, exp_avg, exp_avg_sq, lr, step):  # pragma: no cover - compiled
    """One `torch.optim.Adam` update (default betas and eps) of the flat parameters."""
    f32 = np.float32
    beta1, beta2 = f32(ADAM_BETAS[0]), f32(ADAM_BETAS[1])
    step_size = f32(lr / (1.0 - power_int(np.float64(beta1), step)))
    bias_correction2_sqrt = f32(math.sqrt(1.0 - power_int(np.float64(beta2), step)))
    for i in range(param.shape[0]):
        g = grad[i]
        exp_avg[i] += (f32(1.0) - beta1) * (g - exp_avg[i])
        exp_avg_sq[i] = beta2 * exp_avg_sq[i] + (f32(1.0) - beta2) * g * g
        denom = math.sqrt(exp_avg_sq[i]) / bias_correction2_sqrt + f32(ADAM_EPS)
        param[i] -= step_size * exp_avg[i] / denom
