"""The compiled E-GAN generation gives the same bits on every x86-64 CPU target."""

import platform

import pytest

from tests.test_gmoea_kernel import HASWELL_FEATURES, _cpu_flags, script_digest

# A few generations of a small E-GAN with the offspring operator's shape (sigmoid output, plus
# selection, two survivors, extra fake rows) from inputs that are the same bits anywhere: torch's
# integer-based draws (rand, randint, randperm) and numpy's PCG64, no torch kernel that
# dispatches on the CPU. It prints a SHA-256 of everything the training leaves behind.
TRAINING = """
import hashlib
import numpy as np
import torch
from evogan.core.rng import make_rng
from evogan.gan.egan import EGAN, EGANConfig

config = EGANConfig(data_dim=5, noise_dim=5, g_hidden=(7, 7), d_hidden=(7, 7),
                    g_output="sigmoid", mu=2, selection="plus", gamma=0.1, batch_size=8,
                    eval_size=16, lr_g=1e-2, lr_d=1e-2, betas_d=(0.5, 0.999), init_std=None,
                    steps_per_child=2, d_steps=2)
rng = np.random.default_rng(7)
E = torch.from_numpy(rng.random((10, 5)).astype(np.float32))
rest = torch.from_numpy(rng.random((20, 5)).astype(np.float32))

def real(n, generator):
    return E[torch.randint(len(E), (n,), generator=generator)]

gan = EGAN(config, compiled=True)
gan.setup(rng=make_rng(7))
metrics = [gan.train(3, real, extra_fake=rest), gan.step(real, extra_fake=rest)]
digest = hashlib.sha256(repr(metrics).encode())
digest.update(gan.selection_counts_.tobytes())
state = gan.g_state_.exp_avg + gan.g_state_.exp_avg_sq + [gan.g_state_.steps]
d_state = gan.d_optimizer_.state
for t in (*gan.generators_.params, *gan.discriminator_.params, *state, *d_state.exp_avg,
          *d_state.exp_avg_sq, d_state.steps):
    digest.update(t.detach().contiguous().numpy().tobytes())
print(digest.hexdigest())
"""

# The digest on x86-64, from the host-compiled kernel on an Intel Xeon (AVX-512).
X86_64_DIGEST = "cf61d181cd183e1e243522cb4fa3e149b787cbd5786ffb22cb69dce498bfeca3"


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="pinned on x86-64")
def test_egan_generations_are_the_same_bits_for_every_cpu_target():
    variants = {"host": {}, "generic": {"NUMBA_CPU_NAME": "generic"}}  # SSE2: 128-bit vectors
    if {"avx2", "fma"} <= _cpu_flags():  # 256-bit vectors with FMA available to LLVM
        variants["haswell"] = {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": HASWELL_FEATURES}
    digests = {name: script_digest(TRAINING, env, timeout=600)
               for name, env in variants.items()}
    assert set(digests.values()) == {X86_64_DIGEST}, digests
