"""Tests of the shared GAN parts: the stacked MLP, the one Adam, the adversarial losses."""

import math

import numpy as np
import pytest
import torch

from evogan.gan.adam import Adam, AdamState, adam_step
from evogan.gan.losses import (
    MATLAB_EPS,
    discriminator_loss,
    probability_discriminator_loss,
    probability_generator_loss,
)
from evogan.gan.stacked import StackedMLP

torch.set_num_threads(1)


# ----------------------------------------------------------------------------- stacked MLP


def test_stacked_mlp_matches_each_network_run_alone():
    stack = StackedMLP.init((3, 5, 2), n_stack=4, generator=torch.Generator().manual_seed(0))
    x = torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(1))
    out = stack.forward(x, output=torch.sigmoid)
    assert out.shape == (4, 7, 2)
    for p in range(4):
        W0, b0, W1, b1 = (t[p] for t in stack.params)
        alone = torch.sigmoid(torch.relu(x[p] @ W0 + b0) @ W1 + b1)
        torch.testing.assert_close(out[p], alone, rtol=1e-6, atol=1e-7)


def test_stacked_mlp_init_draws_pytorch_defaults_or_normal_weights():
    sizes = (400, 300, 1)
    uniform = StackedMLP.init(sizes, n_stack=2, generator=torch.Generator().manual_seed(0))
    assert [tuple(p.shape) for p in uniform.params] == [(2, 400, 300), (2, 300), (2, 300, 1),
                                                        (2, 1)]
    bound = 1 / math.sqrt(400)
    assert uniform.weights[0].abs().max() <= bound and uniform.biases[0].abs().max() <= bound
    assert uniform.weights[0].std().item() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    normal = StackedMLP.init(sizes, n_stack=2, weight_std=(0.03, 0.06),
                             generator=torch.Generator().manual_seed(0))
    assert normal.weights[0].std().item() == pytest.approx(0.03, rel=0.01)
    assert normal.weights[1].std().item() == pytest.approx(0.06, rel=0.1)
    assert all(torch.count_nonzero(b) == 0 for b in normal.biases)
    again = StackedMLP.init(sizes, n_stack=2, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(uniform.params, again.params, strict=True))
    with pytest.raises(ValueError, match="weight_std has 1 values for 2 layers"):
        StackedMLP.init(sizes, n_stack=2, weight_std=[0.1], generator=torch.Generator())


def test_take_and_concat_select_whole_networks():
    stack = StackedMLP.init((2, 3, 1), n_stack=3, generator=torch.Generator().manual_seed(2))
    picked = stack.take(torch.tensor([2, 0, 2])).concat(stack.take(torch.tensor([1])))
    assert picked.n_stack == 4
    for row, source in enumerate((2, 0, 2, 1)):
        assert all(torch.equal(a[row], b[source]) for a, b in zip(picked.params, stack.params,
                                                                   strict=True))


