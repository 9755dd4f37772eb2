"""EMT-GS, MO-MFEA and per-task NSGA-II on multitask problems; per-task metrics and the score."""

import numpy as np
import pytest
import torch

from evogan.algorithms.multitask import EMTGS, MOMFEA, PerTaskNSGA2
from evogan.algorithms.multitask.emtgs import ide_offspring
from evogan.algorithms.multitask.metrics import (
    MultitaskHistory,
    multitask_quality,
    multitask_score,
    per_task_hv,
    per_task_igd,
)
from evogan.core.errors import ConfigError
from evogan.engine import minimize
from evogan.gan.transfer import GANConfig, TransferGANs
from evogan.problems import get_problem
from evogan.registry import get_algorithm

CIMS = get_problem("cec17-cims")  # D_u = 10: cheap GANs (one batch per epoch)


def drive(problem, algorithm, *, seed, n_gen):
    """Set up and run `n_gen` ask/tell generations by hand; returns the rng used."""
    algorithm.setup(problem, rng=np.random.default_rng(seed))
    for _ in range(n_gen):
        X = algorithm.ask()
        algorithm.tell(X, problem.evaluate(X), np.zeros(len(X)))


class Recorder:
    """Callback keeping each generation's metrics and a fingerprint of the EMT-GS generators."""

    def __init__(self):
        self.rows = []

    def on_generation(self, state):
        gans = state.algorithm.gans_
        weights = 0.0 if gans is None else sum(float(p.detach().sum())
                                               for p in gans.generator_.params)
        self.rows.append((state.n_gen, state.algorithm.metrics(), weights))


def test_ide_offspring_counts_bounds_and_donors():
    rng = np.random.default_rng(1)
    n, d = 12, 6
    populations = [rng.random((n, d)) for _ in range(2)]
    for P in populations:
        P[0] = 0.0  # the best is the origin
    previous = [np.zeros((n, d)), np.zeros((n, d))]
    translated = np.full((2, 2, n, d), 0.77)
    # Base = best = 0, r = 0, every gene from the mutant: child = F * donor.
    children, task, inter = ide_offspring(
        populations, previous, translated, rng=rng, p_random_base=0.0, cr=1.0
    )
    assert children.shape == (2 * n, d) and np.all(np.bincount(task) == n)
    assert np.all((children >= 0) & (children <= 1))
    assert inter.any() and (~inter).any()
    # Inter-task donors are the translated vectors (all genes 0.77): constant children.
    assert np.allclose(children[inter], children[inter][:, :1])
    # Same-task donors are the parents themselves: children are multiples of a parent of the task.
    for child, t in zip(children[~inter], task[~inter], strict=True):
        P = populations[t][1:]
        ratio = child / P
        assert np.any(np.ptp(ratio, axis=1) < 1e-12)


def test_inter_task_pairing_rate_is_n_over_2n_minus_1():
    rng = np.random.default_rng(2)
    n, d, n_gen = 20, 3, 300
    populations = [rng.random((n, d)) for _ in range(2)]
    translated = np.zeros((2, 2, n, d))
    inter_pairs = sum(
        int(ide_offspring(populations, populations, translated, rng=rng)[2].sum()) // 2
        for _ in range(n_gen)
    )
    n_pairs, p = n_gen * n, n / (2 * n - 1)
    assert abs(inter_pairs - n_pairs * p) < 4 * np.sqrt(n_pairs * p * (1 - p))


def test_emt_gs_makes_n_offspring_per_task_inside_the_unit_cube():
    algorithm = EMTGS(pop_size=10, initial_epochs=2)
    drive(CIMS, algorithm, seed=3, n_gen=3)
    X = algorithm.ask()
    task = CIMS.task_index(X)
    assert X.shape == (20, CIMS.n_var) and np.all(np.bincount(task) == 10)
    assert np.all((X[:, :-1] >= 0) & (X[:, :-1] <= 1))
    X_pop, F_pop, cv_pop = algorithm.population()
    assert X_pop.shape == (20, 11) and F_pop.shape == (20, 2)
    assert np.array_equal(cv_pop, np.zeros(20))


