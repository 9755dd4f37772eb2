"""The CEC2017 MO-MTO pairs: data checksums, Pareto sets on their fronts, hand values, the codec."""

import hashlib

import numpy as np
import pytest

from evogan.core.errors import ConfigError
from evogan.core.problem import MULTITASK
from evogan.problems import available_problems, get_problem, problem_info
from evogan.problems.multitask import (
    DEFAULT_FRONT_POINTS,
    MultitaskProblem,
    cec17_data,
    cec17_problem,
)

# SHA-256 of each array's little-endian float64 C-order bytes; the first 16 hex digits of the
# four matrices are those read from the competition's .mat files.
ARRAY_SHA256 = {
    "Mcm2": "2955c328572686fedf922219a9533362dbb7b6caefcefc0d673c39f43026182c",
    "Mnm2": "134fe277126c727eae5ff2aba3b05293dd876971c134ef1c421f82e99ab9b151",
    "Mpm1": "089b1f675f0dfb659ac67c8c40e28cfa48ecf74d7e1e6bde1df983284f8a638b",
    "Mpm2": "cd2be64f55b6a63b2ef589c78c7d547168080ea692e074ea911655efb82188b9",
    "Scm2": "19088d37e44fec2ac250d3cc3ba2102f084acde81a46ade67312433a0a6af3e2",
    "Sph2": "f618fbe087add3aa495a2cd76e108c581746daefebfb257a577ba896f966de3c",
    "Spm1": "584bc9e61eb390432e1dabb12566f63e6ca2d9ccf82f842e3af61e6bae40689f",
    "Spl2": "e1b1dbe0b93f9f2c44029fc7c527f409909051322d13855738be5e6a74052a6d",
    "Snl1": "3970fd4a03018f6a1eac6b2833ee9c827887083e57d595f3a04215b04a49df64",
}

# Optimal distance variables x_II* of each task, written out from the competition report's table, not
# read from the data file: shifted genes take the shift, Rosenbrock tasks take 1, others 0.
OPTIMAL_DISTANCE = {
    ("cihs", 0): np.zeros(49), ("cihs", 1): np.zeros(49),
    ("cims", 0): np.ones(9), ("cims", 1): np.ones(9),
    ("cils", 0): np.zeros(49), ("cils", 1): np.zeros(49),
    ("pihs", 0): np.zeros(49), ("pihs", 1): np.r_[np.zeros(39), np.full(10, 0.1)],
    ("pims", 0): np.r_[np.zeros(24), np.full(25, 0.2)], ("pims", 1): np.zeros(49),
    ("pils", 0): np.zeros(49), ("pils", 1): np.r_[np.zeros(24), np.full(25, 20.0)],
    ("nihs", 0): np.ones(49), ("nihs", 1): np.zeros(49),
    ("nims", 0): np.ones(18), ("nims", 1): np.zeros(18),
    ("nils", 0): np.full(23, 20.0), ("nils", 1): np.zeros(48),
}
SHAPES = {
    "cihs": ("circle", "concave"), "cims": ("concave", "circle"), "cils": ("circle", "convex"),
    "pihs": ("convex", "convex"), "pims": ("circle", "concave"), "pils": ("circle", "circle"),
    "nihs": ("circle", "convex"), "nims": ("sphere", "concave"), "nils": ("sphere", "concave"),
    "cims-mtop": ("concave", "circle"),  # CIMS's variant: the same fronts
}


def front_error(shape, F):
    """How far each row of F is from the analytic front of `shape`."""
    if shape in ("circle", "sphere"):
        return np.abs(np.linalg.norm(F, axis=1) - 1.0)
    if shape == "concave":
        return np.abs(F[:, 1] - (1.0 - F[:, 0] ** 2))
    return np.abs(F[:, 1] - (1.0 - np.sqrt(F[:, 0])))


def test_data_arrays_match_their_checksums():
    data = cec17_data()
    assert sorted(data) == sorted(ARRAY_SHA256)
    for name, digest in ARRAY_SHA256.items():
        payload = np.ascontiguousarray(data[name], dtype="<f8").tobytes()
        assert hashlib.sha256(payload).hexdigest() == digest, name
    assert data["Mpm1"].shape == (49, 49) and data["Mcm2"].shape == (9, 9)


