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


def test_kmeans_statistics_keep_sums_about_the_centres_mean():
    X = data(400) + 1.7e9
    c = X[:4]
    s = cp.kmeans_statistics(X, c)
    np.testing.assert_array_equal(s.centre, c.mean(axis=0))
    labels = cp.assign(X, c)
    np.testing.assert_allclose(s.centred_sums, [np.sum(X[labels == k] - s.centre, axis=0) for k in range(4)], rtol=1e-12)
    np.testing.assert_allclose(s.sums, [np.sum(X[labels == k], axis=0) for k in range(4)], rtol=1e-15)
    # blocks reduced about different points: + moves the second block's sums to the first's centre
    a, b = cp.kmeans_statistics(X[:150], c), cp.kmeans_statistics(X[150:], c + 3.0)
    both = a + b
    np.testing.assert_array_equal(both.centre, a.centre)
    np.testing.assert_array_equal(both.counts, a.counts + b.counts)
    np.testing.assert_allclose(both.sums, a.sums + b.sums, rtol=1e-15)


@pytest.mark.parametrize("f", [1e7, 1e8])
def test_kmeans_statistics_far_apart_clusters(f, far_apart):
    X, C = far_apart.data(f, n=1000)
    labels = far_apart.labels(X, C)
    s = cp.kmeans_statistics(X[:1700], C) + cp.kmeans_statistics(X[1700:], C)
    np.testing.assert_array_equal(s.counts, np.bincount(labels, minlength=3))
    np.testing.assert_allclose(cp.centers_from_statistics(s, C), cp.update_centers(X, labels, 3), rtol=0, atol=16 * np.spacing(f))


def test_kmeans_dask_far_from_the_origin_is_as_accurate_as_in_memory(da):
    # the scaling_out editor's reproducer, smaller: raw sums near 1.7e9 lost ~18 float64 spacings
    X = np.vstack([cp.make_blobs(5_000, cp.circle_centers(4, 3.5), std=1.0, seed=1000 + i)[0] for i in range(4)])
    init = cp.kmeans_plusplus(X, 4, seed=0)
    ref = cp.kmeans(X, 4, init=init)
    o = 1.7e9
    d = cp.kmeans_dask(da.from_array(X + o, chunks=(5_000, 2)), init + o, scheduler="sync")
    m = cp.kmeans(X + o, 4, init=init + o)
    assert d.n_iter == m.n_iter == ref.n_iter
    np.testing.assert_array_equal(d.labels.compute(), ref.labels)
    assert np.max(np.abs(d.centers - o - ref.centers)) <= 2 * np.spacing(o)
    assert np.max(np.abs(d.centers - m.centers)) <= np.spacing(o)


def test_column_chunks_are_rejected(da):
    Xd = da.from_array(data(100), chunks=(50, 1))
    with pytest.raises(ValueError, match="rechunk"):
        cp.kmeans_dask(Xd, np.zeros((2, 2)))
