"""Tests of companion.distributed: sufficient statistics and the Dask drivers equal in-memory EM and Lloyd."""

import numpy as np
import pytest

import companion as cp


def data(n=3000, seed=0):
    return cp.make_blobs(n, cp.circle_centers(4, 3.0), std=1.0, seed=seed)[0]


@pytest.mark.parametrize("covariance_type", cp.COVARIANCE_TYPES)
def test_statistics_m_step_equals_m_step(covariance_type):
    X = data(500)
    params = cp.gmm(X, 4, covariance_type=covariance_type, max_iter=2, tol=0, seed=0).params
    R, ll = cp.e_step(X, params)
    stats = sum((cp.gmm_statistics(X[i : i + 77], params) for i in range(77, 500, 77)), cp.gmm_statistics(X[:77], params))
    assert stats.n == 500
    assert stats.log_likelihood == pytest.approx(ll, rel=1e-12)
    a = cp.params_from_statistics(stats, covariance_type, 1e-6)
    b = cp.m_step(X, R, covariance_type, 1e-6)
    np.testing.assert_allclose(a.weights, b.weights, atol=1e-13)
    np.testing.assert_allclose(a.means, b.means, atol=1e-12)
    np.testing.assert_allclose(a.covariances, b.covariances, atol=1e-11)


def test_kmeans_statistics_split_over_blocks():
    X = data(400)
    c = X[:4]
    whole = cp.kmeans_statistics(X, c)
    parts = cp.kmeans_statistics(X[:150], c) + cp.kmeans_statistics(X[150:], c)
    np.testing.assert_array_equal(whole.counts, parts.counts)
    np.testing.assert_allclose(whole.sums, parts.sums, rtol=1e-13)
    np.testing.assert_allclose(cp.centers_from_statistics(whole, c), cp.update_centers(X, cp.assign(X, c), 4), atol=1e-12)


@pytest.fixture
def da():
    """dask.array; the Dask drivers' tests skip without it (the tests above do not need it)."""
    return pytest.importorskip("dask.array")


@pytest.mark.parametrize("covariance_type", cp.COVARIANCE_TYPES)
def test_gmm_dask_equals_in_memory(covariance_type, da):
    X = data()
    Xd = da.from_array(X, chunks=(700, 2))  # several blocks, the last one short
    init = cp.gmm(X, 4, covariance_type=covariance_type, max_iter=0, seed=1).params
    a = cp.gmm(X, 4, covariance_type=covariance_type, init=init, tol=0, max_iter=8)
    b = cp.gmm_dask(Xd, init, tol=0, max_iter=8, scheduler="sync")
    assert b.n_iter == a.n_iter == 8
    np.testing.assert_allclose(b.means, a.means, rtol=0, atol=1e-10)
    np.testing.assert_allclose(b.covariances, a.covariances, rtol=0, atol=1e-10)
    np.testing.assert_allclose(b.weights, a.weights, rtol=0, atol=1e-10)
    assert b.log_likelihood == pytest.approx(a.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(b.responsibilities.compute(), a.responsibilities, atol=1e-10)


def test_gmm_dask_converges_like_in_memory(da):
    X = data()
    init = cp.gmm(X, 4, max_iter=0, seed=2).params
    a = cp.gmm(X, 4, init=init, tol=1e-4)
    b = cp.gmm_dask(da.from_array(X, chunks=(1000, 2)), init, tol=1e-4)
    assert a.converged and b.converged and a.n_iter == b.n_iter


def test_kmeans_dask_equals_in_memory(da):
    X = data()
    init = cp.kmeans_plusplus(X, 4, seed=3)
    a = cp.kmeans(X, 4, init=init)
    b = cp.kmeans_dask(da.from_array(X, chunks=(640, 2)), init, scheduler="threads")
    assert b.converged and b.n_iter == a.n_iter
    np.testing.assert_allclose(b.centers, a.centers, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(b.labels.compute(), a.labels)
    np.testing.assert_array_equal(b.history.n_changed, a.history.n_changed)
    np.testing.assert_allclose(b.history.objective, a.history.objective, rtol=1e-12)


def test_column_chunks_are_rejected(da):
    Xd = da.from_array(data(100), chunks=(50, 1))
    with pytest.raises(ValueError, match="rechunk"):
        cp.kmeans_dask(Xd, np.zeros((2, 2)))