@pytest.mark.parametrize(("layout", "width"), [("columns", 10), ("rows", 10)])
def test_emt_gs_retrains_exactly_on_the_schedule(layout, width):
    recorder = Recorder()
    algorithm = EMTGS(pop_size=width, layout=layout, initial_epochs=3)
    minimize(CIMS, algorithm, seed=4, max_evals=2 * width * 31, callbacks=[recorder])
    epochs = {gen: m["gan_epochs"] for gen, m, _ in recorder.rows if m}
    expected = {gen: 3.0 if gen == 2 else 2.0 if gen % 10 == 0 else 0.0 for gen in range(2, 32)}
    assert epochs == expected
    # The generator's weights change in exactly those generations.
    weights = dict((gen, w) for gen, _, w in recorder.rows)
    changed = {gen for gen in range(3, 32) if weights[gen] != weights[gen - 1]}
    assert changed == {10, 20, 30}
    assert algorithm.gans_.generator_.weights[0].shape == (2, width, width)


def test_emt_gs_generator_width_follows_the_layout():
    nils = get_problem("cec17-nils")  # D_u = 50
    for layout, width in (("columns", 12), ("rows", 50)):
        algorithm = EMTGS(pop_size=12, layout=layout, initial_epochs=1)
        drive(nils, algorithm, seed=5, n_gen=2)
        gans = algorithm.gans_
        assert algorithm.pairs_ == [(0, 1), (1, 0)]
        assert gans.generator_.weights[2].shape == (2, width, width)
        out = gans.translate(algorithm._pair_samples()[1])
        assert out.shape == (2, *algorithm._samples(algorithm.U_[0]).shape)
        assert np.all((out > 0) & (out < 1))


def test_emt_gs_is_deterministic_from_the_seed():
    runs = [minimize(CIMS, EMTGS(pop_size=10, initial_epochs=2), seed=s, max_evals=400)
            for s in (6, 6, 7)]
    assert np.array_equal(runs[0].X, runs[1].X) and np.array_equal(runs[0].F, runs[1].F)
    assert not np.array_equal(runs[0].X, runs[2].X)


def test_mo_mfea_with_rmp_zero_never_mates_across_skill_factors():
    problem = get_problem("cec17-cihs")
    for rmp, crosses_tasks in ((0.0, False), (1.0, True)):
        algorithm = MOMFEA(pop_size=20, rmp=rmp, mutation_prob_var=0.0)
        drive(problem, algorithm, seed=8, n_gen=1)
        # Each task's population is one repeated point, a different one per task: without
        # mutation, a child that differs from its task's point had parents of both tasks.
        points = [np.full(50, 0.2), np.full(50, 0.7)]
        algorithm.U_ = [np.tile(p, (20, 1)) for p in points]
        mixed = 0
        for _ in range(5):
            U, task, transfer = algorithm._offspring()
            first, second, crossed = algorithm.last_mating_
            if not crosses_tasks:
                assert not np.any(crossed & (first != second))
                assert not transfer.any()
            mixed += sum(int(np.any(U[task == t] != points[t])) for t in range(2))
        assert (mixed > 0) == crosses_tasks