def test_a_stack_of_one_network_takes_any_batch_of_batches():
    d = StackedMLP.init((2, 4, 1), n_stack=1, generator=torch.Generator().manual_seed(3))
    x = torch.randn(5, 6, 2, generator=torch.Generator().manual_seed(4))
    batched = d.forward(x)
    assert batched.shape == (5, 6, 1)
    for q in range(5):
        torch.testing.assert_close(batched[q], d.forward(x[q])[0], rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- Adam


def reference_adam(start, grads, *, lr, betas, eps=1e-8):
    """Adam written out in float64 (Kingma & Ba 2015), one array."""
    p, m, v = start.astype(np.float64), np.zeros_like(start, float), np.zeros_like(start, float)
    for step, g in enumerate(grads, start=1):
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g**2
        p = p - lr * (m / (1 - betas[0] ** step)) / (np.sqrt(v / (1 - betas[1] ** step)) + eps)
    return p


def test_adam_follows_the_adam_update():
    gen = torch.Generator().manual_seed(0)
    start = [torch.randn(3, 4, generator=gen), torch.randn(3, 5, generator=gen)]
    adam = Adam([p.clone() for p in start], lr=3e-4, betas=(0.7, 0.9))
    grads = [[torch.randn(p.shape, generator=gen) for p in start] for _ in range(4)]
    for step in grads:
        adam.step(step)
    for i, mine in enumerate(adam.params):
        ref = reference_adam(start[i].numpy(), [step[i].numpy() for step in grads], lr=3e-4,
                             betas=(0.7, 0.9))
        np.testing.assert_allclose(mine.numpy(), ref, rtol=0, atol=1e-6)
        assert not np.allclose(mine.numpy(), start[i].numpy(), rtol=0, atol=1e-4)
    assert adam.state.steps.tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("stacked", [False, True])
def test_adam_is_torch_optim_adam_bit_for_bit(stacked):
    gen = torch.Generator().manual_seed(5)
    start = torch.randn(3, 40, generator=gen)
    ours = Adam([start.clone()], lr=1e-2, betas=(0.5, 0.999), stacked=stacked)
    theirs = start.clone().requires_grad_()
    optim = torch.optim.Adam([theirs], lr=1e-2, betas=(0.5, 0.999))
    for _ in range(7):
        grad = torch.randn(3, 40, generator=gen)
        ours.step([grad])
        theirs.grad = grad.clone()
        optim.step()
    assert torch.equal(ours.params[0], theirs.detach())
    assert ours.state.steps.tolist() == ([7.0] * 3 if stacked else 7.0)


def test_each_row_keeps_its_own_step_count():
    # Row 0 carries the state of a network that took 3 steps, row 1 a fresh one: one stacked
    # step moves each as a lone Adam at its own count would (bias corrections 1 - beta^4 and
    # 1 - beta^1), bit for bit.
    gen = torch.Generator().manual_seed(6)
    settings = dict(lr=0.1, betas=(0.9, 0.99))
    veteran = Adam([torch.zeros(4)], stacked=False, **settings)
    for _ in range(3):
        veteran.step([torch.randn(4, generator=gen)])
    params = [torch.stack([veteran.params[0], torch.zeros(4)])]
    fresh_state = AdamState.zeros([torch.zeros(1, 4)], stacked=True)
    state = AdamState([m[None] for m in veteran.state.exp_avg],
                      [v[None] for v in veteran.state.exp_avg_sq],
                      veteran.state.steps[None].clone()).concat(fresh_state)
    assert state.steps.tolist() == [3.0, 0.0]
    g = torch.randn(4, generator=gen)
    adam_step(params, [torch.stack([g, g])], state, **settings)
    fresh = Adam([torch.zeros(4)], stacked=False, **settings)
    veteran.step([g])
    fresh.step([g])
    assert state.steps.tolist() == [4.0, 1.0]
    assert torch.equal(params[0][0], veteran.params[0])
    assert torch.equal(params[0][1], fresh.params[0])
    assert torch.equal(state.exp_avg[0][0], veteran.state.exp_avg[0])


# ----------------------------------------------------------------------------- losses


def test_discriminator_loss_is_the_bce_of_real_and_fake():
    p_real, p_fake = np.array([0.9, 0.6, 0.3]), np.array([0.2, 0.7])
    logit = lambda p: torch.tensor(np.log(p / (1 - p)), dtype=torch.float64)
    expected = -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_fake))
    assert discriminator_loss(logit(p_real), logit(p_fake)).item() == pytest.approx(expected)
    extra = np.array([0.5])
    assert discriminator_loss(logit(p_real), logit(p_fake), logit(extra)).item() == (
        pytest.approx(expected - np.log(0.5)))


def test_probability_losses_are_the_reference_formulas():
    d_real = torch.tensor([[0.9, 0.5], [1.0, 0.2]], dtype=torch.float64)
    d_fake = torch.tensor([[0.1, 0.5], [1.0, 0.0]], dtype=torch.float64)
    expected_d = [-(0.9 * math.log(0.9) + math.log(0.9) + 0.9 * math.log(0.5) + math.log(0.5)) / 2,
                  -(0.9 * math.log(1.0 + MATLAB_EPS) + math.log(MATLAB_EPS)
                    + 0.9 * math.log(0.2) + math.log(1.0)) / 2]
    got = probability_discriminator_loss(d_real, d_fake, real_label=0.9)
    np.testing.assert_allclose(got.numpy(), expected_d, rtol=1e-12)
    np.testing.assert_allclose(probability_generator_loss(d_fake).numpy(),
                               [-(math.log(0.1) + math.log(0.5)) / 2,
                                -(math.log(1.0) + math.log(MATLAB_EPS)) / 2], rtol=1e-12)
