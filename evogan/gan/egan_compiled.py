"""E-GAN's generation on the CPU as one compiled function (numba): no per-operation overhead.

An E-GAN generation of the offspring operator (`evogan.gan.egan_offspring`, networks 30 wide,
six children, eight candidates) is about four million multiply-adds spread over some 1,850
torch operations, each of which costs microseconds of dispatch on arrays this small; the eager
generation took 3-5 ms on one core (`results/egan_speed`). Here one numba-compiled call runs the
whole generation of `evogan.gan.egan.EGAN.step` (the children's Adam steps on their losses, the
candidates' samples and their fitness `F = F_q + gamma F_d`, the selection, the discriminator's
steps) over flat buffers that hold the networks and their Adam states. The torch objects of the
trainer (`generators_`, `g_state_`, `discriminator_`, `d_optimizer_`) are views of the same
memory, so sampling, diagnostics and the eager path read what the kernel wrote.

The maths is the eager path's (`EGAN._mutate`, `egan_fitness`, `EGAN._train_discriminator`) in
float32, with the same random draws in the same order (made in torch before the call); only
the order of the sums differs, hence the roundings. Like GMOEA's kernel
(`evogan.gan.gmoea_compiled`, whose exp, sigmoid and integer power it calls), it gives the same
bits on every x86-64 CPU: no BLAS, no fastmath, no libm (exp and log from + and *), every sum
in one fixed order, the innermost loops over independent outputs so that LLVM vectorises them
without reordering. Two sums are taken in float64 (a candidate's squared gradient norm and
its mean D output), and the discriminator's gradient on the extra fake rows, computed for the
scoring, is reused by its first step, which sees the same D: the same quantity computed once.

Supported: the built-in generator losses, E-GAN's gradient diversity, comma or plus selection,
one Adam state per generator or per loss (`optimizer_state`), ReLU networks; `EGAN` runs the
eager torch path otherwise.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

import numpy as np
import torch
from numba import njit

from evogan.core.callback import KERNEL_EVENT
from evogan.gan.adam import AdamState
from evogan.gan.portable_math import LN2_HI, LN2_LO, log1p_exp_neg, power_int, sigmoid32
from evogan.gan.stacked import StackedMLP

__all__ = ["KERNEL_LOSSES", "KERNEL_MAX_WIDTH", "CompiledGeneration"]

logger = logging.getLogger(__name__)

KERNEL_LOSSES = {"minimax": 0, "nonsaturating": 1, "least_squares": 2}
"""The generator losses the kernel knows, by their code in it."""

KERNEL_MAX_WIDTH = 256
"""The widest layer `EGAN` runs through the kernel by default. Its products are plain loops,
which beat torch's per-call overhead on small networks but not BLAS on wide ones: a generation
of the operator's configuration with two hidden layers took 1.8 / 7.3 / 23 / 117 ms compiled
against 5.6 / 12 / 34 / 122 ms eager at widths 64 / 128 / 256 / 512 (CPU time, one thread,
torch's portable arithmetic, on the machine of `results/egan_speed`)."""


def _flat(tensors: Sequence[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """`tensors` (P, ...) each copied side by side into one (P, n) buffer, and views of it
    shaped like them (a row of the buffer is one network's parameters in `params` order)."""
    n_stack = tensors[0].shape[0]
    buffer = torch.cat([t.reshape(n_stack, -1) for t in tensors], dim=1)  # (P, n)
    views, start = [], 0
    for t in tensors:
        size = t[0].numel()
        views.append(buffer[:, start : start + size].view(t.shape))
        start += size
    return buffer, views


def _array(tensor: torch.Tensor) -> np.ndarray:
    """A C-contiguous NumPy view (or copy) of a CPU tensor, the layout the kernel is built for."""
    return tensor.detach().contiguous().numpy()


class CompiledGeneration:
    """The generators, the discriminator and their Adam states in flat buffers, and one E-GAN
    generation over them (`run`).

    Build it from the trainer's freshly set-up objects; afterwards `generators`, `g_state`,
    `discriminator` and `d_state` are views of the buffers, which `run` updates in place.

    Args:
        generators: the mu generators (a `StackedMLP`, ReLU hidden layers), g_state: their
            Adam state, one row per generator, or one per loss under `per_mutation`.
        discriminator: D (a stack of one, ReLU hidden layers, one output), d_state: its Adam
            state (one row).
        mutations: the children's losses, names in `KERNEL_LOSSES`.
        sigmoid_output: G's output layer is a sigmoid (else linear).
        plus: the parents compete with their children (else comma selection).
        per_mutation: each child starts from its loss's Adam state, and after the children's
            steps a loss's state is the mean of its mu children's (the Theano code's
            `optimizer_state="per_mutation"`); else a child inherits its parent's state and a
            survivor keeps its own.
        lr_g, betas_g, lr_d, betas_d: the Adam settings of G and D.
        gamma: the weight of the diversity F_d.
    """

    def __init__(
        self,
        generators: StackedMLP,
        g_state: AdamState,
        discriminator: StackedMLP,
        d_state: AdamState,
        *,
        mutations: Sequence[str],
        sigmoid_output: bool,
        plus: bool,
        per_mutation: bool,
        lr_g: float,
        betas_g: tuple[float, float],
        lr_d: float,
        betas_d: tuple[float, float],
        gamma: float,
    ) -> None:
        self.sigmoid_output, self.plus, self.per_mutation = sigmoid_output, plus, per_mutation
        self.lr_g, self.betas_g, self.lr_d, self.betas_d = lr_g, betas_g, lr_d, betas_d
        self.gamma = gamma
        self.g_sizes, self.d_sizes = (
            np.array([net.weights[0].shape[1], *(W.shape[2] for W in net.weights)])
            for net in (generators, discriminator))  # layer widths, input first
        self.g_param, g_views = _flat([p.detach() for p in generators.params])
        self.g_m, g_m_views = _flat(g_state.exp_avg)
        self.g_v, g_v_views = _flat(g_state.exp_avg_sq)
        self.g_steps = g_state.steps.clone()
        self.d_param, d_views = _flat([p.detach() for p in discriminator.params])
        self.d_m, d_m_views = _flat(d_state.exp_avg)
        self.d_v, d_v_views = _flat(d_state.exp_avg_sq)
        self.d_steps = d_state.steps.clone()
        self.generators = generators.with_params(g_views)
        self.g_state = AdamState(g_m_views, g_v_views, self.g_steps)
        self.discriminator = discriminator.with_params(d_views)
        self.d_state = AdamState(d_m_views, d_v_views, self.d_steps)
        self.losses = np.array([KERNEL_LOSSES[m] for m in mutations], dtype=np.int64)

    def run(
        self,
        z_children: torch.Tensor,
        z_eval: torch.Tensor,
        real_eval: torch.Tensor,
        extra_fake: torch.Tensor | None,
        fake_rows: torch.Tensor,
        real_d: torch.Tensor,
        *,
        lr_scale: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """G generations on the given draws (leading axis: generation), in one call.

        Args:
            z_children: (G, steps_per_child, n_children, batch_size, noise_dim) the children's
                minibatches, child = mutation * mu + parent.
            z_eval: (G, n_cand, eval_size, noise_dim) the candidates' evaluation noise (the
                children, then the parents under plus selection).
            real_eval: (G, eval_size, data_dim) the real rows of the scoring ((G, 0, data_dim)
                when nothing is scored: a single loss under comma selection).
            extra_fake: (m, data_dim) rows D also learns to reject, or None.
            fake_rows: (G, d_steps * batch_size) the D steps' fake rows, indices into the
                survivors' evaluation samples (survivor * eval_size + sample).
            real_d: (G, d_steps, batch_size, data_dim) the D steps' real rows.
            lr_scale: multiplies both learning rates.

        Returns:
            keep (G, mu), the survivors' candidate indices; scores (G, 3, n_cand), every
            candidate's F, F_q and F_d (NaN where nothing is scored); the last D step's loss
            of each generation (G,).
        """
        generations, n_cand = z_eval.shape[:2]
        keep = np.empty((generations, self.g_param.shape[0]), dtype=np.int64)
        scores = np.full((generations, 3, n_cand), np.nan, dtype=np.float32)
        d_loss = np.zeros(generations)
        extra = (np.empty((0, self.d_sizes[0]), dtype=np.float32) if extra_fake is None
                 else _array(extra_fake))
        hyper = np.array([self.lr_g * lr_scale, *self.betas_g, self.lr_d * lr_scale,
                          *self.betas_d, 1e-8, self.gamma])
        first = not _generations.signatures  # the first call in this process loads or compiles it
        if first:
            logger.info("E-GAN kernel: loading it, or compiling it (once per machine)",
                        extra={KERNEL_EVENT: "loading"})
            start = time.perf_counter()
        _generations(
            self.g_sizes, self.d_sizes, self.sigmoid_output, self.losses, self.plus,
            self.per_mutation, self.g_param.numpy(), self.g_m.numpy(), self.g_v.numpy(),
            self.g_steps.numpy(), self.d_param.numpy()[0], self.d_m.numpy()[0],
            self.d_v.numpy()[0], self.d_steps.numpy(), _array(z_children), _array(z_eval),
            _array(real_eval), extra, _array(fake_rows), _array(real_d), hyper, keep, scores,
            d_loss,
        )
        if first:
            how = "compiled" if _generations.stats.cache_misses else "loaded from numba's cache"
            logger.info("E-GAN kernel %s in %.1f s (first generations included)", how,
                        time.perf_counter() - start, extra={KERNEL_EVENT: "ready"})
        return keep, scores, d_loss


# --- the compiled generation --------------------------------------------------------------
# A network is one flat float32 row: per layer, W (in, out) row-major, then b (out), as
# `StackedMLP.params` orders them. The products run on padded copies (`_unpack`): every width
# rounded up to `_LANES`, the padding zero, so that the innermost loops, over independent
# outputs, have no scalar remainder (a zero term changes no sum). `acts[l]` (rows, width) holds
# layer l's input, acts[-1] the output; hidden layers are ReLU, G's output linear or sigmoid,
# D's a single logit. Products sum over their inner index in increasing order, gradients over
# rows in increasing order.

_LANES = 8
_SQRT2 = 1.4142135623730951


@njit(cache=True, error_model="numpy")
def _padded(sizes):  # pragma: no cover - compiled
    """Layer widths rounded up to a multiple of `_LANES`."""
    return (sizes + _LANES - 1) // _LANES * _LANES


@njit(cache=True, error_model="numpy")
def _unpack(param, sizes, W, WT, b):  # pragma: no cover - compiled
    """The flat network `param` into padded weights W (layers, in, out), their transposes WT
    and biases b (layers, out); the padding stays as it is (zero)."""
    offset = 0
    for layer in range(sizes.shape[0] - 1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        for k in range(n_in):
            for c in range(n_out):
                W[layer, k, c] = WT[layer, c, k] = param[offset + k * n_out + c]
        offset += n_in * n_out
        for c in range(n_out):
            b[layer, c] = param[offset + c]
        offset += n_out


@njit(cache=True, error_model="numpy")
def _pack(dW, db, sizes, grad):  # pragma: no cover - compiled
    """The padded gradient (dW, db) into the flat layout of the parameters, `grad`."""
    offset = 0
    for layer in range(sizes.shape[0] - 1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        for k in range(n_in):
            for c in range(n_out):
                grad[offset + k * n_out + c] = dW[layer, k, c]
        offset += n_in * n_out
        for c in range(n_out):
            grad[offset + c] = db[layer, c]
        offset += n_out


@njit(cache=True, error_model="numpy", inline="always")
def _row_times(x_row, M, n_in, n_out, y_row):  # pragma: no cover - compiled
    """y_row[:n_out] := x_row[:n_in] @ M[:n_in, :n_out], summed over the rows of M in order
    (the inner loop runs over independent outputs, so LLVM vectorises it without reordering).
    Inlined by numba: called per row, as a function call it cost 5% of an egan run."""
    for c in range(n_out):
        y_row[c] = 0.0
    for k in range(n_in):
        v = x_row[k]
        M_row = M[k]
        for c in range(n_out):
            y_row[c] += v * M_row[c]


@njit(cache=True, error_model="numpy")
def _forward(W, b, padded, acts, start, stop, sigmoid_output):  # pragma: no cover - compiled
    """acts[l + 1][start:stop] := layer l of the padded network (W, b) on acts[l][start:stop]."""
    n_layers = padded.shape[0] - 1
    for layer in range(n_layers):
        n_in, n_out = padded[layer], padded[layer + 1]
        W_l, b_l = W[layer], b[layer]
        x, y = acts[layer], acts[layer + 1]
        for r in range(start, stop):
            y_row = y[r]
            _row_times(x[r], W_l, n_in, n_out, y_row)
            if layer < n_layers - 1:  # one loop per case, each vectorised
                for c in range(n_out):
                    h = y_row[c] + b_l[c]
                    y_row[c] = h if h > 0.0 else np.float32(0.0)
            elif sigmoid_output:  # (sigmoid(0) = 1/2 in the padding, which nothing reads)
                for c in range(n_out):
                    y_row[c] = sigmoid32(y_row[c] + b_l[c])
            else:
                for c in range(n_out):
                    y_row[c] += b_l[c]


@njit(cache=True, error_model="numpy")
def _backward(
    WT, padded, acts, delta, start, stop, dW, db, param_grads, input_grad, tmp
):  # pragma: no cover - compiled
    """Backpropagate `delta`, d(loss)/d(last pre-activation) on rows start:stop, through the
    padded network whose transposed weights are WT.

    With `param_grads` the parameter gradient is added to (dW, db); with `input_grad`, `delta`
    ends as d(loss)/d(input). `tmp` is a scratch row. The padding of `delta` must be zero.
    """
    n_layers = padded.shape[0] - 1
    for layer in range(n_layers - 1, -1, -1):
        n_in, n_out = padded[layer], padded[layer + 1]
        x = acts[layer]
        if param_grads:
            dW_l, db_l = dW[layer], db[layer]
            for r in range(start, stop):
                x_row, d_row = x[r], delta[r]
                for k in range(n_in):
                    v = x_row[k]
                    dW_row = dW_l[k]
                    for c in range(n_out):
                        dW_row[c] += v * d_row[c]
                for c in range(n_out):
                    db_l[c] += d_row[c]
        if layer == 0 and not input_grad:
            break
        WT_l = WT[layer]
        for r in range(start, stop):
            x_row, d_row = x[r], delta[r]
            _row_times(d_row, WT_l, n_out, n_in, tmp)
            for k in range(n_in):  # through the ReLU below (its output > 0), not into the data
                d_row[k] = tmp[k] if layer == 0 or x_row[k] > 0.0 else np.float32(0.0)


@njit(cache=True, error_model="numpy")
def _sum_squares(dW_a, db_a, dW_b, db_b):  # pragma: no cover - compiled
    """||a + b||^2 of two padded gradients, the sum in float64 (the padding adds zeros)."""
    total = 0.0
    for layer in range(dW_a.shape[0]):
        for k in range(dW_a.shape[1]):
            for c in range(dW_a.shape[2]):
                g = np.float64(dW_a[layer, k, c] + dW_b[layer, k, c])
                total += g * g
        for c in range(db_a.shape[1]):
            g = np.float64(db_a[layer, c] + db_b[layer, c])
            total += g * g
    return total


@njit(cache=True, error_model="numpy")
def _adam(param, grad, exp_avg, exp_avg_sq, steps, row, lr, beta1, beta2, eps):  # pragma: no cover
    """One `evogan.gan.adam.adam_step` of the flat row `param`, whose step count is steps[row]:
    the same float32 operations in the same order (torch's lerp included)."""
    f32 = np.float32
    steps[row] += f32(1.0)
    step = np.int64(steps[row])
    neg_step_size = f32(-lr / (1.0 - power_int(beta1, step)))
    bias_correction2_sqrt = f32(math.sqrt(1.0 - power_int(beta2, step)))
    weight, b2, one_minus_b2 = f32(1.0 - beta1), f32(beta2), f32(1.0 - beta2)
    for i in range(param.shape[0]):
        g = grad[i]
        if weight < 0.5:  # torch.lerp's two forms
            exp_avg[i] = exp_avg[i] + weight * (g - exp_avg[i])
        else:
            exp_avg[i] = g - (g - exp_avg[i]) * (f32(1.0) - weight)
        exp_avg_sq[i] = exp_avg_sq[i] * b2 + one_minus_b2 * g * g  # torch.addcmul's order
        denom = math.sqrt(exp_avg_sq[i]) / bias_correction2_sqrt + f32(eps)
        param[i] += exp_avg[i] * neg_step_size / denom


@njit(cache=True, error_model="numpy")
def _log(x):  # pragma: no cover - compiled
    """log(x) in float64 for a normal x >= 0 (log 0 = -inf), from +, *, / and the bits of x.

    x = 2**k f with f in [sqrt(1/2), sqrt(2)), log f = 2 atanh(s), s = (f - 1) / (f + 1),
    |s| <= 0.172, by its series to s**25 (error below 1e-18); libm's log varies by CPU.
    """
    if x <= 0.0:
        return -np.inf if x == 0.0 else np.nan
    if x == np.inf:
        return x
    bits = np.float64(x).view(np.int64)
    k = ((bits >> 52) & 0x7FF) - 1023
    f = np.int64((bits & 0xFFFFFFFFFFFFF) | (np.int64(1023) << 52)).view(np.float64)  # [1, 2)
    if f > _SQRT2:
        f *= 0.5
        k += 1
    s = (f - 1.0) / (f + 1.0)
    s2 = s * s
    series = 1.0 / 25.0
    for i in range(11, -1, -1):
        series = series * s2 + 1.0 / (2 * i + 1)
    return k * LN2_HI + (k * LN2_LO + 2.0 * s * series)


@njit(cache=True, error_model="numpy")
def _softplus(z):  # pragma: no cover - compiled
    """log(1 + exp(z)) in float64 (for the reported D loss)."""
    z = np.float64(z)
    return max(z, 0.0) + log1p_exp_neg(abs(z))


@njit(cache=True, error_model="numpy")
def _generator_loss_grad(loss, logit):  # pragma: no cover - compiled
    """d(loss)/d(logit) of one sample for the loss codes of `KERNEL_LOSSES`."""
    if loss == 0:  # minimax: -softplus(l)
        return -sigmoid32(logit)
    if loss == 1:  # non-saturating: softplus(-l)
        return -sigmoid32(-logit)
    s = sigmoid32(logit)  # least squares: (sigmoid(l) - 1)**2
    return np.float32(2.0) * (s - np.float32(1.0)) * (s * (np.float32(1.0) - s))


@njit(cache=True, error_model="numpy")
def _bce_grads(acts, delta, start, stop, real):  # pragma: no cover - compiled
    """delta[start:stop] := d/d(logit) of D's mean BCE over those rows (real or fake) in
    column 0, zero elsewhere; returns the sum of the rows' BCE terms, in float64."""
    logits = acts[acts.shape[0] - 1]
    inv_n = np.float32(1.0) / np.float32(stop - start)
    total = 0.0
    for r in range(start, stop):
        delta[r, 1:] = 0.0
        z = logits[r, 0]
        if real:  # softplus(-l)
            delta[r, 0] = -sigmoid32(-z) * inv_n
            total += _softplus(-z)
        else:  # softplus(l)
            delta[r, 0] = sigmoid32(z) * inv_n
            total += _softplus(z)
    return total


@njit(cache=True, error_model="numpy")
def _generation(
    g_sizes, d_sizes, sigmoid_output, losses, plus, per_mutation,
    g_param, g_m, g_v, g_steps, d_param, d_m, d_v, d_steps,
    z_children, z_eval, real_eval, extra, fake_rows, real_d, hyper, keep, scores, d_loss,
):  # pragma: no cover - compiled; tested through EGAN.step
    """One E-GAN generation in place on the flat G and D buffers (`CompiledGeneration.run`
    with the leading generation axis taken off its draws and results)."""
    f32 = np.float32
    mu, n_g = g_param.shape
    n_d = d_param.shape[0]
    n_steps, n_children, batch, n_noise = z_children.shape
    n_cand, n_eval = z_eval.shape[0], z_eval.shape[1]
    n_extra = extra.shape[0]
    n_d_steps = real_d.shape[0]
    data_dim = g_sizes[g_sizes.shape[0] - 1]
    last_g, last_d = g_sizes.shape[0] - 1, d_sizes.shape[0] - 1
    lr_g, beta1_g, beta2_g, lr_d, beta1_d, beta2_d, eps, gamma = hyper
    g_pad, d_pad = _padded(g_sizes), _padded(d_sizes)
    width = max(g_pad.max(), d_pad.max())
    rows = max(n_eval + n_extra, 2 * batch + n_extra)
    g_acts = np.zeros((last_g + 1, rows, width), dtype=f32)
    d_acts = np.zeros((last_d + 1, rows, width), dtype=f32)
    delta = np.zeros((rows, width), dtype=f32)
    tmp = np.zeros(width, dtype=f32)
    # padded networks (weights, transposes, biases) and gradients (weights, biases)
    g_W, g_WT, g_b = (np.zeros((last_g, width, width), dtype=f32),
                      np.zeros((last_g, width, width), dtype=f32), np.zeros((last_g, width), dtype=f32))
    d_W, d_WT, d_b = (np.zeros((last_d, width, width), dtype=f32),
                      np.zeros((last_d, width, width), dtype=f32), np.zeros((last_d, width), dtype=f32))
    g_dW, g_db = np.zeros((last_g, width, width), dtype=f32), np.zeros((last_g, width), dtype=f32)
    d_dW, d_db = np.zeros((last_d, width, width), dtype=f32), np.zeros((last_d, width), dtype=f32)
    g_grad = np.empty(n_g, dtype=f32)
    d_grad = np.empty(n_d, dtype=f32)
    _unpack(d_param, d_sizes, d_W, d_WT, d_b)

    # candidates: child i = mutation (i // mu) of parent (i % mu), then the parents under plus;
    # a child's Adam state is its parent's, or its mutation's under per_mutation (where the
    # parents' state is never used: they take no step)
    cand = np.empty((n_cand, n_g), dtype=f32)
    cand_m = np.zeros((n_cand, n_g), dtype=f32)
    cand_v = np.zeros((n_cand, n_g), dtype=f32)
    cand_steps = np.zeros(n_cand, dtype=f32)
    for i in range(n_cand):
        p = i % mu if i < n_children else i - n_children
        cand[i] = g_param[p]
        if i < n_children or not per_mutation:
            state = i // mu if per_mutation else p
            cand_m[i], cand_v[i] = g_m[state], g_v[state]
            cand_steps[i] = g_steps[state]

    # 1. variation: each child's Adam steps on its loss against the current D
    inv_batch = f32(1.0) / f32(batch)
    for i in range(n_children):
        for s in range(n_steps):
            _unpack(cand[i], g_sizes, g_W, g_WT, g_b)
            g_acts[0, :batch, :n_noise] = z_children[s, i]
            _forward(g_W, g_b, g_pad, g_acts, 0, batch, sigmoid_output)
            d_acts[0, :batch, :data_dim] = g_acts[last_g, :batch, :data_dim]
            _forward(d_W, d_b, d_pad, d_acts, 0, batch, False)
            for r in range(batch):
                delta[r, 1:] = 0.0
                delta[r, 0] = _generator_loss_grad(losses[i // mu], d_acts[last_d, r, 0]) * inv_batch
            _backward(d_WT, d_pad, d_acts, delta, 0, batch, d_dW, d_db, False, True, tmp)
            if sigmoid_output:
                for r in range(batch):
                    for c in range(data_dim):
                        y = g_acts[last_g, r, c]
                        delta[r, c] *= y * (f32(1.0) - y)
            g_dW[:] = 0.0
            g_db[:] = 0.0
            _backward(g_WT, g_pad, g_acts, delta, 0, batch, g_dW, g_db, True, False, tmp)
            _pack(g_dW, g_db, g_sizes, g_grad)
            _adam(cand[i], g_grad, cand_m[i], cand_v[i], cand_steps, i, lr_g, beta1_g, beta2_g,
                  eps)

    if per_mutation:  # a loss's state: the mean of its children's, in child order
        for h in range(n_children // mu):
            g_m[h] = cand_m[h * mu]
            g_v[h] = cand_v[h * mu]
            for c in range(1, mu):
                g_m[h] += cand_m[h * mu + c]
                g_v[h] += cand_v[h * mu + c]
            g_m[h] /= f32(mu)
            g_v[h] /= f32(mu)
            g_steps[h] = cand_steps[h * mu]

    # 2. evaluation: every candidate's samples
    samples = np.empty((n_cand, n_eval, data_dim), dtype=f32)
    for i in range(n_cand):
        _unpack(cand[i], g_sizes, g_W, g_WT, g_b)
        g_acts[0, :n_eval, :n_noise] = z_eval[i]
        _forward(g_W, g_b, g_pad, g_acts, 0, n_eval, sigmoid_output)
        samples[i] = g_acts[last_g, :n_eval, :data_dim]

    # 3. fitness F = F_q + gamma F_d, F_d = -log ||grad_D L_D|| (real, extra and own fake rows)
    scored = n_cand > mu
    # D's gradient on the real rows plus, apart, on the extra rows (reused by step 5)
    shared_dW, shared_db = np.zeros_like(d_dW), np.zeros_like(d_db)
    extra_dW, extra_db = np.zeros_like(d_dW), np.zeros_like(d_db)
    extra_loss = 0.0
    if scored:
        d_acts[0, :n_eval, :data_dim] = real_eval
        d_acts[0, n_eval : n_eval + n_extra, :data_dim] = extra
        _forward(d_W, d_b, d_pad, d_acts, 0, n_eval + n_extra, False)
        _bce_grads(d_acts, delta, 0, n_eval, True)
        _backward(d_WT, d_pad, d_acts, delta, 0, n_eval, shared_dW, shared_db, True, False, tmp)
        if n_extra:
            extra_loss = _bce_grads(d_acts, delta, n_eval, n_eval + n_extra, False)
            _backward(d_WT, d_pad, d_acts, delta, n_eval, n_eval + n_extra, extra_dW, extra_db,
                      True, False, tmp)
            shared_dW += extra_dW
            shared_db += extra_db
        for i in range(n_cand):
            d_acts[0, :n_eval, :data_dim] = samples[i]
            _forward(d_W, d_b, d_pad, d_acts, 0, n_eval, False)
            quality = 0.0
            for r in range(n_eval):
                quality += sigmoid32(d_acts[last_d, r, 0])
            _bce_grads(d_acts, delta, 0, n_eval, False)
            d_dW[:] = 0.0
            d_db[:] = 0.0
            _backward(d_WT, d_pad, d_acts, delta, 0, n_eval, d_dW, d_db, True, False, tmp)
            F_q = f32(quality / n_eval)
            F_d = f32(-0.5 * _log(_sum_squares(shared_dW, shared_db, d_dW, d_db)))
            scores[0, i], scores[1, i], scores[2, i] = F_q + f32(gamma) * F_d, F_q, F_d

    # 4. selection: the mu best by F, the first of equals first (a stable descending sort)
    taken = np.zeros(n_cand, dtype=np.bool_)
    for j in range(mu):
        best = j
        if scored:
            best = -1
            for i in range(n_cand):
                if taken[i]:
                    continue
                if best < 0 or scores[0, i] > scores[0, best] or (
                        np.isnan(scores[0, i]) and not np.isnan(scores[0, best])):
                    best = i
        keep[j] = best
        taken[best] = True
        g_param[j] = cand[best]
        if not per_mutation:
            g_m[j], g_v[j] = cand_m[best], cand_v[best]
            g_steps[j] = cand_steps[best]

    # 5. discriminator: d_steps Adam steps, its fake rows the survivors' evaluation samples
    for t in range(n_d_steps):
        reuse = t == 0 and scored and n_extra > 0  # D unchanged since the scoring
        n_rows = 2 * batch + (0 if reuse else n_extra)
        d_acts[0, :batch, :data_dim] = real_d[t]
        for r in range(batch):
            row = fake_rows[t * batch + r]
            d_acts[0, batch + r, :data_dim] = samples[keep[row // n_eval], row % n_eval]
        if not reuse:
            d_acts[0, 2 * batch : n_rows, :data_dim] = extra
        _forward(d_W, d_b, d_pad, d_acts, 0, n_rows, False)
        loss = _bce_grads(d_acts, delta, 0, batch, True) / batch
        loss += _bce_grads(d_acts, delta, batch, 2 * batch, False) / batch
        if reuse:
            d_dW[:] = extra_dW
            d_db[:] = extra_db
            loss += extra_loss / n_extra
        else:
            d_dW[:] = 0.0
            d_db[:] = 0.0
            if n_extra:
                loss += _bce_grads(d_acts, delta, 2 * batch, n_rows, False) / n_extra
        _backward(d_WT, d_pad, d_acts, delta, 0, n_rows, d_dW, d_db, True, False, tmp)
        _pack(d_dW, d_db, d_sizes, d_grad)
        _adam(d_param, d_grad, d_m, d_v, d_steps, 0, lr_d, beta1_d, beta2_d, eps)
        _unpack(d_param, d_sizes, d_W, d_WT, d_b)
        d_loss[0] = loss


@njit(cache=True, error_model="numpy")
def _generations(
    g_sizes, d_sizes, sigmoid_output, losses, plus, per_mutation,
    g_param, g_m, g_v, g_steps, d_param, d_m, d_v, d_steps,
    z_children, z_eval, real_eval, extra, fake_rows, real_d, hyper, keep, scores, d_loss,
):  # pragma: no cover - compiled; tested through EGAN.train
    """`_generation` for each generation of the draws' leading axis, in order."""
    for t in range(z_eval.shape[0]):
        _generation(
            g_sizes, d_sizes, sigmoid_output, losses, plus, per_mutation,
            g_param, g_m, g_v, g_steps, d_param, d_m, d_v, d_steps,
            z_children[t], z_eval[t], real_eval[t], extra, fake_rows[t], real_d[t], hyper,
            keep[t], scores[t], d_loss[t:t + 1],
        )