def test_nine_pairs_and_the_mtop_cims_are_catalog_entries():
    assert available_problems(MULTITASK) == sorted(
        [f"cec17-{p}" for p in ["cihs", "cims", "cils", "pihs", "pims", "pils", "nihs", "nims",
                                "nils"]] + ["cec17-cims-mtop"])
    assert problem_info("CEC17-CIMS") == {
        "name": "cec17-cims", "kind": MULTITASK,
        "description": "CEC2017 MO-MTO CIMS: complete intersection, medium similarity; tasks: "
                       "concave front, rosenbrock g, D = 10; circle front, mean g, D = 10"}
    with pytest.raises(ConfigError, match="unknown problem 'cec17-xyz'.*cec17-cihs"):
        get_problem("cec17-xyz")
    with pytest.raises(ConfigError, match="cec17-cims is a multitask problem of fixed size"):
        get_problem("cec17-cims", n_var=10)
    with pytest.raises(ConfigError, match="unknown CEC2017 pair 'xyz'; choose one of: cihs"):
        cec17_problem("xyz")
    with pytest.raises(ConfigError, match="variant"):
        cec17_problem("cims", variant="java")


@pytest.mark.parametrize(("pair", "task"), sorted(OPTIMAL_DISTANCE))
def test_pareto_set_points_lie_on_the_true_front(pair, task):
    problem = get_problem(f"cec17-{pair}")
    t = problem.tasks[task]
    rng = np.random.default_rng(7)
    n_position = t.n_var - len(OPTIMAL_DISTANCE[pair, task])
    position = np.vstack([rng.random((50, n_position)), np.zeros(n_position),
                          np.ones(n_position)])
    X = np.hstack([position, np.tile(OPTIMAL_DISTANCE[pair, task], (len(position), 1))])
    assert np.all((X >= t.xl) & (X <= t.xu))
    F = t.evaluate(X)
    assert front_error(SHAPES[pair][task], F).max() < 1e-12
    # The same points through the multitask problem and its codec give the same objectives.
    rows = problem.with_task(problem.codec.encode(X, task, rng=rng), task)
    F_mt = problem.evaluate(rows)
    assert np.allclose(F_mt[:, : t.n_obj], F, rtol=0, atol=1e-9)
    assert np.all(F_mt[:, t.n_obj :] == 0.0)


def test_objectives_at_hand_computed_points():
    cihs = get_problem("cec17-cihs")
    F = cihs.tasks[0].evaluate(np.r_[0.0, np.ones(49)][None])  # q = 1 + 49
    assert np.allclose(F, [[50.0, 0.0]], atol=1e-12)
    F = cihs.tasks[1].evaluate(np.r_[0.5, np.full(49, -2.0)][None])  # q = 1 + 9/49 * 98 = 19
    assert np.allclose(F, [[0.5, 19.0 - 0.25 / 19.0]], atol=1e-12)
    # CIMS task 1 at z = 0.5 (9 genes): standard Rosenbrock 53, MToP's variant 251.
    x = np.r_[0.0, np.full(9, 0.5)][None]
    assert np.allclose(get_problem("cec17-cims").tasks[0].evaluate(x), [[0.0, 53.0]])
    mtop = cec17_problem("cims", variant="mtop")
    assert np.allclose(mtop.tasks[0].evaluate(x), [[0.0, 251.0]])
    # Rotation convention z = M (x_II - s): a unit step on gene 1 picks M's first column.
    cims = get_problem("cec17-cims")
    M = cec17_data()["Mcm2"]
    F = cims.tasks[1].evaluate(np.r_[0.0, 1.0 + np.eye(9)[0]][None])
    assert np.allclose(F, [[1.0 + np.abs(M[:, 0]).sum(), 0.0]], atol=1e-12)
    # Rastrigin at z = 1 on 49 genes: every term is 1 - 10 cos(2 pi) + 10 = 1.
    F = get_problem("cec17-cils").tasks[0].evaluate(np.r_[1.0, np.ones(49)][None])
    assert np.allclose(F, [[0.0, 50.0]], atol=1e-9)
    # NIMS task 2: u = (x1 + x2)/2 = 0.4 at q = 1; NIMS task 1 at x1 = x2 = 0 points along f1.
    nims = get_problem("cec17-nims")
    assert np.allclose(nims.tasks[1].evaluate(np.r_[0.2, 0.6, np.zeros(18)][None]), [[0.4, 0.84]])
    F = nims.tasks[0].evaluate(np.r_[0.0, 0.0, np.full(18, 2.0)][None])
    q = 1.0 + 17 * (100.0 * (4.0 - 2.0) ** 2 + 1.0)
    assert np.allclose(F, [[q, 0.0, 0.0]], atol=1e-9)