@pytest.mark.parametrize(("operators", "untouched"), [("mtop", False), ("mfea", True)])
def test_mo_mfea_operators_mfea_mutates_copies_but_never_crossover_children(operators,
                                                                             untouched):
    # rmp = 0: a pair of one skill factor crosses, a pair of two is copied. Each task's
    # population is one repeated point, so SBX of two of its members returns that point; with
    # every gene mutated (prob_var 1), a child equals its task's point exactly when it was
    # crossed and then left unmutated, which "mfea" does and "mtop" never does.
    problem = get_problem("cec17-cihs")
    algorithm = MOMFEA(pop_size=20, rmp=0.0, operators=operators, mutation_prob_var=1.0)
    drive(problem, algorithm, seed=4, n_gen=1)
    points = [np.full(50, 0.2), np.full(50, 0.7)]
    algorithm.U_ = [np.tile(p, (20, 1)) for p in points]
    U, task, _ = algorithm._offspring()
    _, _, crossed = algorithm.last_mating_
    assert 0 < crossed.sum() < len(crossed)  # both kinds of pairs occur
    at_point = sum(int(np.all(U[task == t] == points[t], axis=1).sum()) for t in range(2))
    assert at_point == (2 * int(crossed.sum()) if untouched else 0)


def test_mo_mfea_operator_settings_set_the_constants():
    mtop, mfea = (get_algorithm("mo-mfea", operators=o) for o in ("mtop", "mfea"))
    assert (mtop.eta_c, mtop.eta_m, mtop.mutate_crossed) == (20.0, 20.0, True)
    assert (mfea.eta_c, mfea.eta_m, mfea.mutate_crossed) == (2.0, 5.0, False)
    assert get_algorithm("mo-mfea").operators == "mtop"  # the MToP-faithful default
    custom = get_algorithm("mo-mfea", operators="mfea", eta_c="10")  # given values win
    assert (custom.eta_c, custom.eta_m) == (10.0, 5.0)
    with pytest.raises(ConfigError, match="operators=strong is not accepted.*one of mtop, mfea"):
        get_algorithm("mo-mfea", operators="strong")


def test_mo_mfea_and_per_task_nsga2_keep_n_per_task_and_are_deterministic():
    for make in (lambda: MOMFEA(pop_size=10), lambda: MOMFEA(pop_size=10, operators="mfea"),
                 lambda: PerTaskNSGA2(pop_size=10)):
        a, b = (minimize(CIMS, make(), seed=9, max_evals=400) for _ in range(2))
        assert np.array_equal(a.X, b.X)
        assert np.all(np.bincount(CIMS.task_index(a.X)) == 10)


def test_algorithms_are_registered_and_reject_single_task_problems():
    for name, cls in (("emt-gs", EMTGS), ("mo-mfea", MOMFEA), ("mt-nsga2", PerTaskNSGA2)):
        algorithm = get_algorithm(name, pop_size=10)
        assert isinstance(algorithm, cls)
        with pytest.raises(ConfigError, match="multitask"):
            algorithm.setup(get_problem("zdt1"), rng=np.random.default_rng(0))
    assert get_algorithm("mo-mfea").rmp == 0.3
    with pytest.raises(ConfigError, match="layout"):
        EMTGS(layout="diagonal")


def test_per_task_igd_and_hv_on_the_reference_front():
    problem = get_problem("cec17-nims")  # 3 + 2 objectives
    fronts = [problem.reference_front(t, 300) for t in range(2)]
    X = np.vstack([problem.with_task(np.zeros((len(f), 20)), t) for t, f in enumerate(fronts)])
    F = np.zeros((len(X), 3))
    F[: len(fronts[0])] = fronts[0]
    F[len(fronts[0]) :, :2] = fronts[1]
    assert np.allclose(per_task_igd(problem, X, F, n_points=300), 0.0)
    # Shifting task 2's front by 0.1 in f2 moves every reference point's nearest neighbour
    # by at most 0.1, and at the f1 = 1 end (f2 = 0) by exactly 0.1.
    F[len(fronts[0]) :, 1] += 0.1
    igd = per_task_igd(problem, X, F, n_points=300)
    assert igd[0] == pytest.approx(0.0, abs=1e-12) and 0.0 < igd[1] <= 0.1 + 1e-12
    # HV against 1.1 per objective: below the continuous fronts' values, the box minus the
    # unit ball's octant (task 1); for task 2 (shifted), the integral of f1^2 over [0, 1] plus
    # the strip f1 in [1, 1.1], f2 in [0.1, 1.1].
    hv = per_task_hv(problem, X, F, n_points=300)
    front_hv = (1.1**3 - np.pi / 6, 1 / 3 + 0.1)  # of the continuous fronts, derived above
    assert front_hv[0] - 0.05 < hv[0] < front_hv[0]
    assert front_hv[1] - 0.01 < hv[1] < front_hv[1]


