"""Tests of companion.dpmeans: monotone penalised objective, the two extremes of lambda."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import companion as cp


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.05, 50.0))
def test_objective_never_increases(seed, lam):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(80, 2)) + rng.integers(0, 4, size=(80, 1)) * 4.0
    r = cp.dp_means(X, lam)
    J = r.history["objective"]
    assert np.all(np.diff(J) <= 1e-9 * J[0])
    assert r.converged
    assert r.objective == pytest.approx(cp.dp_means_objective(X, r.centers, r.labels, lam))


def test_large_lambda_gives_one_cluster_small_lambda_gives_n():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    big = cp.dp_means(X, lam=1e6)
    assert big.n_clusters == 1
    np.testing.assert_allclose(big.centers[0], X.mean(axis=0))
    small = cp.dp_means(X, lam=1e-9)
    assert small.n_clusters == 40
    assert small.objective == pytest.approx(40 * 1e-9)


def test_lambda_zero_converges_to_one_cluster_per_distinct_point():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 2))
    r = cp.dp_means(X, 0.0)
    assert r.converged and r.n_clusters == 300 and r.objective == 0.0


def test_well_separated_blobs_are_found():
    X, y = cp.make_blobs(300, cp.circle_centers(5, 20.0), std=1.0, seed=3)
    r = cp.dp_means(X, lam=50.0)
    assert r.n_clusters == 5
    np.testing.assert_array_equal(r.predict(X), r.labels)


def test_sequential_rule_matches_a_plain_loop():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 2)) * 3
    lam = 4.0
    # plain one-point-at-a-time pass from one centre at the mean
    centers = [X.mean(axis=0)]
    labels = []
    for x in X:
        d = [float(np.sum((x - c) ** 2)) for c in centers]
        if min(d) > lam:
            centers.append(x.copy())
            labels.append(len(centers) - 1)
        else:
            labels.append(int(np.argmin(d)))
    from companion.dpmeans import _assignment_pass

    C, L = _assignment_pass(X, X.mean(axis=0, keepdims=True), lam)
    np.testing.assert_allclose(C, np.array(centers))
    np.testing.assert_array_equal(L, labels)


def test_result_depends_on_row_order_and_one_point_clusters_are_never_merged():
    # what the dp_means docstring says, on the five blobs of the dp_means chapter
    X, _ = cp.make_blobs(500, cp.circle_centers(5, radius=6.0), std=0.6, seed=11)
    rng = np.random.default_rng(0)
    assert cp.dp_means(X, 9.31).n_clusters == 5
    assert {cp.dp_means(X[rng.permutation(500)], 9.31).n_clusters for _ in range(5)} == {5, 6}
    lam = float(np.geomspace(0.5, 300, 60)[5])
    r = cp.dp_means(X, lam)
    assert r.converged
    lonely = np.flatnonzero(np.bincount(r.labels) == 1)
    gains = []
    for k in lonely:
        x = X[r.labels == k][0]
        d2 = np.sum((r.centers - x) ** 2, axis=1)
        d2[k] = np.inf
        if d2.min() < lam:  # moving x to that centre lowers J_lambda by at least lam - d2
            labels = np.where(r.labels == k, int(np.argmin(d2)), r.labels)
            used, labels = np.unique(labels, return_inverse=True)
            centers = cp.update_centers(X, labels, used.size)
            gains.append(r.objective - cp.dp_means_objective(X, centers, labels, lam))
            assert gains[-1] >= lam - d2.min()
    assert gains  # a converged result that a single-point move improves


def test_bad_lambda():
    with pytest.raises(ValueError, match="lam must be non-negative"):
        cp.dp_means(np.zeros((3, 1)), -1.0)