def test_cims_mtop_by_name_at_a_hand_computed_point():
    # x1 = 0.5, z = (1, 2, 0, ..., 0) (9 distance genes, no shift or rotation in task 1). The
    # Rosenbrock terms i = 1..8: (z_i^2 - z_{i+1})^2 sum to 1 + 16 = 17, (1 - z_i)^2 to
    # 0 + 1 + 6 = 7. Standard q = 1 + 100 * 17 + 7 = 1708; MToP's q = 1 + 100 * (17 + 7) = 2401.
    # Concave shape: f = (x1, q - x1^2 / q).
    x = np.r_[0.5, 1.0, 2.0, np.zeros(7)][None]
    for name, q in (("cec17-cims", 1708.0), ("cec17-cims-mtop", 2401.0)):
        problem = get_problem(name)  # the catalog's name, as the CLI passes it
        assert problem.name() == problem.benchmark_name == name
        row = problem.with_task(problem.codec.encode(x, 0), 0)
        assert np.allclose(problem.evaluate(row), [[0.5, q - 0.25 / q]], rtol=1e-12)
    # task 2 is the same in both; an explicit variant gets the variant's name
    standard, mtop = get_problem("cec17-cims"), get_problem("cec17-cims-mtop")
    x2 = np.random.default_rng(0).uniform(-5, 5, (4, 10))
    assert np.array_equal(standard.tasks[1].evaluate(x2), mtop.tasks[1].evaluate(x2))
    assert cec17_problem("cims", variant="mtop").name() == "cec17-cims-mtop"
    assert cec17_problem("cihs", variant="mtop").name() == "cec17-cihs"


def test_codec_round_trips():
    problem = get_problem("cec17-nils")  # tasks of 25 and 50 genes
    rng = np.random.default_rng(3)
    U = rng.random((20, problem.n_unified))
    for task, t in enumerate(problem.tasks):
        X = problem.codec.decode(U, task)
        assert X.shape == (20, t.n_var) and np.all((X >= t.xl) & (X <= t.xu))
        assert np.allclose(problem.codec.encode(X, task)[:, : t.n_var], U[:, : t.n_var])
        X_back = problem.codec.decode(problem.codec.encode(X, task, rng=rng), task)
        assert np.allclose(X_back, X, rtol=0, atol=1e-12)
    assert np.all(problem.codec.encode(X[:, :25], 0)[:, 25:] == 0.5)


def test_multitask_problem_rejects_rows_without_a_valid_task():
    problem = get_problem("cec17-cihs")
    rows = problem.with_task(np.full((2, 50), 0.5), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match="task column"):
        problem.evaluate(rows)
    assert isinstance(problem, MultitaskProblem) and problem.n_var == 51


def test_reference_fronts_have_the_documented_size_and_lie_on_the_front():
    for name in available_problems(MULTITASK):
        problem = get_problem(name)
        for task, shape in enumerate(SHAPES[name.removeprefix("cec17-")]):
            front = problem.reference_front(task)
            expected = 9870 if shape == "sphere" else DEFAULT_FRONT_POINTS
            assert front.shape == (expected, problem.tasks[task].n_obj)
            assert front_error(shape, front).max() < 1e-12
            assert front.min() >= 0.0 and front.max() <= 1.0 + 1e-12
            assert len(problem.reference_front(task, 300)) == 300  # not a cached default


def test_a_multitask_problem_and_its_tasks_print_with_their_names():
    """pymoo prints a problem through its `name()` method, which a `name` attribute once hid."""
    problem = get_problem("cec17-cihs")
    assert str(problem).startswith("# name: cec17-cihs\n# n_var: ")
    assert [str(task).splitlines()[0] for task in problem.tasks] == [
        "# name: cec17-cihs/t1", "# name: cec17-cihs/t2"]