def test_multitask_score_standardises_per_task_then_averages():
    scores = multitask_score({
        "a": np.array([[1.0, 10.0], [3.0, 10.0]]),
        "b": np.array([[5.0, 10.0]]),
    })
    # Task 1 pooled: 1, 3, 5 -> mean 3, std sqrt(8/3); task 2 constant -> z = 0.
    s = np.sqrt(8.0 / 3.0)
    assert scores["a"] == pytest.approx(np.mean([(-2 / s + 0) / 2, (0 + 0) / 2]))
    assert scores["b"] == pytest.approx((2 / s) / 2)


def test_multitask_history_records_per_task_rows():
    history = MultitaskHistory(CIMS, every=200, n_points=500)
    result = minimize(CIMS, PerTaskNSGA2(pop_size=10), seed=10, max_evals=1000,
                      callbacks=[history])
    assert [row["n_evals"] for row in history.rows] == [20, 200, 400, 600, 800, 1000]
    final = multitask_quality(CIMS, result.X, result.F, n_points=500)
    logged = ("igd_t1", "igd_t2", "hv_t1", "hv_t2")
    assert {key: history.rows[-1][key] for key in logged} == {key: final[key] for key in logged}
    assert set(final) == {f"{name}_t{t}" for name in ("igd", "igd_plus", "gd", "hv") for t in (1, 2)}
    assert history.rows[-1]["igd_t1"] < history.rows[0]["igd_t1"]


def test_reference_discriminator_is_blind_to_batch_location():
    """Quirk Q8: with batch norm on separate batches, the mean logit is the same for any batch."""
    rng = np.random.default_rng(12)
    gans = TransferGANs(2, 8, config=GANConfig(), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for p in gans.discriminator_.params + gans.d_norm_:  # away from the all-zero offsets
            p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(1)) * 0.3)
        mean_logits = []
        for batch in (rng.random((2, 10, 8)), 0.9 + 0.01 * rng.random((2, 10, 8))):
            d = gans._discriminate(torch.as_tensor(batch, dtype=torch.float32))
            mean_logits.append(torch.logit(d.double()).mean(dim=1).numpy())
    assert np.allclose(mean_logits[0], mean_logits[1], atol=1e-4)


def test_transfer_gans_learn_the_target_and_pairs_share_nothing():
    rng = np.random.default_rng(11)
    n, width = 20, 8
    source = rng.random((2, n, width))
    real = np.stack([np.full((n, width), 0.85), np.full((n, width), 0.15)])
    real += rng.normal(0.0, 0.01, real.shape)

    def trained(real_data, batch_mode, epochs=30):
        config = GANConfig(lr_g=1e-2, lr_d=1e-2, discriminator_batch=batch_mode)
        gans = TransferGANs(2, width, config=config, generator=torch.Generator().manual_seed(0))
        before = gans.translate(source)
        after, d_loss, _ = gans.train(real_data, source, epochs=epochs,
                                      rng=np.random.default_rng(1), unpermute_output=True)
        return gans, before, after, d_loss

    # "joint" (evogan variant): each generator moves towards its own target (0.85 and 0.15).
    gans, before, after, d_loss = trained(real, "joint")
    for pair, target in ((0, 0.85), (1, 0.15)):
        assert abs(after[pair].mean() - target) < 0.6 * abs(before[pair].mean() - target)
    # "separate" (reference): D settles near the constant 0.9/1.9, whose loss is
    # -(0.9 log(0.9/1.9) + log(1/1.9)) = 1.3144, and the outputs stay around 0.5.
    _, _, after_ref, d_loss_ref = trained(real, "separate")
    assert np.allclose(d_loss_ref, -(0.9 * np.log(0.9 / 1.9) + np.log(1 / 1.9)), atol=0.02)
    assert np.all(np.abs(after_ref.mean(axis=(1, 2)) - 0.5) < 0.05)
    # Changing pair 1's data leaves pair 0's parameters bit for bit unchanged.
    noise = rng.random((n, width))
    one, _, out_one, _ = trained(real, "joint", epochs=3)
    two, _, out_two, _ = trained(np.stack([real[0], noise]), "joint", epochs=3)
    for param, other in zip(one.generator_.params + one.g_norm_,
                            two.generator_.params + two.g_norm_, strict=True):
        assert torch.equal(param[0], other[0])
        assert not torch.equal(param[1], other[1])
    assert np.array_equal(out_one[0], out_two[0])


@pytest.mark.parametrize(
    ("make", "floor"),
    [
        (lambda: EMTGS(pop_size=20), (100.0, 10.0)),
        (lambda: MOMFEA(pop_size=20), (2e4, 150.0)),
        (lambda: PerTaskNSGA2(pop_size=20), (5e4, 200.0)),
    ],
)
def test_quality_floor_on_cihs_at_a_small_budget(make, floor):
    """4,000 evaluations, N = 20 per task; floors well above what seeds 0-2 reached (EMT-GS <= 38
    and 4.5, MO-MFEA <= 5,700 and 69, NSGA-II <= 19,000 and 125) and far below a random
    population (about 1e5 and 400)."""
    problem = get_problem("cec17-cihs")
    history = MultitaskHistory(problem, every=10**9, n_points=1000)
    minimize(problem, make(), seed=0, max_evals=4000, callbacks=[history])
    first, last = history.rows[0], history.rows[-1]
    for task, bound in enumerate(floor, start=1):
        assert last[f"igd_t{task}"] < bound < first[f"igd_t{task}"]


def test_wgan_gp_variant_learns_the_target_location():
    rng = np.random.default_rng(11)
    n, width = 20, 8
    source = rng.random((2, n, width))
    real = np.stack([np.full((n, width), 0.85), np.full((n, width), 0.15)])
    real += rng.normal(0.0, 0.01, real.shape)
    config = GANConfig(lr_g=1e-2, lr_d=1e-2, betas=(0.5, 0.9), loss="wgan-gp")
    gans = TransferGANs(2, width, config=config, generator=torch.Generator().manual_seed(0))
    assert gans.d_norm_ == [] and len(gans.discriminator_.weights) == 2  # a plain critic
    before = gans.translate(source)
    after, d_loss, g_loss = gans.train(real, source, epochs=60, rng=np.random.default_rng(1),
                                       unpermute_output=True)
    assert np.all(np.isfinite(d_loss)) and np.all(np.isfinite(g_loss))
    for pair, target in ((0, 0.85), (1, 0.15)):
        assert abs(after[pair].mean() - target) < 0.8 * abs(before[pair].mean() - target)
    # And EMT-GS runs with it.
    result = minimize(CIMS, EMTGS(pop_size=10, initial_epochs=2, gan_loss="wgan-gp"), seed=0,
                      max_evals=600)
    assert np.isfinite(result.F).all()
    with pytest.raises(ConfigError, match="gan_loss"):
        EMTGS(gan_loss="lsgan")


@pytest.mark.parametrize("max_evals", [5, 15, 455])
def test_budget_cuts_inside_a_generation_are_handled(max_evals):
    algorithm = EMTGS(pop_size=10, initial_epochs=1)
    result = minimize(CIMS, algorithm, seed=13, max_evals=max_evals)
    assert result.n_evals == max_evals
    counts = np.bincount(CIMS.task_index(result.X), minlength=2)
    assert counts.tolist() == [min(max_evals, 10), min(max(max_evals - 10, 0), 10)]
